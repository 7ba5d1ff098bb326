-- One row per day x business driver x product x team. A corrected row delivered later
-- replaces the earlier value for the same key.
with

source as (

    select * from {{ source('business', 'business_drivers') }}

),

latest as (

    select *
    from source
    qualify row_number() over (
        partition by driver_date, driver, coalesce(product, ''), coalesce(team, '')
        order by loaded_at desc, source_file desc, source_row desc
    ) = 1

)

select
    driver_date,
    lower(driver) as driver,
    coalesce(nullif(product, ''), 'all') as product,
    coalesce(nullif(team, ''), 'all') as team_id,
    value as driver_value,
    unit as driver_unit,
    dimensions,
    source_file,
    source_row
from latest
