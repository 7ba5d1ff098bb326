{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: no allocated row has the opposite sign of its charge, for any cost column
-- (a credit stays a credit for every owner; a charge never turns into a refund).
select
    fact.allocated_cost_id,
    fact.charge_id,
    charges.billed_cost as charge_billed_cost,
    fact.billed_cost,
    charges.list_cost as charge_list_cost,
    fact.list_cost
from {{ ref('fct_allocated_costs') }} as fact
inner join {{ ref('int_billed_charges_unioned') }} as charges
    on fact.charge_id = charges.charge_id
where sign(fact.billed_cost) * sign(charges.billed_cost) < 0
    or sign(fact.effective_cost) * sign(charges.effective_cost) < 0
    or sign(fact.list_cost) * sign(charges.list_cost) < 0
    or sign(fact.contracted_cost) * sign(charges.contracted_cost) < 0
