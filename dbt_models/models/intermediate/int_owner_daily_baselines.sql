-- One row per day x owner key x owner value x metric x billing currency, from the day the
-- series has enough history: the day's total against a robust trailing baseline. The
-- baseline is the median of the previous anomaly_baseline_days days of the same day type
-- (weekday or weekend; a day with nothing counts 0), its spread the median absolute deviation
-- (MAD, scaled by 1.4826 to read like a standard deviation). A day is an anomaly when it lies
-- above median + anomaly_mad_threshold x scaled MAD, is at least anomaly_min_ratio times the
-- median, and rose by at least the minimum increase: a robust score alone would flag noise on
-- flat series (MAD 0), the ratio alone noise on small ones; and the rise must be at least
-- anomaly_min_share_of_total of the whole company's total of the metric that day (a sparse
-- series of a few requests a day doubles by chance, and moves nobody's bill).
{%- set owner_columns = owner_key_names() %}
{#- a series: one owner key's value, one metric, one billing currency (null for tokens) -#}
{%- set series_key = ['owner_key', 'owner_value', 'metric', 'billing_currency'] %}
with

daily as (

    select * from {{ ref('int_spend_and_tokens_daily') }}

),

owner_days as (

    {#- a fee split by rule, or idle GPU capacity (int_allocation_weights), is no one's usage
        spike on these keys: it shows on the team and cost center that carry it #}
    {% call stacked_by_key(
        owner_columns, 'daily', leading=['date_day'], skip_values=['shared', 'idle_capacity']
    ) %}
        metric,
        billing_currency,
        sum(amount) as amount
    {% endcall %}

),

company_totals as (

    select
        date_day,
        metric,
        billing_currency,
        sum(amount) as company_total
    from daily
    group by all

),

calendar as (

    select distinct date_day from daily

),

series as (

    select
        owner_key,
        owner_value,
        metric,
        billing_currency,
        min(date_day) as first_date
    from owner_days
    group by all

),

filled as (

    -- every day from the series' first one: a day with no spend is a 0 in the history
    select
        series.owner_key,
        series.owner_value,
        series.metric,
        series.billing_currency,
        calendar.date_day,
        {{ anomaly_day_type('calendar.date_day') }} as day_type,
        coalesce(owner_days.amount, cast(0 as {{ money_type() }})) as amount
    from series
    inner join calendar
        on series.first_date <= calendar.date_day
    left join owner_days
        on {{ columns_match('series', 'owner_days', series_key, null_safe=['billing_currency']) }}
        and calendar.date_day = owner_days.date_day

),

history as (

    select
        today.owner_key,
        today.owner_value,
        today.metric,
        today.billing_currency,
        today.date_day,
        today.amount,
        past.date_day as past_date,
        past.amount as past_amount
    from filled as today
    inner join filled as past
        on {{ columns_match('today', 'past', series_key, null_safe=['billing_currency']) }}
        and today.day_type = past.day_type
        and today.date_day > past.date_day
        and past.date_day >= today.date_day - {{ anomaly_setting('anomaly_baseline_days') }}

),

medians as (

    select
        owner_key,
        owner_value,
        metric,
        billing_currency,
        date_day,
        any_value(amount) as observed,
        count(*) as history_days,
        min(past_date) as baseline_from,
        {{ median_money('past_amount') }} as expected
    from history
    group by owner_key, owner_value, metric, billing_currency, date_day
    having count(*) >= {{ anomaly_setting('anomaly_min_history') }}

),

spreads as (

    select
        medians.owner_key,
        medians.owner_value,
        medians.metric,
        medians.billing_currency,
        medians.date_day,
        {{ median_money('abs(history.past_amount - medians.expected)') }} as mad
    from medians
    inner join history
        on {{ columns_match('medians', 'history', series_key + ['date_day'],
            null_safe=['billing_currency']) }}
    group by all

),

scored as (

    select
        medians.*,
        spreads.mad,
        company_totals.company_total,
        -- 1.4826 x MAD estimates the standard deviation of normally distributed days
        cast(
            {{ anomaly_setting('anomaly_mad_threshold') }} * 1.4826 * spreads.mad
            as {{ money_type() }}
        ) as band
    from medians
    inner join spreads
        on {{ columns_match('medians', 'spreads', series_key + ['date_day'],
            null_safe=['billing_currency']) }}
    inner join company_totals
        on medians.metric = company_totals.metric
        and company_totals.billing_currency is not distinct from medians.billing_currency
        and medians.date_day = company_totals.date_day

)

select
    {{ surrogate_key(['owner_key', 'owner_value', 'metric', 'billing_currency', 'date_day']) }}
        as owner_day_id,
    date_day,
    owner_key,
    owner_value,
    metric,
    billing_currency,
    observed,
    expected,
    mad,
    cast(greatest(expected - band, 0) as {{ money_type() }}) as expected_low,
    cast(expected + band as {{ money_type() }}) as expected_high,
    history_days,
    baseline_from,
    -- a score, not money: how many scaled MADs above the median (null on a flat history)
    cast(observed - expected as double) / nullif(cast(1.4826 * mad as double), 0) as robust_z,
    observed > expected + band
    and observed >= expected * {{ anomaly_setting('anomaly_min_ratio') }}
    and observed - expected >= case metric
        when 'cost' then {{ anomaly_setting('anomaly_min_cost_increase') }}
        else {{ anomaly_setting('anomaly_min_token_increase') }}
    end
    and observed - expected >= company_total * {{ anomaly_setting('anomaly_min_share_of_total') }}
        as is_anomaly
from scored
