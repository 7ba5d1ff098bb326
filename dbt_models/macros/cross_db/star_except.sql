{#- Every column of a relation but the named ones: DuckDB's `* exclude (...)`. Spark has no
    such clause; with spark.sql.parser.quotedRegexColumnNames (profiles.yml) a backquoted
    name is a regular expression over the column names, which excludes them. -#}
{% macro star_except(columns, relation_alias=none) -%}
    {{ return(adapter.dispatch('star_except', 'ai_finops')(columns, relation_alias)) }}
{%- endmacro %}

{% macro default__star_except(columns, relation_alias=none) -%}
    {% if relation_alias %}{{ relation_alias }}.{% endif %}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns, relation_alias=none) -%}
    {% if relation_alias %}{{ relation_alias }}.{% endif %}`(?!({{ columns | join('|') }})$).+`
{%- endmacro %}
