-- FOCUS rule (ServiceSubcategory-C-002-M, -C-003-M, -C-004-M): ServiceSubcategory MUST NOT be
-- null, MUST be one of the allowed values, and MUST have one and only one parent
-- ServiceCategory: the (ServiceCategory, ServiceSubcategory) pair must be a row of seed
-- focus_service_categories.
{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
select
    facts.allocated_cost_id,
    facts.charge_id,
    facts.provider_id,
    facts.service_category,
    facts.service_subcategory
from {{ ref('fct_allocated_costs') }} as facts
left join {{ ref('focus_service_categories') }} as allowed
    on facts.service_category = allowed.service_category
    and facts.service_subcategory = allowed.service_subcategory
where facts.service_subcategory is null
    or allowed.service_subcategory is null
