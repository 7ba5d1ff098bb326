-- One row per month x billing currency x allocation rule x team x cost center x capacity
-- ('used' | 'idle'): the billed cost of hour-billed hosts (GPU instances serving a self-hosted
-- model) split into the hours their model served traffic and the hours it did not. The split
-- itself is made once, in int_allocation_weights (an hour is used when the rule's usage
-- logged a request in it, an ESTIMATE: a host busy for a minute counts the whole hour); idle
-- hours follow their own rule (to the billing period's users) on their own rows of
-- fct_allocated_costs, which this mart only sums. Hours are the charges' consumed hours,
-- split like the money.
with

allocated as (

    select * from {{ ref('fct_allocated_costs') }}

),

hour_billed_rules as (

    -- the rules whose charges were split into used and idle hours
    select distinct replace(replace(allocated_method_id, 'rule:', ''), ':idle', '') as rule_id
    from allocated
    where allocated_method_id like 'rule:%:idle'

),

classified as (

    select
        allocated.*,
        replace(replace(allocated.allocated_method_id, 'rule:', ''), ':idle', '') as rule_id,
        case
            when allocated.allocated_method_id like '%:idle' then 'idle' else 'used'
        end as capacity
    from allocated
    where allocated.allocated_method_id like 'rule:%'

)

select
    cast({{ dbt.date_trunc('month', 'classified.charge_date') }} as date) as month_start,
    classified.billing_currency,
    classified.rule_id,
    classified.team_id,
    classified.cost_center_id,
    classified.capacity,
    count(distinct classified.charge_id) as charge_count,
    sum(classified.consumed_quantity) as host_hours,
    sum(classified.billed_cost) as billed_cost,
    sum(classified.effective_cost) as effective_cost,
    sum(classified.list_cost) as list_cost
from classified
inner join hour_billed_rules
    on classified.rule_id = hour_billed_rules.rule_id
group by 1, 2, 3, 4, 5, 6
