-- One row per request logged by the LiteLLM proxy. Duplicate deliveries of the same request
-- (overlapping exports) keep the first loaded copy.
-- Incremental by request day (macros/incremental_days.sql): a table, so that tests and models
-- downstream do not re-parse every raw row; a run rebuilds only the days raw load metadata says
-- changed, and the lookback.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set raw_logs = source('litellm', 'litellm_spend_logs') %}
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan('request_date',
        'select distinct cast(start_time as date) from ' ~ source('litellm', 'litellm_spend_logs'),
        incremental_fingerprint([ref('provider_names')]),
        source_rel=source('litellm', 'litellm_spend_logs'), id_column='request_id', ts_column='start_time') }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

{{ request_log_rows(raw_logs, [('request_id', 'request_id')]) }},

tags as (

    -- request_tags is a JSON array of "key:value" strings; untagged requests have none; which
    -- tag carries which owner key is macros/owner_keys.sql request_owner_keys()
    select
        {% for owner in request_owner_keys() if owner.litellm_tag -%}
            max(case when split_part(tag, ':', 1) = '{{ owner.litellm_tag }}' then split_part(tag, ':', 2) end)
                as tag_{{ owner.key }},
        {% endfor -%}
        request_id
    from (
        select request_id, {{ unnest_json_string_array('request_tags') }} as tag
        from deduplicated_new
        where {{ json_is_array('request_tags') }}
    ) as request_tags
    group by request_id

),

renamed as (

    select
        deduplicated.request_id,
        'litellm' as source_system,
        deduplicated.start_time as requested_at,
        cast(deduplicated.start_time as date) as request_date,
        {{ provider_id_from_name('deduplicated.custom_llm_provider') }} as provider_id,
        deduplicated.model as model_raw,
        deduplicated.call_type,
        deduplicated.api_key as api_key_hash,
        deduplicated.team_id as litellm_team_id,
        {{ json_str('deduplicated.metadata', '$.user_api_key_team_alias') }} as team_alias,
        cast(null as {{ dbt.type_string() }}) as service_name,
        cast(null as {{ dbt.type_string() }}) as sub_account_id,
        {% for owner in request_owner_keys() -%}
            {{ litellm_owner_key_value(owner, 'tags') }} as {{ owner.key }},
        {% endfor -%}
        deduplicated.status = 'success' as is_success,
        coalesce(deduplicated.cache_hit, false) as is_proxy_cache_hit,
        deduplicated.call_type = 'acreate_batch'
        or coalesce({{ json_str('deduplicated.metadata', '$.batch') }}, 'false') = 'true' as is_batch,
        -- LiteLLM reports prompt_tokens including cache reads and cache writes, like OpenAI
        deduplicated.prompt_tokens as input_tokens_reported,
        deduplicated.completion_tokens as output_tokens_reported,
        coalesce(
            {{ json_int('deduplicated.metadata', '$.usage_object.cache_read_input_tokens') }},
            {{ json_int('deduplicated.metadata', '$.usage_object.prompt_tokens_details.cached_tokens') }},
            0
        ) as cache_read_tokens,
        coalesce(
            {{ json_int('deduplicated.metadata', '$.usage_object.cache_creation_input_tokens') }}, 0
        ) as cache_write_tokens,
        coalesce(
            {{ json_int('deduplicated.metadata', '$.usage_object.completion_tokens_details.reasoning_tokens') }}, 0
        ) as reasoning_tokens,
        deduplicated.spend as logged_spend_estimate,
        deduplicated.end_user_pseudonym,
        -- what tells a retry or duplicate apart: LiteLLM's cache key and a keyed hash of the
        -- prompt computed at extraction (the prompt text itself never lands)
        deduplicated.cache_key,
        deduplicated.prompt_fingerprint,
        deduplicated.request_duration_ms,
        deduplicated.source_file,
        deduplicated.source_row,
        deduplicated.loaded_at
    from deduplicated_new as deduplicated
    left join tags on deduplicated.request_id = tags.request_id

),

token_parts as (

    select
        *,
        {{ disjoint_log_token_parts() }}
    from renamed

)

select * from token_parts
