-- One row per month x owner (team, cost center, product, use case, feature, environment) x
-- provider x model x waste kind (failed | retry | duplicate): the requests that bought nothing
-- new and what they cost. An ESTIMATE: each request is priced at the list price in force on
-- its day and at the contract's terms (contracted cost, USD, the price catalog's currency);
-- a failed call is priced on the tokens it logged (providers bill failed calls only when they
-- consumed tokens, so this is usually zero). Retries and duplicates: see int_requests_repeated.
{%- set parts = [
    ('uncached_input_tokens', 'input_rate'),
    ('cache_read_tokens', 'cache_read_rate'),
    ('cache_write_tokens', 'cache_write_rate'),
    ('output_tokens', 'output_rate'),
    ('reasoning_tokens', 'reasoning_rate'),
] %}
with

requests as (

    select * from {{ ref('int_requests_repeated') }}
    where waste_kind is not null

),

costed as (

    select
        *,
        case
            when waste_kind <> 'failed' then list_cost
            when not has_price then null
            else {% for part, rate in parts %}coalesce({{ tokens_to_cost(part, rate) }}, 0){% if not loop.last %} + {% endif %}{% endfor %}
        end as waste_list_cost
    from requests

),

contract_priced as (

    select
        *,
        case
            when waste_kind <> 'failed' then contracted_cost
            else waste_list_cost * (1 - coalesce(contract_discount_pct, 0) * 0.01)
        end as waste_contracted_cost
    from costed

)

select
    cast({{ dbt.date_trunc('month', 'request_date') }} as date) as month_start,
    team_id,
    cost_center_id,
    product,
    use_case,
    feature,
    environment,
    provider_id,
    model_id,
    waste_kind,
    count(*) as request_count,
    sum(total_tokens) as total_tokens,
    count(*) filter (where waste_list_cost is null) as unpriced_request_count,
    cast(sum(waste_list_cost) as {{ money_type() }}) as estimated_list_cost_usd,
    cast(sum(waste_contracted_cost) as {{ money_type() }}) as estimated_contracted_cost_usd,
    'requests priced at list and contracted rates in force on their day; retry/duplicate = same caller and prompt fingerprint within '
        || '{{ var("waste_repeat_window_seconds") }}' || ' s' as estimate_method
from contract_priced
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
