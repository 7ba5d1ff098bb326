-- FOCUS rule (ServiceCategory-C-002-M, -C-003-M): ServiceCategory MUST NOT be null and MUST be
-- one of the allowed values (the categories of seed focus_service_categories).
{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
select
    facts.allocated_cost_id,
    facts.charge_id,
    facts.provider_id,
    facts.service_category
from {{ ref('fct_allocated_costs') }} as facts
where facts.service_category is null
    or facts.service_category not in (
        select categories.service_category
        from {{ ref('focus_service_categories') }} as categories
    )
