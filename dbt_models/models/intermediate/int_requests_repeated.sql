-- One row per request, with what makes it waste: 'failed' (the call failed), 'retry' (the same
-- caller sent the same prompt within var('waste_repeat_window_seconds') after a failed call),
-- 'duplicate' (the same, after a successful call), or null. The caller is the API key hash and
-- the end-user pseudonym; the prompt is LiteLLM's cache key or, without one, the keyed hash of
-- the messages computed at extraction. Sources that log neither (OpenTelemetry spans) are
-- never called retries or duplicates: their repeats stay unseen rather than guessed.
-- Incremental by request day (macros/incremental_days.sql): the days int_requests_priced
-- rebuilt and the day after each (a repeat's earlier attempt can sit on the day before, so a
-- change on one day can change the next); each rebuilt day reads the day before it as context.
-- That is the whole context only while the window is at most a day: a longer one is refused.
{%- if var('waste_repeat_window_seconds') | int > 86400 %}
    {{ exceptions.raise_compiler_error("waste_repeat_window_seconds must be at most 86400 (one day): int_requests_repeated reads one day before each rebuilt day, got " ~ var('waste_repeat_window_seconds')) }}
{%- endif %}
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan_after('int_requests_priced',
        values=[var('waste_repeat_window_seconds')], days_after=1) }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

requests as (

    select * from {{ ref('int_requests_priced') }}
    where {{ incremental_days_filter('request_date', days_before=1) }}

),

litellm_requests as (

    select
        request_id,
        api_key_hash,
        cache_key,
        prompt_fingerprint
    from {{ ref('stg_litellm__requests') }}
    where {{ incremental_days_filter('request_date', days_before=1) }}

),

fingerprinted as (

    select
        requests.*,
        coalesce(litellm_requests.api_key_hash, '') || '|'
        || coalesce(requests.end_user_pseudonym, '') as caller_key,
        coalesce(litellm_requests.prompt_fingerprint, litellm_requests.cache_key) as prompt_key
    from requests
    left join litellm_requests
        on requests.source_system = 'litellm'
        and requests.request_id = litellm_requests.request_id

),

previous_attempt as (

    select
        *,
        lag(requested_at) over repeats as previous_requested_at,
        lag(is_success) over repeats as previous_is_success
    from fingerprinted
    window repeats as (
        partition by caller_key, prompt_key, model_id
        order by requested_at, request_uid
    )

)

select
    *,
    case
        when not is_success then 'failed'
        when prompt_key is null or previous_requested_at is null then null
        when {{ dbt.datediff('previous_requested_at', 'requested_at', 'second') }}
            > {{ var('waste_repeat_window_seconds') }} then null
        when not previous_is_success then 'retry'
        when is_proxy_cache_hit then null
        else 'duplicate'
    end as waste_kind
from previous_attempt
-- the day before was read for context only
where {{ incremental_days_filter('request_date') }}
