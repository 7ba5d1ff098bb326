-- One row per owner key x owner value x budget kind x billing currency x day (the day the
-- forecast is made, as_of_date): month-to-date spend through that day and the month-end
-- forecast, as it would have been made that day. The method (weekday-aware run rate):
--   forecast = spend to date
--            + for each remaining day of the month, the mean run-rate spend of the same weekday
--              over the trailing 28 days (the as-of day included; only days the warehouse
--              has data for; a weekday the window lacks takes the window's mean day)
--            + recurring charges (fees, credits) the previous month posted on a later day of
--              the month than the as-of day, not yet posted this month.
-- Usage is extrapolated, monthly fees are not: a fee posted on the 1st would otherwise be
-- multiplied by the month's length. linear_run_rate_forecast (spend to date / days elapsed x
-- days in month) is the plain baseline the backtest compares with. month_actual is the whole
-- month's spend, for months the data covers from their first to their last day.
{%- set series = ['owner_key', 'owner_value', 'budget_kind', 'billing_currency'] %}
{%- set trailing_days = var('budget_forecast_trailing_days') %}
with

daily_spend as (

    select * from {{ ref('int_spend_by_owner_day') }}

),

time_spine as (

    select * from {{ ref('metricflow_time_spine') }}

),

data_days as (

    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from daily_spend

),

month_to_date as (

    select
        daily_spend.*,
        cast({{ dbt.date_trunc('month', 'daily_spend.date_day') }} as date) as month_start,
        cast({{ dbt.last_day('daily_spend.date_day', 'month') }} as date) as month_end,
        sum(daily_spend.spend) over month_so_far as actual_to_date,
        sum(daily_spend.unbilled_cost) over month_so_far as unbilled_to_date,
        sum(daily_spend.spend) over whole_month as month_spend
    from daily_spend
    window
        whole_month as (
            partition by
                {% for column in series %}daily_spend.{{ column }},
                {% endfor -%}
                {{ dbt.date_trunc('month', 'daily_spend.date_day') }}
        ),
        -- spelled out, not `whole_month order by ...`: Spark has no window inheritance
        month_so_far as (
            partition by
                {% for column in series %}daily_spend.{{ column }},
                {% endfor -%}
                {{ dbt.date_trunc('month', 'daily_spend.date_day') }}
            order by daily_spend.date_day
            rows between unbounded preceding and current row
        )

),

weekday_history as (

    -- run-rate spend per weekday over the trailing window of each as-of day
    select
        {% for column in series %}as_of.{{ column }},
        {% endfor -%}
        as_of.date_day as as_of_date,
        extract(dow from history.date_day) as day_of_week,
        sum(history.run_rate_cost) as weekday_cost,
        count(*) as weekday_days
    from daily_spend as as_of
    inner join daily_spend as history
        on {% for column in series %}
            history.{{ column }} = as_of.{{ column }}
            and {% endfor -%}
        history.date_day between {{ dbt.dateadd('day', 1 - trailing_days, 'as_of.date_day') }}
        and as_of.date_day
    group by all

),

weekday_rates as (

    select
        weekday_history.*,
        {{ money_divide('weekday_cost', 'cast(weekday_days as bigint)') }} as weekday_rate,
        {{ money_divide(
            'sum(weekday_cost) over (partition by ' ~ series | join(', ') ~ ', as_of_date)',
            'sum(weekday_days) over (partition by ' ~ series | join(', ') ~ ', as_of_date)'
        ) }} as window_rate
    from weekday_history

),

window_rates as (

    select distinct
        {% for column in series %}{{ column }},
        {% endfor -%}
        as_of_date,
        window_rate
    from weekday_rates

),

remaining_weekdays as (

    -- how many of each weekday are left in the month after each as-of day (any series)
    select
        as_of_days.date_day as as_of_date,
        extract(dow from time_spine.date_day) as day_of_week,
        count(*) as remaining_days
    from (select distinct date_day from daily_spend) as as_of_days
    inner join time_spine
        on as_of_days.date_day < time_spine.date_day
        and time_spine.date_day <= cast({{ dbt.last_day('as_of_days.date_day', 'month') }} as date)
    group by all

),

