{#- Regular expressions. Patterns are given as text (no quotes) and quoted here: Spark's string
    literals read a backslash as an escape, so it is doubled there. Both engines search (a
    match anywhere), and give '' from regexp_extract when nothing matches. -#}
{% macro regexp_literal(pattern) -%}
    {{ return(adapter.dispatch('regexp_literal', 'ai_finops')(pattern)) }}
{%- endmacro %}

{% macro default__regexp_literal(pattern) -%}'{{ pattern }}'{%- endmacro %}

{% macro spark__regexp_literal(pattern) -%}'{{ pattern | replace('\\', '\\\\') }}'{%- endmacro %}

{% macro regexp_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'ai_finops')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ regexp_literal(pattern) }})
{%- endmacro %}

{% macro spark__regexp_matches(text, pattern) -%}
    regexp_like({{ text }}, {{ regexp_literal(pattern) }})
{%- endmacro %}

{#- every match replaced (DuckDB's 'g' option; Spark replaces every match by default) -#}
{% macro regexp_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'ai_finops')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regexp_literal(pattern) }}, '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regexp_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{#- the first match replaced: DuckDB's regexp_replace without options. Spark's replaces every
    match, the same only for a pattern anchored at the start or end, the only kind allowed. -#}
{% macro regexp_replace_first(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_first', 'ai_finops')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_first(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ regexp_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{% macro spark__regexp_replace_first(text, pattern, replacement) -%}
    {%- if not (pattern.startswith('^') or pattern.endswith('$')) -%}
        {{ exceptions.raise_compiler_error('regexp_replace_first on Spark needs an anchored pattern: ' ~ pattern) }}
    {%- endif %}
    regexp_replace({{ text }}, {{ regexp_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{% macro regexp_extract(text, pattern, group) -%}
    {{ return(adapter.dispatch('regexp_extract', 'ai_finops')(text, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ regexp_literal(pattern) }}, {{ group }})
{%- endmacro %}

{% macro spark__regexp_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ regexp_literal(pattern) }}, {{ group }})
{%- endmacro %}
