{{ config(meta={'dagster': {'ref': {'name': 'int_billed_charges_unioned'}}}) }}
-- Invariant: every bill line in force reaches the billed charges exactly once, with its amount:
-- per bill source and currency, line counts and billed totals are equal (tolerance: zero). A
-- join that drops a line (an unmapped account) or repeats it (a duplicated mapping) fails here.
with

in_force as (

    select
        'openai_costs_api' as source_system,
        currency,
        count(*) as line_count,
        sum(amount) as billed
    from {{ ref('stg_openai__costs') }}
    group by all
    union all
    select
        'anthropic_cost_report' as source_system,
        currency,
        count(*) as line_count,
        sum(amount) as billed
    from {{ ref('stg_anthropic__costs') }}
    group by all
    union all
    select
        'focus:' || export_name as source_system,
        billing_currency as currency,
        count(*) as line_count,
        sum(billed_cost) as billed
    from {{ ref('stg_focus__charges') }}
    group by all

),

charged as (

    select
        source_system,
        billing_currency as currency,
        count(*) as line_count,
        sum(billed_cost) as billed
    from {{ ref('int_billed_charges_unioned') }}
    group by all

)

select
    coalesce(in_force.source_system, charged.source_system) as source_system,
    coalesce(in_force.currency, charged.currency) as currency,
    coalesce(in_force.line_count, 0) as lines_in_force,
    coalesce(charged.line_count, 0) as lines_charged,
    coalesce(in_force.billed, 0) as billed_in_force,
    coalesce(charged.billed, 0) as billed_charged
from in_force
full outer join charged
    on in_force.source_system is not distinct from charged.source_system
    and in_force.currency is not distinct from charged.currency
where coalesce(in_force.line_count, 0) <> coalesce(charged.line_count, 0)
    or coalesce(in_force.billed, 0) <> coalesce(charged.billed, 0)
