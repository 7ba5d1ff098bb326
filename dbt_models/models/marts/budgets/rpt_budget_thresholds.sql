-- One row per budget x threshold (var budget_thresholds_pct: 50, 80, 100 % of the budget) x
-- basis (actual: spend to date; forecast: month-end forecast) that has been crossed, with
-- crossed_on, the first day the basis reached the threshold, and the forecast as it was made
-- that day (int_month_end_spend_forecasted), never one made later. actual_to_date and
-- forecast_month_end are the budget's latest figures (rpt_budget_status), what an alert quotes.
with

budget_status as (

    select * from {{ ref('rpt_budget_status') }}

),

forecasts as (

    select * from {{ ref('int_month_end_spend_forecasted') }}

),

thresholds as (

    {% for pct in var('budget_thresholds_pct') %}
        select cast({{ pct }} as integer) as threshold_pct
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

bases as (

    select 'actual' as basis
    union all
    select 'forecast' as basis

),

budget_days as (

    select
        budget_status.budget_id,
        budget_status.budget_amount,
        forecasts.as_of_date,
        forecasts.actual_to_date,
        forecasts.forecast_month_end
    from budget_status
    inner join forecasts
        on {{ columns_match('budget_status', 'forecasts', [
            'owner_key', 'owner_value', 'budget_kind', 'billing_currency', 'month_start']) }}

),

crossings as (

    select
        budget_days.budget_id,
        thresholds.threshold_pct,
        bases.basis,
        min(budget_days.as_of_date) as crossed_on
    from budget_days
    cross join thresholds
    cross join bases
    where budget_days.budget_amount > 0
        and case bases.basis
            when 'actual' then budget_days.actual_to_date
            else budget_days.forecast_month_end
        end * 100 >= budget_days.budget_amount * thresholds.threshold_pct
    group by all

),

crossing_values as (

    select
        crossings.*,
        case crossings.basis
            when 'actual' then budget_days.actual_to_date
            else budget_days.forecast_month_end
        end as value_on_crossing
    from crossings
    inner join budget_days
        on crossings.budget_id = budget_days.budget_id
        and crossings.crossed_on = budget_days.as_of_date

)

select
    {{ surrogate_key([
        'crossing_values.budget_id', 'crossing_values.threshold_pct', 'crossing_values.basis'
    ]) }} as budget_threshold_id,
    budget_status.budget_id,
    budget_status.owner_key,
    budget_status.owner_value,
    budget_status.budget_kind,
    budget_status.month_start,
    budget_status.billing_currency,
    budget_status.budget_amount,
    budget_status.actual_to_date,
    budget_status.forecast_month_end,
    crossing_values.threshold_pct,
    crossing_values.basis,
    crossing_values.crossed_on,
    cast(budget_status.budget_amount * crossing_values.threshold_pct * 0.01 as {{ money_type() }})
        as threshold_amount,
    cast(crossing_values.value_on_crossing as {{ money_type() }}) as value_on_crossing,
    budget_status.as_of_date
from crossing_values
inner join budget_status
    on crossing_values.budget_id = budget_status.budget_id
