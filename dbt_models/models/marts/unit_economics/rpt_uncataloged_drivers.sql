-- One row per business driver name delivered that the driver catalog (seeds/driver_catalog.csv,
-- names and aliases) does not know: these rows get no KPI until the catalog lists the name.
-- The test assert_every_delivered_driver_is_cataloged warns while this has rows.
select
    delivered_driver,
    count(*) as row_count,
    min(driver_date) as first_date,
    max(driver_date) as last_date,
    count(distinct source_file) as file_count,
    min(source_file) as example_source_file
from {{ ref('stg_business__drivers') }}
where not is_cataloged
group by delivered_driver
