{#- The first row per partition of the rows the caller's select returns (DuckDB's QUALIFY
    row_number() ... = 1). Used as a call block:
        {% call first_row_per('request_id', 'loaded_at, source_file') %} select ... {% endcall %}
    partition_by and order_by name columns of the caller's result; drop: columns the caller
    selects only to order by, left out of the result. Spark has no QUALIFY: the row number
    is a column of a subquery, filtered and left out. -#}
{% macro first_row_per(partition_by, order_by, drop=[]) -%}
    {{ return(adapter.dispatch('first_row_per', 'ai_finops')(partition_by, order_by, drop, caller())) }}
{%- endmacro %}

{% macro default__first_row_per(partition_by, order_by, drop, selected) -%}
    {%- if drop %}
    select {{ star_except(drop) }} from ({{ selected }}) as ranked
    {%- else %}
    {{ selected }}
    {%- endif %}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro spark__first_row_per(partition_by, order_by, drop, selected) -%}
    select {{ star_except(['_first_row_number'] + drop) }}
    from (
        select *, row_number() over (partition by {{ partition_by }} order by {{ order_by }})
            as _first_row_number
        from ({{ selected }}) as ranked
    ) as numbered
    where _first_row_number = 1
{%- endmacro %}
