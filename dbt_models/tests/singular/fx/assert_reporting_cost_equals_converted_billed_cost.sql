{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: for every billed charge, its allocated rows' reporting-currency amounts sum to the
-- charge's converted BilledCost, EffectiveCost, ListCost and ContractedCost exactly (tolerance:
-- zero; the converted amount is split in integer units like the billing-currency money). A
-- charge with no rate must be null on every row, not partly converted.
with

converted as (

    select * from {{ ref('int_charges_converted_to_reporting_currency') }}

),

allocated as (

    select
        charge_id,
        sum(billed_cost_reporting) as billed_cost_reporting,
        sum(effective_cost_reporting) as effective_cost_reporting,
        sum(list_cost_reporting) as list_cost_reporting,
        sum(contracted_cost_reporting) as contracted_cost_reporting,
        count(*) - count(billed_cost_reporting) as rows_without_reporting_cost
    from {{ ref('fct_allocated_costs') }}
    group by charge_id

)

select
    converted.charge_id,
    converted.billing_currency,
    converted.fx_rate,
    converted.billed_cost_reporting,
    allocated.billed_cost_reporting as allocated_billed_cost_reporting,
    allocated.rows_without_reporting_cost
from converted
left join allocated
    on converted.charge_id = allocated.charge_id
where allocated.charge_id is null
    {% for column in [
        'billed_cost_reporting',
        'effective_cost_reporting',
        'list_cost_reporting',
        'contracted_cost_reporting',
    ] -%}
        or converted.{{ column }} is distinct from allocated.{{ column }}
    {% endfor -%}
    or (converted.fx_rate is not null and allocated.rows_without_reporting_cost > 0)
