{#- The mean of a decimal column as a double, as DuckDB's avg gives it (its exact sum over the
    count). Spark's avg of a decimal is a decimal rounded to the input's scale + 4, which then
    rounds differently. -#}
{% macro mean_as_double(expression) -%}
    {{ return(adapter.dispatch('mean_as_double', 'ai_finops')(expression)) }}
{%- endmacro %}

{% macro default__mean_as_double(expression) -%}
    avg({{ expression }})
{%- endmacro %}

{% macro spark__mean_as_double(expression) -%}
    cast(sum({{ expression }}) as double) / nullif(count({{ expression }}), 0)
{%- endmacro %}
