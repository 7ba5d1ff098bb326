-- One row per month x provider x use case x model whose requests are short and simple enough
-- for a cheaper model of the same provider: the candidate and the monthly saving at current
-- list prices (int_prices_current, USD). An ESTIMATE, method: a use case's traffic on a model
-- qualifies when it has at least var('right_sizing_min_requests') successful requests, the
-- 90th percentile of prompt tokens is at most var('right_sizing_max_input_tokens'), that of
-- completion tokens at most var('right_sizing_max_output_tokens'), and it uses no reasoning
-- tokens. Candidates are models of the same provider that the company already calls with the
-- same call type (so they are known to be available and fit the API), priced in the catalog;
-- the one that would have cost least for this month's tokens is named when it is cheaper.
-- Saving = the month's tokens at the current model's price - the same tokens at the
-- candidate's (cache reads are priced as input on both sides when a model has no cache price).
with

requests as (

    select * from {{ ref('int_requests_priced') }}
    where is_success and not is_proxy_cache_hit

),

current_prices as (

    select * from {{ ref('int_prices_current') }}

),

traffic as (

    select
        cast({{ dbt.date_trunc('month', 'request_date') }} as date) as month_start,
        provider_id,
        price_provider_id,
        call_type,
        use_case,
        model_id,
        count(*) as request_count,
        {{ percentile_cont('uncached_input_tokens + cache_read_tokens + cache_write_tokens', 0.9) }}
            as p90_input_tokens,
        {{ percentile_cont(part_tokens('output'), 0.9) }} as p90_output_tokens,
        {{ count_sum('reasoning_tokens') }} as reasoning_tokens,
        {{ count_sum('uncached_input_tokens + cache_write_tokens') }} as input_tokens,
        {{ count_sum('cache_read_tokens') }} as cache_read_tokens,
        {{ count_sum('output_tokens') }} as output_tokens
    from requests
    where model_id is not null
    group by 1, 2, 3, 4, 5, 6

),

simple_traffic as (

    select *
    from traffic
    where request_count >= {{ var('right_sizing_min_requests') }}
        and p90_input_tokens <= {{ var('right_sizing_max_input_tokens') }}
        and p90_output_tokens <= {{ var('right_sizing_max_output_tokens') }}
        and reasoning_tokens = 0

),

models_in_use as (

    select distinct
        price_provider_id,
        call_type,
        model_id
    from traffic

),

costed as (

    -- this month's tokens of a use case, at the current price of its model and of each
    -- candidate of the same provider and call type
    select
        simple_traffic.*,
        candidates.model_id as candidate_model_id,
        {{ tokens_to_cost('simple_traffic.input_tokens', 'current_model.input_usd_per_mtok') }}
        + {{ tokens_to_cost(
            'simple_traffic.cache_read_tokens', 'current_model.cache_read_usd_per_mtok'
        ) }}
        + {{ tokens_to_cost('simple_traffic.output_tokens', 'current_model.output_usd_per_mtok') }}
            as current_cost_usd,
        {{ tokens_to_cost('simple_traffic.input_tokens', 'candidate_prices.input_usd_per_mtok') }}
        + {{ tokens_to_cost(
            'simple_traffic.cache_read_tokens', 'candidate_prices.cache_read_usd_per_mtok'
        ) }}
        + {{ tokens_to_cost(
            'simple_traffic.output_tokens', 'candidate_prices.output_usd_per_mtok'
        ) }}
            as candidate_cost_usd
    from simple_traffic
    inner join current_prices as current_model
        on simple_traffic.price_provider_id = current_model.provider_id
        and simple_traffic.model_id = current_model.model_id
    inner join models_in_use as candidates
        on simple_traffic.price_provider_id = candidates.price_provider_id
        and simple_traffic.call_type = candidates.call_type
        and simple_traffic.model_id <> candidates.model_id
    inner join current_prices as candidate_prices
        on candidates.price_provider_id = candidate_prices.provider_id
        and candidates.model_id = candidate_prices.model_id

),

cheapest as (

    {% call first_row_per(
        'month_start, provider_id, call_type, use_case, model_id',
        'candidate_cost_usd, candidate_model_id'
    ) -%}
    select *
    from costed
    where candidate_cost_usd < current_cost_usd
    {%- endcall %}

)

select
    month_start,
    provider_id,
    use_case,
    call_type,
    model_id,
    candidate_model_id,
    request_count,
    p90_input_tokens,
    p90_output_tokens,
    input_tokens,
    cache_read_tokens,
    output_tokens,
    cast(current_cost_usd as {{ money_type() }}) as current_cost_usd,
    cast(candidate_cost_usd as {{ money_type() }}) as candidate_cost_usd,
    cast(current_cost_usd - candidate_cost_usd as {{ money_type() }})
        as estimated_monthly_saving_usd
from cheapest
