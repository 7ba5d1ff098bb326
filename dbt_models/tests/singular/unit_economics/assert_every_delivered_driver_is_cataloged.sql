-- A delivered business driver the catalog does not know gets no cost-per-driver KPI: warn,
-- naming it, until seeds/driver_catalog.csv lists it (as a driver or an alias).
{{ config(severity='warn') }}
select
    delivered_driver,
    row_count,
    example_source_file
from {{ ref('rpt_uncataloged_drivers') }}
