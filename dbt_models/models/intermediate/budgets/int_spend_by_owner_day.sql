-- One row per owner key x owner value x budget kind x billing currency x day, every day from
-- the first to the last day the warehouse has cost or usage for (days without spend are 0):
-- the daily series budgets and forecasts read. Spend is fully loaded (billed_cost of
-- fct_unit_economics_daily: direct usage plus what allocation rules give the owner), and on
-- days whose bill has not arrived the logged usage at contracted cost (unbilled_contracted_cost),
-- so a budget sees today's spend without waiting for the invoice. The environment decides the
-- budget kind (seed budget_environment_kinds; an environment it does not list is production).
{%- set owner_columns = owner_key_names(include_model=false) %}
with

unit_economics_daily as (

    select * from {{ ref('fct_unit_economics_daily') }}

),

budget_environment_kinds as (

    select * from {{ ref('budget_environment_kinds') }}

),

time_spine as (

    select * from {{ ref('metricflow_time_spine') }}

),

spend_by_kind as (

    select
        unit_economics_daily.date_day,
        {% for key, column in owner_columns %}unit_economics_daily.{{ column }},
        {% endfor -%}
        coalesce(budget_environment_kinds.budget_kind, 'production') as budget_kind,
        unit_economics_daily.billing_currency,
        -- usage-based charges and unbilled usage: what a run rate may extrapolate
        sum(
            unit_economics_daily.billed_cost - unit_economics_daily.recurring_billed_cost
            + unit_economics_daily.unbilled_contracted_cost
        ) as run_rate_cost,
        -- monthly fees, support, credits: counted when they post, never extrapolated
        sum(unit_economics_daily.recurring_billed_cost) as recurring_cost,
        sum(unit_economics_daily.unbilled_contracted_cost) as unbilled_cost
    from unit_economics_daily
    left join budget_environment_kinds
        on unit_economics_daily.environment = budget_environment_kinds.environment
    group by all

),

spend_by_owner as (

    {% call stacked_by_key(owner_columns, 'spend_by_kind', leading=['date_day']) %}
        budget_kind,
        billing_currency,
        sum(run_rate_cost) as run_rate_cost,
        sum(recurring_cost) as recurring_cost,
        sum(unbilled_cost) as unbilled_cost
    {% endcall %}

),

data_days as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from unit_economics_daily

),

calendar as (

    select time_spine.date_day
    from time_spine
    inner join data_days
        on time_spine.date_day between data_days.first_day and data_days.last_day

),

owner_series as (

    select distinct
        owner_key,
        owner_value,
        budget_kind,
        billing_currency
    from spend_by_owner

),

filled as (

    select
        calendar.date_day,
        owner_series.owner_key,
        owner_series.owner_value,
        owner_series.budget_kind,
        owner_series.billing_currency,
        coalesce(spend_by_owner.run_rate_cost, cast(0 as {{ money_type() }})) as run_rate_cost,
        coalesce(spend_by_owner.recurring_cost, cast(0 as {{ money_type() }})) as recurring_cost,
        coalesce(spend_by_owner.unbilled_cost, cast(0 as {{ money_type() }})) as unbilled_cost
    from owner_series
    cross join calendar
    left join spend_by_owner
        on {{ columns_match('owner_series', 'spend_by_owner', [
            'owner_key', 'owner_value', 'budget_kind', 'billing_currency']) }}
        and calendar.date_day = spend_by_owner.date_day

)

select
    date_day,
    owner_key,
    owner_value,
    budget_kind,
    billing_currency,
    cast(run_rate_cost as {{ money_type() }}) as run_rate_cost,
    cast(recurring_cost as {{ money_type() }}) as recurring_cost,
    cast(run_rate_cost + recurring_cost as {{ money_type() }}) as spend,
    cast(unbilled_cost as {{ money_type() }}) as unbilled_cost
from filled
