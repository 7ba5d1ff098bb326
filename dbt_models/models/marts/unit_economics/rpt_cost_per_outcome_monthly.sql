-- One row per month x product: allocated AI cost (billed, in the billing currency) beside the
-- business drivers of that product, and the unit costs that follow.
with

costs as (

    select
        {{ dbt.date_trunc('month', 'charge_date') }} as month_start,
        product,
        billing_currency,
        sum(billed_cost) as allocated_cost,
        sum(allocated_tokens) as tokens,
        sum(allocated_requests) as requests
    from {{ ref('fct_allocated_costs') }}
    where not is_unallocated
    group by 1, 2, 3

),

drivers as (

    select
        {{ dbt.date_trunc('month', 'driver_date') }} as month_start,
        product,
        sum(case when driver = 'support_tickets_resolved' then driver_value end) as tickets_resolved,
        sum(case when driver = 'documents_processed' then driver_value end) as documents_processed,
        sum(case when driver = 'revenue' then driver_value end) as revenue,
        -- active users is a daily level: the month's figure is the average day
        avg(case when driver = 'active_users' then driver_value end) as avg_daily_active_users
    from {{ ref('stg_business__drivers') }}
    group by 1, 2

)

select
    costs.month_start,
    costs.product,
    costs.billing_currency,
    costs.allocated_cost,
    costs.tokens,
    costs.requests,
    drivers.tickets_resolved,
    drivers.documents_processed,
    drivers.revenue,
    drivers.avg_daily_active_users,
    {{ money_divide('costs.allocated_cost', 'drivers.tickets_resolved') }} as cost_per_ticket_resolved,
    {{ money_divide('costs.allocated_cost', 'drivers.documents_processed') }} as cost_per_document_processed,
    {{ money_divide('costs.allocated_cost', 'drivers.avg_daily_active_users') }} as cost_per_active_user,
    {{ money_divide('costs.allocated_cost', 'drivers.revenue') }} as ai_cost_share_of_revenue
from costs
left join drivers
    on costs.month_start = drivers.month_start
    and costs.product = drivers.product
