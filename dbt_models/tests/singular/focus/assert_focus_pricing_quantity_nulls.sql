-- FOCUS rule (PricingQuantity-C-004-C, -C-005-C; PricingUnit-C-005-C, -C-006-C):
-- PricingQuantity MUST be null when ChargeCategory is "Tax" and MUST NOT be null when it is
-- "Usage" or "Purchase" and ChargeClass is not "Correction" (Credit and Adjustment rows MAY
-- be null). PricingUnit MUST be null exactly when PricingQuantity is.
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    charge_class,
    pricing_quantity,
    pricing_unit,
    case
        when charge_category = 'Tax' and pricing_quantity is not null
            then 'PricingQuantity must be null on Tax rows'
        when charge_category in ('Usage', 'Purchase')
            and (charge_class is distinct from 'Correction')
            and pricing_quantity is null
            then 'PricingQuantity must not be null on Usage/Purchase rows'
        else 'PricingUnit must be null exactly when PricingQuantity is'
    end as violation
from {{ ref('fct_allocated_costs') }}
where (charge_category = 'Tax' and pricing_quantity is not null)
    or (
        charge_category in ('Usage', 'Purchase') and charge_class is distinct from 'Correction'
        and pricing_quantity is null
    )
    or ((pricing_quantity is null) <> (pricing_unit is null))
