-- One row per day x business driver x owner keys it is delivered by. A corrected row
-- delivered later replaces the earlier value for the same key. The delivered name is mapped
-- through the driver catalog (its names and aliases); a name the catalog does not know keeps
-- its own name with is_cataloged false (rpt_uncataloged_drivers lists it).
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{#- the owner keys (macros/owner_keys.sql) other than team and product, which are columns of
    their own: each read from the row's dimensions JSON under its name or its column name
    (cost_center or cost_center_id) -#}
{%- set extra_dimensions = [] %}
{%- for name, column in owner_key_names(include_model=false)
    if column not in ('team_id', 'product') %}
    {%- do extra_dimensions.append((column, [name] if name == column else [name, column])) %}
{%- endfor %}
with

source as (

    select * from {{ source('business', 'business_drivers') }}

),

keyed as (

    select
        *,
        lower(trim(driver)) as delivered_driver,
        {% for column, keys in extra_dimensions -%}
            nullif(trim(coalesce({% for key in keys %}{{ json_str('dimensions', '$."' ~ key ~ '"') }}, {% endfor %}'')), '')
                as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from source

),

latest as (

    {%- set partition_by -%}
        driver_date, delivered_driver, coalesce(product, ''), coalesce(team, '')
            {%- for column, keys in extra_dimensions %}, coalesce({{ column }}, ''){% endfor %}
    {%- endset %}
    {% call first_row_per(partition_by, 'loaded_at desc, source_file desc, source_row desc') -%}
    select * from keyed
    {%- endcall %}

),

names as (

    select * from {{ ref('stg_business__driver_names') }}

)

select
    latest.driver_date,
    coalesce(names.driver, latest.delivered_driver) as driver,
    latest.delivered_driver,
    names.driver is not null as is_cataloged,
    coalesce(nullif(trim(latest.product), ''), 'all') as product,
    coalesce(nullif(trim(latest.team), ''), 'all') as team_id,
    {% for column, keys in extra_dimensions -%}
        coalesce(latest.{{ column }}, 'all') as {{ column }},
    {% endfor -%}
    latest.value as driver_value,
    latest.unit as driver_unit,
    latest.dimensions,
    latest.source_file,
    latest.source_row
from latest
left join names
    on latest.delivered_driver = names.driver_name
