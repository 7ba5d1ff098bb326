{#- Layer schemas are named plainly (staging, intermediate, marts, reference), not prefixed with
    the target schema: BI tools and finance read stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
