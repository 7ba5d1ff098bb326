{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: for every billed charge, its allocated rows sum to its BilledCost, EffectiveCost,
-- ListCost and ContractedCost exactly (tolerance: zero; splits are integer units).
-- A charge with no allocated rows at all fails too.
with

charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

allocated as (

    select
        charge_id,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(contracted_cost) as contracted_cost
    from {{ ref('fct_allocated_costs') }}
    group by charge_id

)

select
    charges.charge_id,
    charges.billed_cost,
    allocated.billed_cost as allocated_billed_cost,
    charges.effective_cost,
    allocated.effective_cost as allocated_effective_cost,
    charges.list_cost,
    allocated.list_cost as allocated_list_cost,
    charges.contracted_cost,
    allocated.contracted_cost as allocated_contracted_cost
from charges
left join allocated
    on charges.charge_id = allocated.charge_id
where allocated.charge_id is null
    or charges.billed_cost <> allocated.billed_cost
    or charges.effective_cost <> allocated.effective_cost
    or charges.list_cost <> allocated.list_cost
    or charges.contracted_cost <> allocated.contracted_cost
