-- One row per LLM request: its owner, model, token parts and list cost at the price in force.
-- The grain for cost per request and per token; billed money is in fct_allocated_costs.
-- Incremental by request day: the days int_requests_priced rebuilt (macros/incremental_days.sql).
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan_after('int_requests_priced') }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
select
    request_uid,
    request_id,
    source_system,
    requested_at,
    request_date,
    provider_id,
    billing_account_id,
    sub_account_id,
    model_raw,
    model_id,
    {% for key in owner_keys(include_model=false) -%}
        {{ key }},
    {% endfor -%}
    team_resolved_by,
    is_success,
    is_proxy_cache_hit,
    is_batch,
    pricing_status,
    price_source,
    price_effective_from,
    used_fallback_rate,
    uncached_input_tokens,
    cache_read_tokens,
    cache_write_tokens,
    output_tokens,
    reasoning_tokens,
    total_tokens,
    uncached_input_list_cost,
    cache_read_list_cost,
    cache_write_list_cost,
    output_list_cost,
    reasoning_list_cost,
    list_cost,
    contracted_cost,
    end_user_pseudonym
from {{ ref('int_requests_priced') }}
where {{ incremental_days_filter('request_date') }}
