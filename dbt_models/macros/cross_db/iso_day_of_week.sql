{#- ISO day of the week of a date: 1 (Monday) to 7 (Sunday). -#}
{% macro iso_day_of_week(date_column) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'ai_finops')(date_column)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_column) -%}extract(isodow from {{ date_column }}){%- endmacro %}

{% macro spark__iso_day_of_week(date_column) -%}extract(dow_iso from {{ date_column }}){%- endmacro %}
