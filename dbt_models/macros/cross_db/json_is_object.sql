{#- Whether a text is a JSON object ({...}); null for a text that is not JSON. -#}
{% macro json_is_object(json_text) -%}
    {{ return(adapter.dispatch('json_is_object', 'ai_finops')(json_text)) }}
{%- endmacro %}

{% macro default__json_is_object(json_text) -%}
    json_type(try_cast({{ json_text }} as json)) = 'OBJECT'
{%- endmacro %}

{#- json_object_keys is null for anything but a JSON object -#}
{% macro spark__json_is_object(json_text) -%}
    json_object_keys({{ json_text }}) is not null
{%- endmacro %}
