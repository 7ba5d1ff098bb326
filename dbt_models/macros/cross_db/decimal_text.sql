{#- A decimal as text with all `scale` decimals, never in scientific notation: what DuckDB's cast
    to varchar prints (0.0000006000). Spark's cast prints some values of the same column as
    6.000E-7 (those it holds as a Java BigDecimal): a format pattern prints them plainly. -#}
{% macro decimal_text(expression, scale) -%}
    {{ return(adapter.dispatch('decimal_text', 'ai_finops')(expression, scale)) }}
{%- endmacro %}

{% macro default__decimal_text(expression, scale) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__decimal_text(expression, scale) -%}
    format_number({{ expression }}, '0{{ "." ~ "0" * scale if scale > 0 else "" }}')
{%- endmacro %}
