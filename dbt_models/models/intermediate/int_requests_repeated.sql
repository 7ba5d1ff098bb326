-- One row per request, with what makes it waste: 'failed' (the call failed), 'retry' (the same
-- caller sent the same prompt within var('waste_repeat_window_seconds') after a failed call),
-- 'duplicate' (the same, after a successful call), or null. The caller is the API key hash and
-- the end-user pseudonym; the prompt is LiteLLM's cache key or, without one, the keyed hash of
-- the messages computed at extraction. Sources that log neither (OpenTelemetry spans) are
-- never called retries or duplicates: their repeats stay unseen rather than guessed.
with

requests as (

    select * from {{ ref('int_requests_priced') }}

),

litellm_requests as (

    select
        request_id,
        api_key_hash,
        cache_key,
        prompt_fingerprint
    from {{ ref('stg_litellm__requests') }}

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
