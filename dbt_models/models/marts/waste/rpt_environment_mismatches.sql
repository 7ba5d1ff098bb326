-- One row per month x owner x model x finding: production-size models used outside production
-- ('production_model_outside_production': development or experiment traffic on a model
-- whose current input list price is at least var('production_size_input_usd_per_mtok') per
-- million tokens) and experiments running in production ('experiment_in_production': production
-- traffic of a feature whose traffic that month is mostly in the experiment environment).
-- Costs are the requests' list and contracted cost at the prices of their day (USD): an
-- ESTIMATE of the money at stake, not a saving.
with

requests as (

    select * from {{ ref('int_requests_priced') }}
    where is_success and not is_proxy_cache_hit

),

current_prices as (

    select * from {{ ref('int_prices_current') }}

),

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'request_date') }} as date) as month_start,
        {{ owner_key_list(include_model=false) }},
        provider_id,
        price_provider_id,
        model_id,
        count(*) as request_count,
        {{ count_sum('total_tokens') }} as total_tokens,
        cast(sum(list_cost) as {{ money_type() }}) as list_cost_usd,
        cast(sum(contracted_cost) as {{ money_type() }}) as contracted_cost_usd
    from requests
    group by {{ range(1, owner_keys(include_model=false) | length + 5) | join(', ') }}

),

feature_mix as (

    select
        *,
        sum(case when environment = 'experiment' then request_count else 0 end) over features
            as experiment_requests,
        sum(request_count) over features as feature_requests
    from monthly
    window features as (partition by month_start, team_id, product, use_case, feature)

),

findings as (

    select
        feature_mix.*,
        current_prices.input_usd_per_mtok as current_input_usd_per_mtok,
        case
            -- staging is left out: it is meant to mirror production, models included
            when feature_mix.environment in ('development', 'experiment')
                and current_prices.input_usd_per_mtok
                >= {{ var('production_size_input_usd_per_mtok') }}
                then 'production_model_outside_production'
            when feature_mix.environment = 'production'
                and feature_mix.feature <> 'unassigned'
                and 2 * feature_mix.experiment_requests > feature_mix.feature_requests
                then 'experiment_in_production'
        end as finding
    from feature_mix
    left join current_prices
        on feature_mix.price_provider_id = current_prices.provider_id
        and feature_mix.model_id = current_prices.model_id

)

select
    month_start,
    finding,
    {{ owner_key_list(include_model=false) }},
    provider_id,
    model_id,
    current_input_usd_per_mtok,
    request_count,
    total_tokens,
    {{ count_ratio('experiment_requests', 'feature_requests') }} as feature_experiment_share,
    list_cost_usd,
    contracted_cost_usd
from findings
where finding is not null
