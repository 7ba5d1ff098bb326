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

{{ totals_that_differ(
    'in_force', 'charged', ['source_system', 'currency'], ['line_count', 'billed']
) }}
