-- One row per month x product x billing currency x business driver: the month-by-product view
-- of rpt_driver_unit_economics_long (same definitions, same numbers), for reports that want
-- exactly that cut.
select
    period_start as month_start,
    dimension_value as product,
    billing_currency,
    driver,
    driver_label,
    unit_kind,
    driver_value,
    billed_cost,
    direct_billed_cost,
    total_tokens,
    is_billing_complete,
    incomplete_reason,
    cost_per_driver,
    direct_cost_per_driver,
    tokens_per_driver
from {{ ref('rpt_driver_unit_economics_long') }}
where period_grain = 'month'
    and dimension = 'product'
