-- FOCUS rule (ChargeClass-C-005-C): ChargeClass MUST be "Correction" when it is not null
-- (null for every row that is not a correction to a previously invoiced billing period).
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_class
from {{ ref('fct_allocated_costs') }}
where charge_class is not null
    and charge_class <> 'Correction'
