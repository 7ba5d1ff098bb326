{#- An instant (UTC). DuckDB: timestamptz. Spark's timestamp is one (shown in the session time
    zone, UTC in profiles.yml). -#}
{% macro timestamp_tz_type() -%}
    {{ return(adapter.dispatch('timestamp_tz_type', 'ai_finops')()) }}
{%- endmacro %}

{% macro default__timestamp_tz_type() -%}timestamptz{%- endmacro %}

{% macro spark__timestamp_tz_type() -%}timestamp{%- endmacro %}
