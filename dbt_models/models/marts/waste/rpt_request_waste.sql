-- One row per month x owner (team, cost center, product, use case, feature, environment) x
-- provider x model x waste kind (failed | retry | duplicate): the requests that bought nothing
-- new and what they cost. An ESTIMATE: each request is priced at the list price in force on
-- its day and at the contract's terms (contracted cost, USD, the price catalog's currency);
-- a failed call is priced on the tokens it logged (providers bill failed calls only when they
-- consumed tokens, so this is usually zero). Retries and duplicates: see int_requests_repeated.
with

requests as (

    select * from {{ ref('int_requests_repeated') }}
    where waste_kind is not null

),

costed as (

    -- a failed call never reaches the bill (its list_cost is 0): it is priced on the tokens it
    -- logged, at the rates in force on its day (int_requests_priced's usage costs)
    select
        *,
        case when waste_kind = 'failed' then usage_list_cost else list_cost end as waste_list_cost,
        case when waste_kind = 'failed' then usage_contracted_cost else contracted_cost end
            as waste_contracted_cost
    from requests

)

select
    cast({{ dbt.date_trunc('month', 'request_date') }} as date) as month_start,
    {{ owner_key_list(include_model=false) }},
    provider_id,
    model_id,
    waste_kind,
    count(*) as request_count,
    {{ count_sum('total_tokens') }} as total_tokens,
    count(*) filter (where waste_list_cost is null) as unpriced_request_count,
    cast(sum(waste_list_cost) as {{ money_type() }}) as estimated_list_cost_usd,
    cast(sum(waste_contracted_cost) as {{ money_type() }}) as estimated_contracted_cost_usd,
    'requests priced at list and contracted rates in force on their day; '
    || 'retry/duplicate = same caller and prompt fingerprint within '
    || '{{ var("waste_repeat_window_seconds") }}' || ' s' as estimate_method
from costed
group by {{ range(1, owner_keys(include_model=false) | length + 5) | join(', ') }}
