{#- FX: the one place that says which rate converts billing-currency money to the reporting
    currency. Rates are kept as units of a currency per 1 base currency (int_fx_rates), so a
    direct, inverse or cross rate is always to_per_base / from_per_base, computed in integer
    units of 10^-allocation_scale (exact, truncated toward zero; never a double). Money in the
    billing currency is never altered: reporting amounts are new columns, null when a rate is
    missing (never converted at 0 or 1; assert_every_charge_has_a_reporting_rate names it). -#}

{#- The reporting currency (env AIFINOPS_REPORTING_CURRENCY -> var reporting_currency; USD). -#}
{% macro reporting_currency() -%}
    {%- set code = (var('reporting_currency', 'USD') | string | trim | upper) or 'USD' -%}
    {%- if not modules.re.match('^[A-Z]{3}$', code) -%}
        {{ exceptions.raise_compiler_error("reporting_currency (AIFINOPS_REPORTING_CURRENCY) must be an ISO 4217 code such as USD or EUR, got '" ~ code ~ "'") }}
    {%- endif -%}
    {{ return(code) }}
{%- endmacro %}

{% macro fx_base_currency() -%}
    {{ return(var('fx_base_currency', 'EUR') | string | trim | upper) }}
{%- endmacro %}

{#- The day whose rate converts money of `day`: the day itself (fx_rate_basis 'daily', the
    default) or the last day of its calendar month ('month_end'). -#}
{% macro fx_rate_date(day) -%}
    {%- set basis = var('fx_rate_basis', 'daily') -%}
    {%- if basis == 'daily' -%}
        cast({{ day }} as date)
    {%- elif basis == 'month_end' -%}
        cast({{ dbt.last_day('cast(' ~ day ~ ' as date)', 'month') }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("fx_rate_basis must be 'daily' or 'month_end', got '" ~ basis ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- Join the rate of `currency` in force on `rate_date` (latest valid_from <= rate_date) as
    `alias`: columns units_per_base, valid_from. -#}
{% macro join_fx_rate_in_force(alias, currency, rate_date) -%}
    left join {{ ref('int_fx_rates') }} as {{ alias }}
        on {{ alias }}.currency = {{ currency }}
        and {{ rate_date }} >= {{ alias }}.valid_from
        and ({{ alias }}.valid_to is null or {{ rate_date }} < {{ alias }}.valid_to)
{%- endmacro %}

{#- numerator / denominator of two rates, exact to 10^-allocation_scale (truncated). -#}
{% macro fx_rate_ratio(numerator, denominator) -%}
    {{ from_units(integer_divide(
        to_units(numerator) ~ ' * ' ~ (10 ** var('allocation_scale')),
        'nullif(' ~ to_units(denominator) ~ ', 0)'
    )) }}
{%- endmacro %}

{#- Units of `to_currency` per 1 unit of `from_currency`: 1 when they are the same currency,
    else from the two rates joined by join_fx_rate_in_force; null when either is missing. -#}
{% macro fx_rate_between(from_currency, to_currency, from_alias, to_alias) -%}
    case
        when {{ from_currency }} = {{ to_currency }} then cast(1 as {{ money_type() }})
        else {{ fx_rate_ratio(to_alias ~ '.units_per_base', from_alias ~ '.units_per_base') }}
    end
{%- endmacro %}

{#- Units of the reporting currency per 1 unit of `from_currency` (fx_rate_between). -#}
{% macro fx_rate_to_reporting(from_currency, from_alias, to_alias) -%}
    {{ fx_rate_between(from_currency, "'" ~ reporting_currency() ~ "'", from_alias, to_alias) }}
{%- endmacro %}

{#- money x rate, rounded to the fact's money scale (half away from zero). -#}
{% macro fx_convert(amount, rate) -%}
    cast({{ amount }} * {{ rate }} as {{ money_type() }})
{%- endmacro %}

{#- Sum of a reporting-currency amount that is null when any summed row has none: a slice with
    a charge that could not be converted never shows a partial (too low) total. -#}
{% macro sum_converted(amount) -%}
    case when count(*) = count({{ amount }}) then sum({{ amount }}) end
{%- endmacro %}

{#- The currency the price catalog (and so every request's list and contracted cost) is in. -#}
{% macro price_catalog_currency() -%}USD{%- endmacro %}
