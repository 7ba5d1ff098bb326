-- One row per currency x valid_from: units of the currency per 1 base currency
-- (var fx_base_currency, EUR), in force from valid_from until valid_to (the next valid_from;
-- null: still in force). The fx_rates seed and the FX files in the landing folder are unioned
-- here: a landed rate wins over a seed rate for the same currency and day. Every rate quotes
-- the base on one side (assert_fx_rates_quote_the_base_currency); a rate quoted the other way
-- round (USD -> EUR) is inverted exactly to 10^-allocation_scale. The base itself is 1 always.
{%- set base = fx_base_currency() %}
with

seed_rates as (

    select
        from_currency,
        to_currency,
        valid_from,
        rate,
        source as rate_source,
        2 as precedence
    from {{ ref('fx_rates') }}

),

landed_rates as (

    select
        from_currency,
        to_currency,
        valid_from,
        rate,
        rate_source,
        1 as precedence
    from {{ ref('stg_fx__landed_rates') }}

),

unioned as (

    select * from seed_rates
    union all
    select * from landed_rates

),

quoted_per_base as (

    select
        case
            when upper(from_currency) = '{{ base }}' then upper(to_currency)
            else upper(from_currency)
        end as currency,
        valid_from,
        case
            when upper(from_currency) = '{{ base }}' then cast(rate as {{ money_type() }})
            else {{ fx_rate_ratio('1', 'rate') }}
        end as units_per_base,
        rate_source,
        precedence
    from unioned
    where (upper(from_currency) = '{{ base }}') <> (upper(to_currency) = '{{ base }}')
        and rate > 0

),

chosen as (

    {% call first_row_per('currency, valid_from', 'precedence, rate_source') -%}
    select * from quoted_per_base
    {%- endcall %}

),

with_base as (

    select
        currency,
        valid_from,
        units_per_base,
        rate_source
    from chosen
    union all
    select
        '{{ base }}' as currency,
        cast('1900-01-01' as date) as valid_from,
        cast(1 as {{ money_type() }}) as units_per_base,
        'base currency' as rate_source

)

select
    currency,
    valid_from,
    lead(valid_from) over (
        partition by currency
        order by valid_from
    ) as valid_to,
    units_per_base,
    rate_source
from with_base
