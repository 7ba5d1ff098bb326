{#- The join condition of two relations on columns they share (a grain), written once:
    "left.a = right.a and left.b = right.b ...". A column listed in null_safe may be null on
    both sides and then matches (is not distinct from). -#}
{% macro columns_match(left, right, columns, null_safe=[]) -%}
    {%- for column in columns -%}
        {%- set operator = 'is not distinct from' if column in null_safe else '=' -%}
        {{ '' if loop.first else '\n        and ' }}{{ left }}.{{ column }} {{ operator }} {{ right }}.{{ column }}
    {%- endfor -%}
{%- endmacro %}
