-- FOCUS rule (ChargeCategory-C-002-M, -C-003-M): ChargeCategory MUST NOT be null and MUST be
-- one of Usage, Purchase, Tax, Credit, Adjustment. Returns each fact row that breaks it.
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category
from {{ ref('fct_allocated_costs') }}
where charge_category is null
    or charge_category not in ('Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment')
