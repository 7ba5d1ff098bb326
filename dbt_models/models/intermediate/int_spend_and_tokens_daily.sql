-- One row per day x owner keys (team, cost center, product, use case, feature, environment,
-- model) x token part x billing currency x metric (cost | tokens): the daily series the anomaly
-- models watch. Cost is usage-based allocated billed cost (monthly fees, support and credits
-- are scheduled, not anomalies) plus, for days whose bill has not arrived yet, the logged
-- usage priced at contracted cost, so a spike is seen the day it happens, not when it is
-- billed. Tokens are the billable requests' tokens per part (known before any bill).
{%- set owner_columns = owner_keys() %}
with

allocated_costs as (

    select * from {{ ref('fct_allocated_costs') }}

),

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

billed_usage as (

    select
        charge_date as date_day,
        {% for key in owner_columns %}coalesce({{ key }}, 'unassigned') as {{ key }},
        {% endfor -%}
        coalesce(token_part, 'not_tokens') as token_part,
        billing_currency,
        'cost' as metric,
        sum(billed_cost) as amount
    from allocated_costs
    where charge_frequency = 'Usage-Based'
    group by all

),

{{ billed_account_ctes('allocated_costs') }},

unbilled_usage as (

    select
        requests.request_date as date_day,
        {% for key in owner_columns %}coalesce(requests.{{ key }}, 'unassigned') as {{ key }},
        {% endfor -%}
        'not_billed_yet' as token_part,
        coalesce(account_currencies.billing_currency, 'USD') as billing_currency,
        'cost' as metric,
        sum(coalesce(requests.contracted_cost, cast(0 as {{ money_type() }}))) as amount
    from requests
    left join account_currencies
        on requests.billing_account_id = account_currencies.billing_account_id
    left join last_billed_days
        on requests.billing_account_id = last_billed_days.billing_account_id
    where {{ is_unbilled_request('requests', 'last_billed_days') }}
    group by all

),

request_tokens as (

    -- the token parts as bills charge them (macros/token_parts.sql): the cost rows' parts
    {% for part, columns, list_costs in token_parts() %}
        {%- set column = token_part_sum(columns) %}
        select
            request_date as date_day,
            {% for key in owner_columns %}coalesce({{ key }}, 'unassigned') as {{ key }},
            {% endfor -%}
            '{{ part }}' as token_part,
            cast(null as {{ dbt.type_string() }}) as billing_currency,
            'tokens' as metric,
            cast(sum({{ column }}) as {{ money_type() }}) as amount
        from requests
        where pricing_status <> 'not_billable'
        group by all
        having sum({{ column }}) <> 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unioned as (

    select * from billed_usage
    union all
    select * from unbilled_usage
    union all
    select * from request_tokens

)

select
    date_day,
    {% for key in owner_columns %}{{ key }},
    {% endfor -%}
    token_part,
    billing_currency,
    metric,
    cast(sum(amount) as {{ money_type() }}) as amount
from unioned
group by all
