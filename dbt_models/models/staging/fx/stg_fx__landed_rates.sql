-- One row per base currency x currency x day: the rates in force from the FX files in the
-- landing folder (a rate a later file restated is superseded at extraction and left out), as
-- a pair quoted like the fx_rates seed: 1 from_currency = rate to_currency.
with

in_force as (

    {{ rows_in_force(source('fx', 'fx_rates')) }}

)

select
    base_currency as from_currency,
    currency as to_currency,
    rate_date as valid_from,
    rate,
    'landing:' || source_file as rate_source,
    source_file,
    source_row
from in_force
