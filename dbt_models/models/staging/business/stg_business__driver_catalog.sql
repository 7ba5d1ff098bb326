-- One row per cataloged driver x owner dimension it is delivered by (driver_catalog seed).
with

catalog as (

    select * from {{ ref('driver_catalog') }}

)

select
    lower(trim(catalog.driver)) as driver,
    catalog.label as driver_label,
    lower(trim(catalog.unit_kind)) as unit_kind,
    lower(trim(catalog.period_aggregation)) as period_aggregation,
    lower(trim(dimension.name)) as dimension
from catalog
{{ string_to_rows('catalog.dimensions', '|', 'dimension', 'name') }}
where trim(dimension.name) <> ''
