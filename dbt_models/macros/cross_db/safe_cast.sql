{#- dbt's safe_cast on Spark: null for a value that does not convert (try_cast), as DuckDB's;
    dbt-spark's plain cast fails on it in ANSI mode (profiles.yml). -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
