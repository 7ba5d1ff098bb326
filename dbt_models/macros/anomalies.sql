{#- Anomaly detection settings and the day type, defined once for the anomaly models
    (int_owner_daily_baselines, rpt_cost_anomalies). Each setting is a var with this default. -#}

{#- Weekday-aware: a day is compared with days of its own type only (traffic dips at weekends). -#}
{% macro anomaly_day_type(date_column) -%}
    case when {{ iso_day_of_week(date_column) }} in (6, 7) then 'weekend' else 'weekday' end
{%- endmacro %}

{% macro anomaly_setting(name) -%}
    {%- set defaults = {
        'anomaly_baseline_days': 56,
        'anomaly_min_history': 8,
        'anomaly_mad_threshold': 4,
        'anomaly_min_ratio': 1.5,
        'anomaly_min_cost_increase': 1,
        'anomaly_min_token_increase': 20000,
        'anomaly_min_share_of_total': 0.01,
    } -%}
    {{- var(name, defaults[name]) -}}
{%- endmacro %}
