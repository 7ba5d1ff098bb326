-- FOCUS rule (ConsumedQuantity-C-004-C, -C-006-C; ConsumedUnit-C-005-C, -C-006-C):
-- ConsumedQuantity MUST be null when ChargeCategory is not "Usage" (Purchase, Tax, Credit,
-- Adjustment rows) or when it is "Usage" with CommitmentDiscountStatus "Unused"; for other
-- Usage rows it MUST NOT be null unless ChargeClass is "Correction" (usage measurement is a
-- capability this dataset declares). ConsumedUnit MUST be null exactly when ConsumedQuantity is.
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    charge_class,
    commitment_discount_status,
    consumed_quantity,
    consumed_unit,
    case
        when consumed_quantity is not null
            and (charge_category <> 'Usage' or commitment_discount_status = 'Unused')
            then 'ConsumedQuantity must be null'
        when consumed_quantity is null and charge_category = 'Usage'
            and (commitment_discount_status is distinct from 'Unused')
            and (charge_class is distinct from 'Correction')
            then 'ConsumedQuantity must not be null'
        else 'ConsumedUnit must be null exactly when ConsumedQuantity is'
    end as violation
from {{ ref('fct_allocated_costs') }}
where (
    consumed_quantity is not null
    and (charge_category <> 'Usage' or commitment_discount_status = 'Unused')
)
or (
    consumed_quantity is null and charge_category = 'Usage'
    and commitment_discount_status is distinct from 'Unused'
    and charge_class is distinct from 'Correction'
)
or ((consumed_quantity is null) <> (consumed_unit is null))
