{{ config(meta={'dagster': {'ref': {'name': 'int_requests_priced'}}}) }}
-- Invariant: every request in staging reaches the request grain once, with its tokens:
-- counts and token totals per source are equal (tolerance: zero), and no source appears in
-- the request grain that staging does not have.
with

staged as (

    select
        'litellm' as source_system,
        count(*) as requests,
        sum({{ part_tokens() }}) as tokens
    from {{ ref('stg_litellm__requests') }}
    union all
    select
        'otel' as source_system,
        count(*) as requests,
        sum({{ part_tokens() }}) as tokens
    from {{ ref('stg_otel__genai_spans') }}

),

unioned as (

    select
        source_system,
        count(*) as requests,
        sum(total_tokens) as tokens
    from {{ ref('int_requests_priced') }}
    group by source_system

)

-- a source with no requests at all (a company without OpenTelemetry, say) has zero on both sides
{{ totals_that_differ('staged', 'unioned', ['source_system'], ['requests', 'tokens']) }}
