-- Bill rows a later delivery replaced (superseded_by is set at extraction, contract C1): kept
-- for lineage only, never counted. One row per superseded raw row, from every bill source, in
-- the columns the revision report needs. The in-force rows are in each source's staging model.
-- FOCUS column names unquoted, as in stg_focus__charges (Spark reads "Name" as text).
-- noqa: disable=CP02
with

openai as (

    select
        'openai_costs_api' as source_system,
        bill_key,
        delivery_id,
        delivered_at,
        superseded_by,
        bucket_start_time as charge_period_start,
        amount_value as amount,
        upper(amount_currency) as currency,
        source_file,
        source_row
    from {{ source('openai', 'openai_costs') }}
    where superseded_by is not null

),

anthropic as (

    select
        'anthropic_cost_report' as source_system,
        bill_key,
        delivery_id,
        delivered_at,
        superseded_by,
        bucket_starting_at as charge_period_start,
        cast(amount_cents * 0.01 as decimal(38, 12)) as amount,
        upper(currency) as currency,
        source_file,
        source_row
    from {{ source('anthropic', 'anthropic_cost_report') }}
    where superseded_by is not null

),

focus as (

    select
        'focus:' || export_name as source_system,
        bill_key,
        delivery_id,
        delivered_at,
        superseded_by,
        cast(ChargePeriodStart as {{ timestamp_tz_type() }}) as charge_period_start,
        cast(BilledCost as decimal(38, 12)) as amount,
        upper(BillingCurrency) as currency,
        source_file,
        source_row
    from {{ source('focus', 'focus_billing') }}
    where superseded_by is not null

)

select * from openai
union all
select * from anthropic
union all
select * from focus
