{#- A JSON array of strings (e.g. LiteLLM's request_tags): json_is_array tells an array from
    other JSON; unnest_json_string_array, in a select list, gives one row per element. -#}
{% macro json_is_array(json_text) -%}
    {{ return(adapter.dispatch('json_is_array', 'ai_finops')(json_text)) }}
{%- endmacro %}

{% macro default__json_is_array(json_text) -%}
    json_type({{ json_text }}) = 'ARRAY'
{%- endmacro %}

{#- json_array_length is null for anything but a JSON array -#}
{% macro spark__json_is_array(json_text) -%}
    json_array_length({{ json_text }}) is not null
{%- endmacro %}

{% macro unnest_json_string_array(json_text) -%}
    {{ return(adapter.dispatch('unnest_json_string_array', 'ai_finops')(json_text)) }}
{%- endmacro %}

{% macro default__unnest_json_string_array(json_text) -%}
    unnest(cast({{ json_text }} as varchar[]))
{%- endmacro %}

{% macro spark__unnest_json_string_array(json_text) -%}
    explode(from_json({{ json_text }}, 'array<string>'))
{%- endmacro %}
