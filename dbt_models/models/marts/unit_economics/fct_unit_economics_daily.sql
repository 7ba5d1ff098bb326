-- One row per day x team x cost center x product x use case x feature x environment x model x
-- billing currency: the additive base of unit economics. Billed money comes from
-- fct_allocated_costs (every charge, shared fees included: they are real cost), tokens and
-- requests from fct_llm_requests. A full outer join keeps cost without requests (shared fees,
-- unallocated charges, GPU hosts) and requests without cost (bills not yet delivered) alike;
-- a side that is missing counts 0. Every column sums across rows; ratios live in
-- rpt_unit_economics_long and rpt_driver_unit_economics_long. direct_billed_cost is the part of
-- billed_cost matched to the owner's own usage (allocated_method_id direct_usage_*);
-- unbilled_request_count counts billable requests on a day after the last day their billing
-- account has been billed for (its bill has not arrived): unit costs of such a day are null,
-- and unbilled_contracted_cost is what those requests will cost at contracted prices (what
-- budgets count until the bill arrives). Requests are priced in the price catalog's currency:
-- their costs are converted into the row's billing currency, so a EUR account's unbilled usage
-- adds EUR to its EUR bill. recurring_billed_cost is the part of billed_cost from
-- charges that are not usage-based (monthly fees, credits): forecasts do not extrapolate it.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set owner_columns = owner_keys() %}
{%- set catalog_currency = "'" ~ price_catalog_currency() ~ "'" %}
{#- (column, catalog-currency sum, rate): request costs into the billing and reporting currency -#}
{%- set request_cost_conversions = [
    ('request_list_cost', 'request_list_cost', 'billing_fx_rate'),
    ('unbilled_contracted_cost', 'unbilled_contracted_cost', 'billing_fx_rate'),
    ('request_list_cost_reporting', 'request_list_cost', 'reporting_fx_rate'),
    ('unbilled_contracted_cost_reporting', 'unbilled_contracted_cost', 'reporting_fx_rate'),
] %}
{#- (measure, fact column, condition: only rows that meet it count; none: every row); the
    billed cost of each token part (macros/token_parts.sql) has its own measure -#}
{%- set cost_measure_definitions = [
    ('billed_cost', 'billed_cost', none),
    ('direct_billed_cost', 'billed_cost', is_direct_cost('allocated_method_id')),
    ('effective_cost', 'effective_cost', none),
    ('billed_list_cost', 'list_cost', none),
] %}
{%- for part, tokens, list_costs in token_parts() %}
    {%- do cost_measure_definitions.append(
        (part ~ '_billed_cost', 'billed_cost', "token_part = '" ~ part ~ "'")) %}
{%- endfor %}
{%- do cost_measure_definitions.extend([
    ('non_token_billed_cost', 'billed_cost', 'token_part is null'),
    ('recurring_billed_cost', 'billed_cost', "coalesce(charge_frequency, 'Usage-Based') <> 'Usage-Based'"),
]) %}
{%- set cost_measures = cost_measure_definitions | map(attribute=0) | list %}
{#- the request-grain token columns of every part, and their total -#}
{%- set token_columns = [] %}
{%- for part, tokens, list_costs in token_parts() %}{% do token_columns.extend(tokens) %}{% endfor %}
{%- do token_columns.append('total_tokens') %}
{%- set count_measures = ['billed_tokens', 'request_count', 'successful_request_count', 'billable_request_count',
                          'unpriced_request_count', 'unbilled_request_count'] + token_columns %}
with

allocated_costs as (

    select * from {{ ref('fct_allocated_costs') }}

),

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

owner_names as (

    select * from {{ ref('int_owner_names') }}

),

costs as (

    select
        charge_date as date_day,
        {% for key in owner_columns %}coalesce({{ key }}, 'unassigned') as {{ key }},
        {% endfor -%}
        billing_currency,
        {% for suffix in ['', '_reporting'] -%}
        {#- each money measure once, in the billing currency and (the *_reporting twin) in the
            reporting currency, null when a charge in it has no FX rate -#}
            {% for name, column, condition in cost_measure_definitions -%}
                {% if suffix == '' -%}
                    sum({% if condition %}case when {{ condition }} then {{ column }} else cast(0 as {{ money_type() }}) end{% else %}{{ column }}{% endif %})
                {%- else -%}
                    {{ sum_converted(('case when ' ~ condition ~ ' then ' ~ column ~ suffix ~ ' else cast(0 as ' ~ money_type() ~ ') end') if condition else column ~ suffix) }}
                {%- endif %} as {{ name }}{{ suffix }},
            {% endfor -%}
        {% endfor -%}
        sum(allocated_tokens) as billed_tokens
    from allocated_costs
    group by all

),

{{ billed_account_ctes('allocated_costs') }},

request_totals as (

    select
        requests.request_date as date_day,
        {% for key in owner_columns %}coalesce(requests.{{ key }}, 'unassigned') as {{ key }},
        {% endfor -%}
        -- the price catalog's currency when the account has no bill yet
        coalesce(account_currencies.billing_currency, 'USD') as billing_currency,
        count(*) as request_count,
        count(case when requests.is_success then 1 end) as successful_request_count,
        count(case when requests.pricing_status <> 'not_billable' then 1 end) as billable_request_count,
        count(case when requests.pricing_status = 'unpriced' then 1 end) as unpriced_request_count,
        count(case when {{ is_unbilled_request('requests', 'last_billed_days') }} then 1 end)
            as unbilled_request_count,
        sum(case when {{ is_unbilled_request('requests', 'last_billed_days') }}
                then requests.contracted_cost
        end) as unbilled_contracted_cost,
        -- tokens a provider bills: failed calls and proxy cache hits cost nothing and are left out
        {% for column in token_columns -%}
            sum(case when requests.pricing_status <> 'not_billable' then requests.{{ column }} else 0 end) as {{ column }},
        {% endfor -%}
        sum(requests.list_cost) as request_list_cost
    from requests
    left join account_currencies
        on requests.billing_account_id = account_currencies.billing_account_id
    left join last_billed_days
        on requests.billing_account_id = last_billed_days.billing_account_id
    group by all

),

request_currency_days as (

    select distinct
        date_day,
        billing_currency
    from request_totals

),

catalog_rates as (

    -- requests are priced from the price catalog: their list and contracted cost convert from
    -- its currency to the row's billing currency (a EUR account's requests count in EUR, as
    -- its bill does) and to the reporting currency, at the rates in force on the request's day
    -- (the same fx_rate_basis); null when a rate is missing, never 1 (the not_null tests on
    -- request_list_cost and unbilled_contracted_cost then fail)
    select
        currency_days.date_day,
        currency_days.billing_currency,
        {{ fx_rate_between(catalog_currency, 'currency_days.billing_currency', 'from_rate', 'billing_rate') }}
            as billing_fx_rate,
        {{ fx_rate_to_reporting(catalog_currency, 'from_rate', 'to_rate') }} as reporting_fx_rate
    from request_currency_days as currency_days
    {{ join_fx_rate_in_force('from_rate', catalog_currency, fx_rate_date('currency_days.date_day')) }}
    {{ join_fx_rate_in_force('billing_rate', 'currency_days.billing_currency', fx_rate_date('currency_days.date_day')) }}
    {{ join_fx_rate_in_force('to_rate', "'" ~ reporting_currency() ~ "'", fx_rate_date('currency_days.date_day')) }}

),

request_totals_rated as (

    select
        request_totals.*,
        catalog_rates.billing_fx_rate,
        catalog_rates.reporting_fx_rate
    from request_totals
    left join catalog_rates
        on request_totals.date_day = catalog_rates.date_day
        and request_totals.billing_currency = catalog_rates.billing_currency

),

joined as (

    select
        coalesce(costs.date_day, request_totals.date_day) as date_day,
        {% for key in owner_columns %}coalesce(costs.{{ key }}, request_totals.{{ key }}) as {{ key }},
        {% endfor -%}
        coalesce(costs.billing_currency, request_totals.billing_currency) as billing_currency,
        {% for column in cost_measures -%}
            coalesce(costs.{{ column }}, cast(0 as {{ money_type() }})) as {{ column }},
            -- no cost row: 0 in any currency; a cost row without a rate stays null
            case when costs.date_day is null then cast(0 as {{ money_type() }}) else costs.{{ column }}_reporting end
                as {{ column }}_reporting,
        {% endfor -%}
        {% for column in count_measures if column != 'billed_tokens' -%}
            coalesce(request_totals.{{ column }}, 0) as {{ column }},
        {% endfor -%}
        -- list cost of the priced requests (unpriced ones have none: unpriced_request_count) and
        -- contracted cost of the unbilled ones, from the catalog's currency into the billing
        -- currency and the reporting currency; no request row: 0; a missing rate: null
        {% for target, source, rate in request_cost_conversions -%}
            case
                when request_totals.date_day is null then cast(0 as {{ money_type() }})
                else {{ fx_convert('coalesce(request_totals.' ~ source ~ ', 0)', 'request_totals.' ~ rate) }}
            end as {{ target }},
        {% endfor -%}
        coalesce(costs.billed_tokens, 0) as billed_tokens
    from costs
    full outer join request_totals_rated as request_totals
        on costs.date_day = request_totals.date_day
        {% for key in owner_columns %}and costs.{{ key }} = request_totals.{{ key }}
        {% endfor -%}
        and costs.billing_currency = request_totals.billing_currency

)

select
    {{ surrogate_key(['date_day'] + owner_columns + ['billing_currency']) }}
        as unit_economics_daily_id,
    joined.date_day,
    {% for key in owner_columns %}joined.{{ key }},
    {% endfor -%}
    joined.billing_currency,
    {% for column in cost_measures -%}
        cast(joined.{{ column }} as {{ money_type() }}) as {{ column }},
    {% endfor -%}
    {% for column in count_measures -%}
        cast(joined.{{ column }} as bigint) as {{ column }},
    {% endfor -%}
    cast(joined.request_list_cost as {{ money_type() }}) as request_list_cost,
    cast(joined.unbilled_contracted_cost as {{ money_type() }}) as unbilled_contracted_cost,
    -- readable names beside the ids, for BI tools and statements
    coalesce(team_names.owner_name, joined.team_id) as team_name,
    coalesce(cost_center_names.owner_name, joined.cost_center_id) as cost_center_name,
    -- the money measures in the reporting currency (var reporting_currency): sums of the fact's
    -- *_reporting columns; request costs converted from the price catalog's currency
    '{{ reporting_currency() }}' as reporting_currency,
    {% for column in cost_measures + ['request_list_cost', 'unbilled_contracted_cost'] -%}
        cast(joined.{{ column }}_reporting as {{ money_type() }})
            as {{ column }}_reporting{% if not loop.last %},{% endif %}
    {% endfor %}
from joined
{{- owner_name_joins('joined') }}
