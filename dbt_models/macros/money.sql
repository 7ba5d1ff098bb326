{#- Money is decimal end to end. DuckDB divides decimals into doubles, so nothing here divides
    money: prices are per million tokens and multiplied by 0.000001, and allocation splits in
    integer units (see allocate_units). -#}

{% macro money_type() -%}decimal(38, 10){%- endmacro %}

{#- Tokens as decimal(38, 0): a month's tokens times a price at scale 10 passes decimal(18)'s
    10^18 (179M tokens at $0.80 / Mtok overflowed on the default demo). -#}
{% macro tokens_to_cost(tokens, usd_per_mtok) -%}
    cast(cast({{ tokens }} as decimal(38, 0)) * cast({{ usd_per_mtok }} as decimal(18, 10)) * 0.000001 as {{ money_type() }})
{%- endmacro %}

{#- An integer type wide enough for amount-units x weight-units. -#}
{% macro allocation_int() -%}{{ return(adapter.dispatch('allocation_int', 'ai_finops')()) }}{%- endmacro %}
{% macro default__allocation_int() -%}decimal(38, 0){%- endmacro %}
{% macro duckdb__allocation_int() -%}hugeint{%- endmacro %}

{#- Amount in integer units of 10^-scale (exact: the amount has at most `scale` decimals). -#}
{% macro to_units(amount) -%}
    cast({{ amount }} * {{ 10 ** var('allocation_scale') }} as {{ allocation_int() }})
{%- endmacro %}

{% macro from_units(units) -%}
    cast(cast({{ units }} as decimal(38, 0)) * {{ '0.' ~ '0' * (var('allocation_scale') - 1) ~ '1' }} as {{ money_type() }})
{%- endmacro %}

{#- amount / divisor for money, exact to the last unit of 10^-scale (truncated toward zero),
    without the double that DuckDB's decimal division returns. divisor has at most 8 decimals. -#}
{% macro money_divide(amount, divisor) -%}
    {{ from_units(integer_divide(
        to_units(amount) ~ " * 100000000",
        "nullif(cast(" ~ divisor ~ " * 100000000 as " ~ allocation_int() ~ "), 0)"
    )) }}
{%- endmacro %}
