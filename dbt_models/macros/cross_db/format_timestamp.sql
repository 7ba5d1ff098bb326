{#- A date or timestamp as text, in a strftime format (DuckDB's). Spark formats with Java
    date patterns: the few strftime codes the project uses are translated. -#}
{% macro format_timestamp(value, strftime_format) -%}
    {{ return(adapter.dispatch('format_timestamp', 'ai_finops')(value, strftime_format)) }}
{%- endmacro %}

{% macro default__format_timestamp(value, strftime_format) -%}
    strftime({{ value }}, '{{ strftime_format }}')
{%- endmacro %}

{% macro spark__format_timestamp(value, strftime_format) -%}
    {%- set codes = {'%Y': 'yyyy', '%m': 'MM', '%d': 'dd', '%H': 'HH', '%M': 'mm', '%S': 'ss'} -%}
    {%- set pattern = namespace(text=strftime_format) -%}
    {%- for code, java in codes.items() -%}
        {%- set pattern.text = pattern.text | replace(code, java) -%}
    {%- endfor -%}
    {%- if '%' in pattern.text -%}
        {{ exceptions.raise_compiler_error(
            'format_timestamp: no Spark pattern for ' ~ strftime_format) }}
    {%- endif -%}
    date_format({{ value }}, '{{ pattern.text }}')
{%- endmacro %}
