-- One row per period grain (day, month) x period x dimension x dimension value x billing
-- currency x business driver: cost per driver (fully loaded and direct) and tokens per driver
-- for every driver of the driver catalog, by every dimension the catalog says it is delivered
-- by. Long in driver: a new driver is a catalog row, never new SQL.
-- Cost and tokens are the slices of rpt_unit_economics_long (one definition of each sum); the
-- driver's period value sums its days or takes their average (the catalog's
-- period_aggregation). A currency driver (revenue) divides only cost billed in its own
-- currency (no conversion); other drivers divide the cost of every billing currency.
-- Money KPIs are null while a billable request of the period waits for its bill
-- (incomplete_reason 'not billed yet'), never a low or $0 unit cost.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set dimension_columns = dict(owner_key_names(include_model=false)) %}
{%- set grains = var('unit_economics_grains', ['day', 'month']) %}
{#- (name, expression, money). -#}
{%- set kpi_definitions = [
    ('cost_per_driver', unit_cost('billed_cost', 'driver_value', 'unbilled_request_count'), true),
    ('direct_cost_per_driver', unit_cost('direct_billed_cost', 'driver_value', 'unbilled_request_count'), true),
    ('tokens_per_driver', count_ratio('total_tokens', 'driver_value'), false),
] %}
{#- The money KPIs over the reporting-currency cost. A currency driver (revenue) has one only
    when it is delivered in the reporting currency itself (no conversion of drivers). -#}
{%- set reporting_kpi_definitions = [
    ('cost_per_driver_reporting', unit_cost('billed_cost_reporting', 'driver_value', 'unbilled_request_count')),
    ('direct_cost_per_driver_reporting', unit_cost('direct_billed_cost_reporting', 'driver_value', 'unbilled_request_count')),
] %}
with

slices as (

    select
        period_grain,
        period_start,
        prior_period_start,
        dimension,
        dimension_value,
        billing_currency,
        billed_cost,
        direct_billed_cost,
        total_tokens,
        unbilled_request_count,
        reporting_currency,
        billed_cost_reporting,
        direct_billed_cost_reporting
    from {{ ref('rpt_unit_economics_long') }}

),

catalog_dimensions as (

    select * from {{ ref('stg_business__driver_catalog') }}

),

catalog as (

    select distinct
        driver,
        driver_label,
        unit_kind,
        period_aggregation
    from catalog_dimensions

),

drivers as (

    select * from {{ ref('stg_business__drivers') }}
    where is_cataloged

),

driver_days as (

    -- one row per day x dimension x value x driver (x currency for currency drivers); rows
    -- that do not name the dimension ('all') give it no value
    {% for dimension, column in dimension_columns.items() -%}
        select
            drivers.driver_date as date_day,
            catalog_dimensions.dimension,
            drivers.{{ column }} as dimension_value,
            drivers.driver,
            case when catalog_dimensions.unit_kind = 'currency' then upper(trim(drivers.driver_unit)) end
                as driver_currency,
            sum(drivers.driver_value) as driver_value
        from drivers
        inner join catalog_dimensions
            on drivers.driver = catalog_dimensions.driver
            and catalog_dimensions.dimension = '{{ dimension }}'
        where drivers.{{ column }} <> 'all'
        group by 1, 2, 3, 4, 5
        union all
    {% endfor -%}
    select
        cast(null as date) as date_day,
        cast(null as {{ dbt.type_string() }}) as dimension,
        cast(null as {{ dbt.type_string() }}) as dimension_value,
        cast(null as {{ dbt.type_string() }}) as driver,
        cast(null as {{ dbt.type_string() }}) as driver_currency,
        cast(null as decimal(38, 6)) as driver_value
    where false

),

driver_periods as (

    -- sum: the period adds its days; average: the period's average day with a value
    -- (8 decimals, the most money_divide takes)
    {% for grain in grains -%}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'driver_days.date_day') }} as date) as period_start,
            driver_days.dimension,
            driver_days.dimension_value,
            driver_days.driver,
            driver_days.driver_currency,
            cast(case when min(catalog.period_aggregation) = 'average'
                    then {{ mean_as_double('driver_days.driver_value') }}
                else sum(driver_days.driver_value)
            end as decimal(38, 8)) as driver_value
        from driver_days
        inner join catalog
            on driver_days.driver = catalog.driver
        group by 1, 2, 3, 4, 5, 6
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

kpis as (

    select
        slices.period_grain,
        slices.period_start,
        slices.prior_period_start,
        slices.dimension,
        slices.dimension_value,
        slices.billing_currency,
        driver_periods.driver,
        catalog.driver_label,
        catalog.unit_kind,
        catalog.period_aggregation,
        driver_periods.driver_value,
        slices.billed_cost,
        slices.direct_billed_cost,
        slices.total_tokens,
        slices.unbilled_request_count,
        slices.reporting_currency,
        slices.billed_cost_reporting,
        slices.direct_billed_cost_reporting,
        {% for name, expression in reporting_kpi_definitions -%}
            case when driver_periods.driver_currency is null or driver_periods.driver_currency = slices.reporting_currency
                    then {{ expression }}
            end as {{ name }},
        {% endfor -%}
        {% for name, expression, is_money in kpi_definitions -%}
            {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from slices
    inner join driver_periods
        on {{ columns_match('slices', 'driver_periods', [
            'period_grain', 'period_start', 'dimension', 'dimension_value']) }}
        and (driver_periods.driver_currency is null or slices.billing_currency = driver_periods.driver_currency)
    inner join catalog
        on driver_periods.driver = catalog.driver

)

select
    {{ surrogate_key(['kpis.period_grain', 'kpis.period_start', 'kpis.dimension', 'kpis.dimension_value', 'kpis.billing_currency', 'kpis.driver']) }}
        as unit_economics_driver_id,
    kpis.period_grain,
    kpis.period_start,
    kpis.prior_period_start,
    kpis.dimension,
    kpis.dimension_value,
    kpis.billing_currency,
    kpis.driver,
    kpis.driver_label,
    kpis.unit_kind,
    kpis.period_aggregation,
    kpis.driver_value,
    kpis.billed_cost,
    kpis.direct_billed_cost,
    kpis.total_tokens,
    {{ is_billing_complete('kpis.unbilled_request_count') }} as is_billing_complete,
    {{ incomplete_reason('kpis.unbilled_request_count') }} as incomplete_reason,
    kpis.reporting_currency,
    kpis.billed_cost_reporting,
    kpis.direct_billed_cost_reporting,
    {% for name, expression in reporting_kpi_definitions -%}
        kpis.{{ name }},
    {% endfor -%}
    {% for name, expression, is_money in kpi_definitions -%}
        kpis.{{ name }},
        prior_kpis.{{ name }} as {{ name }}_prior,
        kpis.{{ name }} - prior_kpis.{{ name }} as {{ name }}_change{% if not loop.last %},{% endif %}
    {% endfor %}
from kpis
left join kpis as prior_kpis
    on kpis.prior_period_start = prior_kpis.period_start
    and {{ columns_match('kpis', 'prior_kpis', [
        'period_grain', 'dimension', 'dimension_value', 'billing_currency', 'driver']) }}
