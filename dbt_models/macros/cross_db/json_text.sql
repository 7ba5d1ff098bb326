{#- A JSON text kept as JSON when it parses, else null (FOCUS Tags). -#}
{% macro json_or_null(text) -%}
    {{ return(adapter.dispatch('json_or_null', 'ai_finops')(text)) }}
{%- endmacro %}

{% macro default__json_or_null(text) -%}
    case when json_valid({{ text }}) then cast({{ text }} as json) end
{%- endmacro %}

{#- Spark has no JSON type: the text, where it parses -#}
{% macro spark__json_or_null(text) -%}
    case when try_parse_json({{ text }}) is not null then {{ text }} end
{%- endmacro %}
