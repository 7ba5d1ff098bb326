{#- numerator // denominator for integers held as decimal(38, 0) (money in units of
    10^-allocation_scale), truncated toward zero. On Spark, `div` returns a bigint and wraps
    around silently past 9.2e18, and a decimal `/` rounds: the remainder (which takes the
    numerator's sign, as truncation needs) is taken off first, so the decimal quotient is exact
    (past 10^20 it fails loudly in ANSI mode). -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'ai_finops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    {{ numerator }} // {{ denominator }}
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    cast((({{ numerator }}) - ({{ numerator }}) % ({{ denominator }})) / ({{ denominator }}) as decimal(38, 0))
{%- endmacro %}
