{#- A JSON object from (key, expression) pairs, keys in the order given, null values kept as
    JSON null. DuckDB: json_object (a JSON value). Spark has no JSON type: the object's text
    (to_json of a struct; null fields are dropped unless told otherwise). -#}
{% macro json_object_from(pairs) -%}
    {{ return(adapter.dispatch('json_object_from', 'ai_finops')(pairs)) }}
{%- endmacro %}

{% macro default__json_object_from(pairs) -%}
    json_object(
        {%- for key, expression in pairs %}
        '{{ key }}', {{ expression }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__json_object_from(pairs) -%}
    to_json(named_struct(
        {%- for key, expression in pairs %}
        '{{ key }}', {{ expression }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