run_rate_remaining as (

    select
        {% for column in series %}window_rates.{{ column }},
        {% endfor -%}
        window_rates.as_of_date,
        sum(
            remaining_weekdays.remaining_days
            * coalesce(weekday_rates.weekday_rate, window_rates.window_rate)
        ) as run_rate_remaining
    from window_rates
    inner join remaining_weekdays
        on window_rates.as_of_date = remaining_weekdays.as_of_date
    left join weekday_rates
        on {% for column in series %}
            weekday_rates.{{ column }} = window_rates.{{ column }}
            and {% endfor -%}
        weekday_rates.as_of_date = window_rates.as_of_date
        and weekday_rates.day_of_week = remaining_weekdays.day_of_week
    group by all

),

recurring_remaining as (

    -- last month's fees and credits that posted later in the month than the as-of day
    select
        {% for column in series %}as_of.{{ column }},
        {% endfor -%}
        as_of.date_day as as_of_date,
        sum(last_month.recurring_cost) as recurring_remaining
    from month_to_date as as_of
    inner join daily_spend as last_month
        on {% for column in series %}
            last_month.{{ column }} = as_of.{{ column }}
            and {% endfor -%}
        last_month.date_day >= {{ dbt.dateadd('month', -1, 'as_of.month_start') }}
        and last_month.date_day < as_of.month_start
        -- a charge on the 31st is due on the last day of a shorter month
        and least(extract(day from last_month.date_day), extract(day from as_of.month_end))
        > extract(day from as_of.date_day)
        and last_month.recurring_cost <> 0
    group by all

),

forecasts as (

    select
        {% for column in series %}month_to_date.{{ column }},
        {% endfor -%}
        month_to_date.date_day as as_of_date,
        month_to_date.month_start,
        month_to_date.month_end,
        cast(extract(day from month_to_date.date_day) as integer) as day_of_month,
        cast(extract(day from month_to_date.month_end) as integer) as days_in_month,
        month_to_date.actual_to_date,
        month_to_date.unbilled_to_date,
        coalesce(run_rate_remaining.run_rate_remaining, 0) as run_rate_remaining,
        coalesce(recurring_remaining.recurring_remaining, 0) as recurring_remaining,
        case
            when
                month_to_date.month_start >= data_days.first_day
                and month_to_date.month_end <= data_days.last_day
                then month_to_date.month_spend
        end as month_actual
    from month_to_date
    cross join data_days
    left join run_rate_remaining
        on {% for column in series %}
            run_rate_remaining.{{ column }} = month_to_date.{{ column }}
            and {% endfor -%}
        run_rate_remaining.as_of_date = month_to_date.date_day
    left join recurring_remaining
        on {% for column in series %}
            recurring_remaining.{{ column }} = month_to_date.{{ column }}
            and {% endfor -%}
        recurring_remaining.as_of_date = month_to_date.date_day

)

select
    {% for column in series %}{{ column }},
    {% endfor -%}
    as_of_date,
    month_start,
    month_end,
    day_of_month,
    days_in_month,
    cast(actual_to_date as {{ money_type() }}) as actual_to_date,
    cast(unbilled_to_date as {{ money_type() }}) as unbilled_to_date,
    cast(run_rate_remaining as {{ money_type() }}) as run_rate_remaining,
    cast(recurring_remaining as {{ money_type() }}) as recurring_remaining,
    cast(
        actual_to_date + run_rate_remaining + recurring_remaining as {{ money_type() }}
    ) as forecast_month_end,
    {{ money_divide('actual_to_date * days_in_month', 'cast(day_of_month as bigint)') }}
        as linear_run_rate_forecast,
    cast(month_actual as {{ money_type() }}) as month_actual
from forecasts
