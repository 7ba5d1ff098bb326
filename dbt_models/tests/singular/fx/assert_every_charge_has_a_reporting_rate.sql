{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: every billed charge converts to the reporting currency. A billing currency with
-- no rate in force on the charge's rate day (none in the fx_rates seed, none in the landing
-- folder's fx/ files, or only rates from later days) leaves the reporting columns null: this
-- fails with one row per currency and day, naming them, so the gap is fixed by adding a rate,
-- never papered over with 0 or 1. Tolerance: none. It reads the fact, so the fact is still
-- built (with the nulls to see) and only what is built on it waits for the rate.
select
    billing_currency,
    reporting_currency,
    fx_rate_date,
    count(distinct charge_id) as charges_without_rate,
    'no FX rate ' || billing_currency || ' -> ' || reporting_currency || ' in force on '
    || cast(fx_rate_date as varchar) || ': add one to seeds/fx_rates.csv or the landing fx/ folder'
        as reason
from {{ ref('fct_allocated_costs') }}
where fx_rate is null
group by billing_currency, reporting_currency, fx_rate_date
