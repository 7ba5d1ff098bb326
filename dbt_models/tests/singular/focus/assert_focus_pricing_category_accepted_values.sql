-- FOCUS rule (PricingCategory-C-007-M): when not null, PricingCategory MUST be one of
-- Standard, Dynamic, Committed, Other. (When it must be null or filled: see
-- assert_focus_pricing_category_nulls.)
select
    allocated_cost_id,
    charge_id,
    provider_id,
    pricing_category
from {{ ref('fct_allocated_costs') }}
where pricing_category is not null
    and pricing_category not in ('Standard', 'Dynamic', 'Committed', 'Other')
