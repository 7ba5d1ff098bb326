-- One row per anomaly: an owner (team, cost center, product, use case, feature, environment
-- or model) whose daily cost or tokens rose above its robust trailing baseline
-- (int_owner_daily_baselines), with the expected range, a severity and the root cause: the
-- slice of another dimension (model, use case, feature, environment, token part, ...) that
-- rose most against its own trailing same-day-type average, and by how much.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set dimensions = owner_key_names() + [('token_part', 'token_part')] %}
{%- set text_type = dbt.type_string() %}
with

baselines as (

    select * from {{ ref('int_owner_daily_baselines') }}

),

daily as (

    select * from {{ ref('int_spend_and_tokens_daily') }}

),

anomalies as (

    select * from baselines
    where is_anomaly

),

owner_rows as (

    -- the owner's rows of the anomaly day and of its baseline days (same day type)
    select
        anomalies.owner_day_id,
        anomalies.history_days,
        daily.date_day = anomalies.date_day as is_anomaly_day,
        {% for dimension, column in dimensions %}daily.{{ column }},
        {% endfor -%}
        daily.amount
    from anomalies
    inner join daily
        on anomalies.metric = daily.metric
        and daily.billing_currency is not distinct from anomalies.billing_currency
        and daily.date_day between anomalies.baseline_from and anomalies.date_day
        and {{ anomaly_day_type('daily.date_day') }} = {{ anomaly_day_type('anomalies.date_day') }}
        and anomalies.owner_value = case anomalies.owner_key
            {% for dimension, column in dimensions if dimension != 'token_part' %}when '{{ dimension }}' then daily.{{ column }}
            {% endfor %}
        end

),

slices as (

    {% call stacked_by_key(
        dimensions, 'owner_rows', leading=['owner_day_id'],
        name_as='root_cause_dimension', value_as='root_cause_value'
    ) %}
        sum(case when is_anomaly_day then amount else 0 end) as slice_observed,
        -- the slice's trailing mean: baseline days it had nothing on count 0
        sum(case when is_anomaly_day then 0 else amount end) as slice_history_total,
        any_value(history_days) as history_days
    {% endcall %}

),

informative as (

    -- a dimension with one value for this owner (a team's only product) explains nothing
    select
        *,
        count(*) over (partition by owner_day_id, root_cause_dimension) as dimension_values,
        {{ money_divide('slice_history_total', 'history_days') }} as slice_expected
    from slices

),

root_causes as (

    {%- set movers = ['model', 'use_case', 'environment', 'feature', 'token_part'] %}
    {%- set mover_rank -%}
        case root_cause_dimension
            {%- for mover in movers %} when '{{ mover }}' then {{ loop.index }}{% endfor %} end
    {%- endset %}
    {% call first_row_per(
        'owner_day_id',
        'slice_observed - slice_expected desc, ' ~ mover_rank ~ ', root_cause_value'
    ) -%}
    select
        owner_day_id,
        root_cause_dimension,
        root_cause_value,
        slice_observed,
        slice_expected,
        slice_observed - slice_expected as slice_increase
    from informative
    -- what moved, not who owns it: the org hierarchy (team, cost center, product) is left out
    where dimension_values > 1
        and root_cause_dimension in (
            {%- for mover in movers %}'{{ mover }}'{{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- endcall %}

),

described as (

    select
        anomalies.*,
        root_causes.root_cause_dimension,
        root_causes.root_cause_value,
        root_causes.slice_observed,
        root_causes.slice_expected,
        root_causes.slice_increase,
        case
            when anomalies.observed >= anomalies.expected * 3 then 'high'
            when anomalies.observed >= anomalies.expected * 1.75 then 'medium'
            else 'low'
        end as severity
    from anomalies
    left join root_causes
        on anomalies.owner_day_id = root_causes.owner_day_id

)

select
    owner_day_id as anomaly_id,
    date_day as anomaly_date,
    owner_key,
    owner_value,
    metric,
    observed,
    expected,
    expected_low,
    expected_high,
    billing_currency,
    severity,
    metric || ' of ' || owner_key || ' ' || owner_value || ' was '
    || cast(round(observed, 2) as {{ dbt.type_string() }}) || coalesce(' ' || billing_currency, ' tokens')
    || ' against an expected ' || cast(round(expected, 2) as {{ dbt.type_string() }})
    || ' (range ' || cast(round(expected_low, 2) as {{ dbt.type_string() }}) || ' to ' || cast(round(expected_high, 2) as {{ dbt.type_string() }}) || ')'
    || coalesce(
        '; most of the rise is ' || root_cause_dimension || ' ' || root_cause_value
        || ': ' || cast(round(slice_observed, 2) as {{ dbt.type_string() }}) || ' against a trailing average of '
        || cast(round(slice_expected, 2) as {{ dbt.type_string() }}) || ' (+' || cast(round(slice_increase, 2) as {{ dbt.type_string() }})
        || case when observed > expected
                then ', ' || cast(round(100 * cast(slice_increase as double) / cast(observed - expected as double)) as integer) || '% of the rise'
            else ''
        end
        || ')', '')
        as root_cause,
    root_cause_dimension,
    root_cause_value,
    robust_z,
    history_days,
    slice_increase as root_cause_increase
from described
