{{ config(meta={'dagster': {'ref': {'name': 'stg_fx__landed_rates'}}}) }}
-- Invariant: every FX rate (fx_rates seed, landing fx/ files) quotes the base currency
-- (var fx_base_currency) on exactly one side and is positive, so one base defines every
-- inverse and cross rate. A rate that does not is named here instead of being ignored.
{%- set base = fx_base_currency() %}
with

rates as (

    select
        from_currency,
        to_currency,
        valid_from,
        rate,
        source as rate_source
    from {{ ref('fx_rates') }}
    union all
    select
        from_currency,
        to_currency,
        valid_from,
        rate,
        rate_source
    from {{ ref('stg_fx__landed_rates') }}

)

select *
from rates
where (upper(from_currency) = '{{ base }}') = (upper(to_currency) = '{{ base }}')
    or rate is null
    or rate <= 0
