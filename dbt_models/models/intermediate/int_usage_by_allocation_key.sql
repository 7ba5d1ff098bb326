-- One row per day x provider x billing account x sub-account x model x batch flag x owner:
-- the billable usage that allocation weights come from.
-- Incremental by day: the days int_requests_priced rebuilt (macros/incremental_days.sql).
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan_after('int_requests_priced') }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

priced as (

    select * from {{ ref('int_requests_priced') }}
    where {{ incremental_days_filter('request_date') }}

)

select
    request_date,
    provider_id,
    billing_account_id,
    sub_account_id,
    model_id,
    is_batch,
    {% for key in owner_keys(include_model=false) %}{{ key }},
    {% endfor -%}
    count(*) as request_count,
    sum(case when pricing_status = 'unpriced' then 1 else 0 end) as unpriced_request_count,
    sum(uncached_input_tokens) as uncached_input_tokens,
    sum(cache_read_tokens) as cache_read_tokens,
    sum(cache_write_tokens) as cache_write_tokens,
    sum(output_tokens) as output_tokens,
    sum(reasoning_tokens) as reasoning_tokens,
    sum(total_tokens) as total_tokens,
    sum(uncached_input_list_cost) as uncached_input_list_cost,
    sum(cache_read_list_cost) as cache_read_list_cost,
    sum(cache_write_list_cost) as cache_write_list_cost,
    sum(output_list_cost) as output_list_cost,
    sum(reasoning_list_cost) as reasoning_list_cost,
    sum(list_cost) as list_cost
from priced
where pricing_status <> 'not_billable'
group by
    request_date, provider_id, billing_account_id, sub_account_id, model_id, is_batch,
    {{ owner_key_list(include_model=false) }}
