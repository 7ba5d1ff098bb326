-- One row per budget (seed budgets: owner key x owner value x budget kind x month x currency):
-- spend to date against the budget and the month-end forecast, as of the budget month's last
-- day with data (its last day once the month is over). Spend and forecast come from
-- int_month_end_spend_forecasted (fully loaded billed cost, logged usage at contracted cost
-- for days not billed yet, weekday-aware run rate). Only months that have started are here;
-- a budget whose owner has no spend yet shows 0.
with

budgets as (

    select * from {{ ref('budgets') }}

),

forecasts as (

    select * from {{ ref('int_month_end_spend_forecasted') }}

),

data_days as (

    select max(as_of_date) as last_day from forecasts

),

latest_forecasts as (

    {% call first_row_per(
        'owner_key, owner_value, budget_kind, billing_currency, month_start', 'as_of_date desc'
    ) -%}
    select *
    from forecasts
    {%- endcall %}

),

budget_months as (

    select
        budgets.budget_id,
        budgets.owner_key,
        budgets.owner_value,
        budgets.kind as budget_kind,
        cast(budgets.month as date) as month_start,
        cast({{ dbt.last_day('budgets.month', 'month') }} as date) as month_end,
        budgets.currency as billing_currency,
        budgets.amount as budget_amount,
        data_days.last_day
    from budgets
    cross join data_days
    where budgets.month <= data_days.last_day

),

joined as (

    select
        budget_months.*,
        least(budget_months.month_end, budget_months.last_day) as as_of_date,
        coalesce(latest_forecasts.actual_to_date, 0) as actual_to_date,
        coalesce(latest_forecasts.unbilled_to_date, 0) as unbilled_to_date,
        coalesce(latest_forecasts.forecast_month_end, 0) as forecast_month_end
    from budget_months
    left join latest_forecasts
        on {{ columns_match('budget_months', 'latest_forecasts', [
            'owner_key', 'owner_value', 'budget_kind', 'billing_currency', 'month_start']) }}

)

select
    budget_id,
    owner_key,
    owner_value,
    budget_kind,
    month_start,
    month_end,
    billing_currency,
    cast(budget_amount as {{ money_type() }}) as budget_amount,
    as_of_date,
    as_of_date >= month_end as is_month_complete,
    cast(actual_to_date as {{ money_type() }}) as actual_to_date,
    cast(unbilled_to_date as {{ money_type() }}) as unbilled_to_date,
    cast(forecast_month_end as {{ money_type() }}) as forecast_month_end,
    cast(budget_amount - actual_to_date as {{ money_type() }}) as remaining_budget,
    {{ money_divide('actual_to_date * 100', 'budget_amount') }} as actual_pct_of_budget,
    {{ money_divide('forecast_month_end * 100', 'budget_amount') }} as forecast_pct_of_budget,
    case
        when actual_to_date >= budget_amount then 'over_budget'
        when forecast_month_end >= budget_amount then 'forecast_over_budget'
        else 'within_budget'
    end as budget_status
from joined
