{#- JSON access is engine-specific; keep it behind these macros so a port changes one file. -#}
{% macro json_str(column, path) -%}{{ return(adapter.dispatch('json_str', 'ai_finops')(column, path)) }}{%- endmacro %}
{% macro default__json_str(column, path) -%}json_extract_string({{ column }}, '{{ path }}'){%- endmacro %}
{#- Spark's JSON path names a key with dots as ['a.b'] where DuckDB's writes ."a.b" -#}
{% macro spark__json_str(column, path) -%}
    get_json_object({{ column }}, '{{ modules.re.sub('\\."([^"]+)"', "[\\\\'\\1\\\\']", path) }}')
{%- endmacro %}

{% macro json_int(column, path) -%}{{ dbt.safe_cast(json_str(column, path), api.Column.translate_type('bigint')) }}{%- endmacro %}
