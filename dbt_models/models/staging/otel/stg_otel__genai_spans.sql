-- One row per GenAI span (one model call). Spans delivered twice keep the first loaded copy.
-- Incremental by request day, like stg_litellm__requests (macros/incremental_days.sql).
{%- set raw_spans = source('otel', 'otel_genai_spans') %}
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan('request_date',
        'select distinct cast(start_time as date) from ' ~ source('otel', 'otel_genai_spans'),
        incremental_fingerprint([ref('provider_names')]),
        source_rel=source('otel', 'otel_genai_spans'), id_column='span_id',
        ts_column='start_time') }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

{{ request_log_rows(raw_spans, [('trace_id', 'trace_id'), ('span_id', 'request_id')]) }},

renamed as (

    select
        span_id as request_id,
        trace_id,
        'otel' as source_system,
        start_time as requested_at,
        cast(start_time as date) as request_date,
        {{ provider_id_from_name('provider_name') }} as provider_id,
        coalesce(response_model, request_model) as model_raw,
        operation_name as call_type,
        cast(null as {{ dbt.type_string() }}) as api_key_hash,
        cast(null as {{ dbt.type_string() }}) as litellm_team_id,
        cast(null as {{ dbt.type_string() }}) as team_alias,
        service_name,
        cloud_account_id as sub_account_id,
        -- the owner keys a span carries (macros/owner_keys.sql request_owner_keys())
        {% for owner in request_owner_keys() -%}
            {{ otel_owner_key_value(owner) }} as {{ owner.key }},
        {% endfor -%}
        coalesce(status_code, 0) <> 2 as is_success,
        false as is_proxy_cache_hit,
        coalesce(
            {{ json_str('span_attributes', '$."aws.bedrock.invocation_type"') }}, ''
        ) = 'batch' as is_batch,
        -- OpenTelemetry counts cache reads and writes inside input tokens and reasoning inside
        -- output tokens
        input_tokens as input_tokens_reported,
        output_tokens as output_tokens_reported,
        coalesce(cache_read_input_tokens, 0) as cache_read_tokens,
        coalesce(cache_creation_input_tokens, 0) as cache_write_tokens,
        coalesce(reasoning_output_tokens, 0) as reasoning_tokens,
        cast(null as decimal(20, 10)) as logged_spend_estimate,
        enduser_pseudonym as end_user_pseudonym,
        source_file,
        source_row,
        loaded_at
    from deduplicated_new

),

token_parts as (

    select
        *,
        {{ disjoint_log_token_parts() }}
    from renamed

)

select * from token_parts
