-- One row per month x provider x model x team x use case: how much of the prompt was served
-- from the provider's prompt cache (and from the proxy's response cache), what prompt caching
-- would have saved, and what the batch API would have saved on batch-eligible traffic, both at
-- current list prices (int_prices_current, USD). ESTIMATES, methods:
--   caching: of the uncached input tokens of successful requests whose prompt is at least
--     var('waste_min_cacheable_prompt_tokens') long (providers cache nothing shorter), a share
--     var('waste_cacheable_input_share') is assumed to be a repeated prefix; it would have
--     been read at the cache-read price instead of the input price (cache write premiums are
--     not counted: an upper bound). Only models the catalog prices cache reads for.
--   batch: a use case is batch-eligible when part of its traffic on the provider already runs
--     through a batch API that month (it tolerates asynchronous answers) or it is named in
--     var('batch_eligible_use_cases'); its other requests' uncached input and output tokens
--     at the batch price instead of the standard one.
with

requests as (

    select * from {{ ref('int_requests_priced') }}
    where is_success

),

current_prices as (

    select * from {{ ref('int_prices_current') }}

),

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'request_date') }} as date) as month_start,
        provider_id,
        price_provider_id,
        model_id,
        team_id,
        use_case,
        count(*) as request_count,
        count(*) filter (where is_proxy_cache_hit) as proxy_cache_hit_count,
        count(*) filter (where is_batch) as batch_request_count,
        -- token rates over what reached the provider: a proxy cache hit never did
        {{ count_sum('case when not is_proxy_cache_hit
            then uncached_input_tokens + cache_read_tokens + cache_write_tokens else 0 end') }}
            as input_tokens,
        {{ count_sum('case when not is_proxy_cache_hit then cache_read_tokens else 0 end') }}
            as cache_read_tokens,
        sum(case when not is_proxy_cache_hit and not is_batch
                and uncached_input_tokens + cache_read_tokens + cache_write_tokens
                >= {{ var('waste_min_cacheable_prompt_tokens') }}
                then uncached_input_tokens
            else 0
        end) as cacheable_uncached_input_tokens,
        {{ count_sum('case when not is_batch and not is_proxy_cache_hit
            then uncached_input_tokens else 0 end') }} as standard_input_tokens,
        {{ count_sum('case when not is_batch and not is_proxy_cache_hit then '
            ~ part_tokens('output') ~ ' else 0 end') }} as standard_output_tokens
    from requests
    group by 1, 2, 3, 4, 5, 6

),

batch_users as (

    select distinct
        month_start,
        provider_id,
        use_case
    from monthly
    where batch_request_count > 0
    {%- for use_case in var('batch_eligible_use_cases') %}
    union
    select distinct
        month_start,
        provider_id,
        use_case
    from monthly
    where use_case = '{{ use_case }}'
    {%- endfor %}

),

priced as (

    select
        monthly.*,
        batch_users.use_case is not null as is_batch_eligible,
        current_prices.model_id is not null as has_current_price,
        current_prices.has_cache_price,
        -- rounded half away from zero (a decimal cast to an integer truncates on Spark)
        cast(round(
            monthly.cacheable_uncached_input_tokens * {{ var('waste_cacheable_input_share') }}
        ) as bigint) as assumed_cacheable_tokens,
        current_prices.input_usd_per_mtok,
        current_prices.cache_read_usd_per_mtok,
        current_prices.output_usd_per_mtok,
        current_prices.batch_input_usd_per_mtok,
        current_prices.batch_output_usd_per_mtok
    from monthly
    left join batch_users
        on monthly.month_start = batch_users.month_start
        and monthly.provider_id = batch_users.provider_id
        and monthly.use_case = batch_users.use_case
    left join current_prices
        on monthly.price_provider_id = current_prices.provider_id
        and monthly.model_id = current_prices.model_id

)

select
    month_start,
    provider_id,
    model_id,
    team_id,
    use_case,
    request_count,
    proxy_cache_hit_count,
    {{ count_ratio('proxy_cache_hit_count', 'request_count') }} as proxy_cache_hit_rate,
    input_tokens,
    cache_read_tokens,
    {{ count_ratio('cache_read_tokens', 'input_tokens') }} as prompt_cache_hit_rate,
    assumed_cacheable_tokens,
    case when not has_current_price then null
        when has_cache_price
            then {{ tokens_to_cost('assumed_cacheable_tokens', 'input_usd_per_mtok') }}
                - {{ tokens_to_cost('assumed_cacheable_tokens', 'cache_read_usd_per_mtok') }}
        else cast(0 as {{ money_type() }})
    end as estimated_caching_saving_usd,
    batch_request_count,
    is_batch_eligible,
    case when is_batch_eligible then standard_input_tokens + standard_output_tokens else 0 end
        as batch_eligible_standard_tokens,
    case
        when not is_batch_eligible then cast(0 as {{ money_type() }})
        when not has_current_price then null
        else {{ tokens_to_cost('standard_input_tokens', 'input_usd_per_mtok') }}
            - {{ tokens_to_cost('standard_input_tokens', 'batch_input_usd_per_mtok') }}
            + {{ tokens_to_cost('standard_output_tokens', 'output_usd_per_mtok') }}
            - {{ tokens_to_cost('standard_output_tokens', 'batch_output_usd_per_mtok') }}
    end as estimated_batch_saving_usd,
    has_current_price
from priced
