-- FOCUS rule (PricingCategory-C-003-C, -C-004-C): PricingCategory MUST be null when
-- ChargeCategory is "Tax" and MUST NOT be null when it is "Usage" or "Purchase" and
-- ChargeClass is not "Correction" (Credit and Adjustment rows MAY be null).
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    charge_class,
    pricing_category
from {{ ref('fct_allocated_costs') }}
where (charge_category = 'Tax' and pricing_category is not null)
    or (
        charge_category in ('Usage', 'Purchase') and charge_class is distinct from 'Correction'
        and pricing_category is null
    )
