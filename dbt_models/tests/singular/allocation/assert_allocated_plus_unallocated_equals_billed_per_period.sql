{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: per provider, billing account and billing period, allocated + unallocated =
-- billed, to the cent (tolerance: zero), and no fact row exists without its charge.
with

billed as (

    select
        provider_id,
        billing_account_id,
        billing_period_start,
        billing_currency,
        sum(billed_cost) as billed_cost
    from {{ ref('int_billed_charges_unioned') }}
    group by 1, 2, 3, 4

),

allocated as (

    select
        provider_id,
        billing_account_id,
        billing_period_start,
        billing_currency,
        sum(case when not is_unallocated then billed_cost else 0 end) as allocated_cost,
        sum(case when is_unallocated then billed_cost else 0 end) as unallocated_cost
    from {{ ref('fct_allocated_costs') }}
    group by 1, 2, 3, 4

)

select
    coalesce(billed.provider_id, allocated.provider_id) as provider_id,
    coalesce(billed.billing_account_id, allocated.billing_account_id) as billing_account_id,
    coalesce(billed.billing_period_start, allocated.billing_period_start) as billing_period_start,
    billed.billed_cost,
    allocated.allocated_cost,
    allocated.unallocated_cost
from billed
full outer join allocated
    on billed.provider_id = allocated.provider_id
    and billed.billing_account_id = allocated.billing_account_id
    and billed.billing_period_start = allocated.billing_period_start
    and billed.billing_currency = allocated.billing_currency
where billed.provider_id is null
    or allocated.provider_id is null
    or billed.billed_cost <> allocated.allocated_cost + allocated.unallocated_cost
