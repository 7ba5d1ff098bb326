-- One row per calendar day, 2020-01-01 to 2034-12-31: the time spine MetricFlow needs to put
-- metrics on days and months and to shift them by a period (prior-period metrics), and the
-- calendar the budget forecasts count the remaining days of a month on.
with

days as (

    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2035-01-01' as date)") }})

select cast(date_day as date) as date_day
from days
