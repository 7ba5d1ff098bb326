-- FOCUS rule (ChargeFrequency-C-002-M, -C-003-M, -C-004-C): ChargeFrequency MUST NOT be null,
-- MUST be one of One-Time, Recurring, Usage-Based, and MUST NOT be "Usage-Based" when
-- ChargeCategory is "Purchase".
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    charge_frequency
from {{ ref('fct_allocated_costs') }}
where charge_frequency is null
    or charge_frequency not in ('One-Time', 'Recurring', 'Usage-Based')
    or (charge_category = 'Purchase' and charge_frequency = 'Usage-Based')
