-- One row per name a delivery may call a cataloged driver (its own name and each alias),
-- lower-cased and trimmed, with the catalog driver it stands for.
with

catalog as (

    select * from {{ ref('driver_catalog') }}

),

names as (

    select
        lower(trim(driver)) as driver,
        lower(trim(driver)) as driver_name
    from catalog
    union all
    select
        lower(trim(catalog.driver)) as driver,
        lower(trim(driver_aliases.alias_name)) as driver_name
    from catalog
    {{ string_to_rows("coalesce(catalog.aliases, '')", '|', 'driver_aliases', 'alias_name') }}

)

select distinct
    driver,
    driver_name
from names
where driver_name <> ''
