{#- A FROM-clause item: one row per part of `text` split at `delimiter` (a plain string), as
    alias.column; a null text gives no row. -#}
{% macro string_to_rows(text, delimiter, alias, column) -%}
    {{ return(adapter.dispatch('string_to_rows', 'ai_finops')(text, delimiter, alias, column)) }}
{%- endmacro %}

{% macro default__string_to_rows(text, delimiter, alias, column) -%}
    cross join unnest(string_split({{ text }}, '{{ delimiter }}')) as {{ alias }}({{ column }})
{%- endmacro %}

{#- Spark's split takes a regular expression: the delimiter is quoted as one. -#}
{% macro spark__string_to_rows(text, delimiter, alias, column) -%}
    lateral view explode(split({{ text }}, '\\Q{{ delimiter }}\\E')) {{ alias }} as {{ column }}
{%- endmacro %}
