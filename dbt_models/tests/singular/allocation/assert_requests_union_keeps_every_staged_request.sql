{{ config(meta={'dagster': {'ref': {'name': 'int_requests_priced'}}}) }}
-- Invariant: every request in staging reaches the request grain once, with its tokens:
-- counts and token totals per source are equal (tolerance: zero).
with

staged as (

    select 'litellm' as source_system, count(*) as requests,
           sum(uncached_input_tokens + cache_read_tokens + cache_write_tokens + output_tokens + reasoning_tokens) as tokens
    from {{ ref('stg_litellm__requests') }}
    union all
    select 'otel', count(*),
           sum(uncached_input_tokens + cache_read_tokens + cache_write_tokens + output_tokens + reasoning_tokens)
    from {{ ref('stg_otel__genai_spans') }}

),

unioned as (

    select source_system, count(*) as requests, sum(total_tokens) as tokens
    from {{ ref('int_requests_priced') }}
    group by source_system

)

select staged.*, unioned.requests as unioned_requests, unioned.tokens as unioned_tokens
from staged
left join unioned
    on staged.source_system = unioned.source_system
where unioned.source_system is null
    or staged.requests <> unioned.requests
    or staged.tokens <> unioned.tokens
