{#- A sum of counts (tokens, requests) as BIGINT. DuckDB widens sum(bigint) to HUGEINT, which
    many BI drivers cannot map; the published file refuses HUGEINT (serving/publish.py). A
    BIGINT holds 9.2e18: no token count comes near it, and an overflow fails loudly. -#}
{% macro count_sum(expression) -%}
    cast(sum({{ expression }}) as bigint)
{%- endmacro %}
