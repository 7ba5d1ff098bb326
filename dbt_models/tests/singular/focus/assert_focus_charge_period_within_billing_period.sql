-- FOCUS rule (ChargePeriodStart/End-C-004-M, BillingPeriodStart/End-C-004-M): the charge
-- period [ChargePeriodStart, ChargePeriodEnd) is a non-empty interval (start < end) and lies
-- within its billing period [BillingPeriodStart, BillingPeriodEnd), itself non-empty.
select
    allocated_cost_id,
    charge_id,
    provider_id,
    billing_period_start,
    billing_period_end,
    charge_period_start,
    charge_period_end
from {{ ref('fct_allocated_costs') }}
where not (charge_period_start < charge_period_end)
    or not (billing_period_start < billing_period_end)
    or charge_period_start < billing_period_start
    or charge_period_end > billing_period_end
