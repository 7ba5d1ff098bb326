{#- The median of a money column (an aggregate), exact: DuckDB's median of a decimal
    interpolates in decimal, low + (high - low) / 2 truncated to the column's scale. Spark's
    median / percentile return a double (16 digits of money do not survive one): there the two
    middle values of the sorted list are taken and the same arithmetic done in decimal. -#}
{% macro median_money(expression) -%}
    {{ return(adapter.dispatch('median_money', 'ai_finops')(expression)) }}
{%- endmacro %}

{% macro default__median_money(expression) -%}
    cast(median({{ expression }}) as {{ money_type() }})
{%- endmacro %}

{% macro spark__median_money(expression) -%}
    {%- set money = 'cast(' ~ expression ~ ' as ' ~ money_type() ~ ')' -%}
    {%- set sorted = 'array_sort(collect_list(' ~ money ~ '))' -%}
    {%- set low = 'element_at(' ~ sorted ~ ', cast((size(' ~ sorted ~ ') + 1) div 2 as int))' -%}
    {%- set high = 'element_at(' ~ sorted ~ ', cast(size(' ~ sorted ~ ') div 2 + 1 as int))' -%}
    {#- two units of money_type()'s scale, 10 -#}
    {%- set unit = '0.0000000002' -%}
    case when size({{ sorted }}) > 0 then cast(
        {{ low }} + (({{ high }} - {{ low }}) - ({{ high }} - {{ low }}) % {{ unit }}) / 2
        as {{ money_type() }}) end
{%- endmacro %}
