-- Lineage of bill revisions for finance: one row per bill key x delivery that a later delivery
-- replaced, with what it billed, what replaced it, and what is in force now. Bill key: a vendor
-- API line's bucket and grouping fields, or a FOCUS export x account x billing period. Only the
-- in-force rows (superseded_by is null) are ever counted in the marts.
{#- (staging model, its source system, amount column, currency column) of every bill source -#}
{%- set bill_sources = [
    ('stg_openai__costs', "'openai_costs_api'", 'amount', 'currency'),
    ('stg_anthropic__costs', "'anthropic_cost_report'", 'amount', 'currency'),
    ('stg_focus__charges', "'focus:' || export_name", 'billed_cost', 'billing_currency'),
] %}
with

in_force_rows as (

    {% for model, source_system, amount, currency in bill_sources %}
        select
            {{ source_system }} as source_system,
            bill_key,
            delivery_id,
            delivered_at,
            cast(null as {{ dbt.type_string() }}) as superseded_by,
            charge_period_start,
            {{ amount }} as amount,
            {{ currency }} as currency
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

superseded_rows as (

    select
        source_system,
        bill_key,
        delivery_id,
        delivered_at,
        superseded_by,
        charge_period_start,
        amount,
        currency
    from {{ ref('stg_bills__superseded_rows') }}

),

deliveries as (

    -- one bill key as one delivery gave it
    select
        source_system,
        bill_key,
        delivery_id,
        max(delivered_at) as delivered_at,
        max(superseded_by) as superseded_by,
        min(charge_period_start) as charge_period_start,
        count(*) as row_count,
        sum(amount) as amount,
        min(currency) as currency,
        bool_and(superseded_by is null) as is_in_force
    from (
        select * from in_force_rows
        union all
        select * from superseded_rows
    ) as bill_rows
    group by source_system, bill_key, delivery_id

)

select
    replaced.source_system,
    replaced.bill_key,
    replaced.charge_period_start,
    replaced.currency,
    replaced.delivery_id as superseded_delivery_id,
    replaced.delivered_at as superseded_delivered_at,
    replaced.row_count as superseded_row_count,
    replaced.amount as superseded_amount,
    replaced.superseded_by as superseded_by_delivery_id,
    replacing.delivered_at as superseded_by_delivered_at,
    replacing.row_count as superseded_by_row_count,
    -- null when the replacing delivery no longer has this bill key (it was restated away)
    replacing.amount as superseded_by_amount,
    current_delivery.delivery_id as in_force_delivery_id,
    current_delivery.amount as in_force_amount,
    coalesce(current_delivery.amount, 0) - replaced.amount as change_in_force_vs_superseded
from deliveries as replaced
left join deliveries as replacing
    on replaced.source_system = replacing.source_system
    and replaced.bill_key = replacing.bill_key
    and replaced.superseded_by = replacing.delivery_id
left join deliveries as current_delivery
    on replaced.source_system = current_delivery.source_system
    and replaced.bill_key = current_delivery.bill_key
    and current_delivery.is_in_force
where not replaced.is_in_force
