-- One row per billed charge per owner it is split to: the FOCUS 1.3-aligned cost fact.
-- FOCUS columns first (snake_case), then the allocation columns, then the project's own.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
with

charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

allocations as (

    select * from {{ ref('int_costs_allocated_to_owners') }}

),

teams as (

    select * from {{ ref('org_teams') }}

),

owner_names as (

    select * from {{ ref('int_owner_names') }}

),

converted as (

    select * from {{ ref('int_charges_converted_to_reporting_currency') }}

),

joined as (

    select
        charges.*,
        {% for key in owner_keys(include_model=false) -%}
            allocations.{{ key }},
        {% endfor -%}
        allocations.model_id as owner_model_id,
        allocations.allocated_method_id,
        allocations.rule_id as allocation_rule_id,
        allocations.basis as allocation_basis,
        allocations.weight as allocation_weight,
        allocations.weight_rank as allocation_weight_rank,
        allocations.match_scope as allocation_match_scope,
        allocations.allocated_tokens,
        allocations.allocated_reasoning_tokens,
        allocations.allocated_requests,
        allocations.billed_cost as allocated_billed_cost,
        allocations.effective_cost as allocated_effective_cost,
        allocations.list_cost as allocated_list_cost,
        allocations.contracted_cost as allocated_contracted_cost,
        allocations.pricing_quantity as allocated_pricing_quantity,
        allocations.consumed_quantity as allocated_consumed_quantity,
        converted.reporting_currency,
        converted.fx_rate_date,
        converted.fx_rate,
        allocations.billed_cost_reporting,
        allocations.effective_cost_reporting,
        allocations.list_cost_reporting,
        allocations.contracted_cost_reporting,
        sum(allocations.weight) over (partition by allocations.charge_id) as total_weight
    from allocations
    inner join charges
        on allocations.charge_id = charges.charge_id
    left join converted
        on allocations.charge_id = converted.charge_id

),

allocated as (

    select
    -- FOCUS columns ------------------------------------------------------------------------
    {%- set key_columns = ['joined.charge_id'] %}
    {%- for key in owner_keys() %}
        {%- do key_columns.append('joined.owner_model_id' if key == 'model_id' else 'joined.' ~ key) %}
    {%- endfor %}
        {{ surrogate_key(key_columns) }}
            as allocated_cost_id,
        joined.allocated_billed_cost as billed_cost,
        joined.billing_account_id,
        joined.billing_account_name,
        'Billing Account' as billing_account_type,
        joined.billing_currency,
        joined.billing_period_end,
        joined.billing_period_start,
        joined.charge_category,
        cast(null as {{ dbt.type_string() }}) as charge_class,
        joined.charge_description,
        joined.charge_frequency,
        joined.charge_period_end,
        joined.charge_period_start,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_status,
        -- quantities follow the owner's share of the charge, like the money
        case when joined.charge_category = 'Usage' then joined.allocated_consumed_quantity end
            as consumed_quantity,
        case when joined.charge_category = 'Usage' and joined.allocated_consumed_quantity is not null
                then joined.consumed_unit
        end as consumed_unit,
        joined.allocated_contracted_cost as contracted_cost,
        joined.contracted_unit_price,
        joined.allocated_effective_cost as effective_cost,
        joined.service_provider_name as host_provider_name,
        joined.invoice_id,
        joined.invoice_issuer_name,
        joined.allocated_list_cost as list_cost,
        joined.list_unit_price,
        case when joined.allocated_pricing_quantity is not null then joined.pricing_category end
            as pricing_category,
        joined.allocated_pricing_quantity as pricing_quantity,
        case when joined.allocated_pricing_quantity is not null then joined.pricing_unit end
            as pricing_unit,
        joined.service_provider_name as provider_name,
        joined.service_provider_name as publisher_name,
        joined.region_id,
        joined.region_name,
        joined.resource_id,
        joined.resource_name,
        joined.resource_type,
        -- FOCUS rows bring their own category; vendor API lines are Generative AI
        joined.service_category,
        joined.service_name,
        joined.service_provider_name,
        joined.service_subcategory,
        joined.sku_id,
        joined.sku_meter,
        joined.sku_price_id,
        joined.sub_account_id,
        joined.sub_account_name,
        joined.tags,
        -- FOCUS 1.3 allocation columns ------------------------------------------------------------
        joined.allocated_method_id,
        -- weights are money_type(): their text has 10 decimals
        {{ json_object_from([
            ('basis', 'joined.allocation_basis'),
            ('weight', decimal_text('joined.allocation_weight', 10)),
            ('total_weight', decimal_text('joined.total_weight', 10)),
            ('share', 'round(cast(joined.allocation_weight as double)'
                ~ ' / nullif(cast(joined.total_weight as double), 0), 10)'),
            ('rule_id', 'joined.allocation_rule_id'),
            ('scope', 'joined.allocation_match_scope'),
        ]) }} as allocated_method_details,
        'owner:' || joined.team_id || '/' || joined.product || '/' || joined.use_case || '/'
        || joined.feature || '/' || joined.environment as allocated_resource_id,
        coalesce(teams.team_name, joined.team_id) || ' / ' || joined.product || ' / '
        || joined.use_case || ' / ' || joined.environment as allocated_resource_name,
        {%- set tag_pairs = [] %}
        {%- for name, column in owner_key_names(include_model=false) %}
            {%- do tag_pairs.append((name, 'joined.' ~ column)) %}
        {%- endfor %}
        {{ json_object_from(tag_pairs) }} as allocated_tags,
        -- the project's own columns --------------------------------------------------------------
        joined.charge_id,
        joined.provider_id,
        joined.charge_date,
        {% for key in owner_keys(include_model=false) -%}
            joined.{{ key }},
            {% if key in team_owner_keys() -%}
                coalesce({{ key[:-3] }}_names.owner_name, joined.{{ key }}) as {{ key[:-3] }}_name,
            {% endif -%}
        {% endfor -%}
        coalesce(joined.model_id, nullif(joined.owner_model_id, 'shared'), nullif(joined.owner_model_id, 'unallocated'))
            as model_id,
        joined.token_part,
        joined.is_batch,
        joined.team_id = 'unallocated' as is_unallocated,
        case when joined.team_id = 'unallocated' then joined.allocation_match_scope end as unallocated_reason,
        cast(case when joined.token_part = 'input' then joined.allocated_tokens else 0 end as bigint) as uncached_input_tokens,
        cast(case when joined.token_part = 'cache_read' then joined.allocated_tokens else 0 end as bigint) as cache_read_tokens,
        cast(case when joined.token_part = 'cache_write' then joined.allocated_tokens else 0 end as bigint) as cache_write_tokens,
        cast(case when joined.token_part = 'output'
                then joined.allocated_tokens - joined.allocated_reasoning_tokens
            else 0
        end as bigint) as output_tokens,
        cast(joined.allocated_reasoning_tokens as bigint) as reasoning_tokens,
        cast(joined.allocated_tokens as bigint) as allocated_tokens,
        cast(joined.allocated_requests as bigint) as allocated_requests,
        joined.source_system,
        joined.source_file,
        joined.source_row,
        -- the reporting currency (var reporting_currency): the money above converted at the rate in
        -- force on fx_rate_date, split like the billing-currency money; null when no rate is known
        joined.reporting_currency,
        joined.fx_rate_date,
        joined.fx_rate,
        joined.billed_cost_reporting,
        joined.effective_cost_reporting,
        joined.list_cost_reporting,
        joined.contracted_cost_reporting
    from joined
    left join teams
        on joined.team_id = teams.team_id
    {{- owner_name_joins('joined') }}

)

select
    *,
    -- the JSON columns again as plain text, for BI drivers that have no JSON type
    cast(allocated_method_details as {{ dbt.type_string() }}) as allocated_method_details_text,
    cast(allocated_tags as {{ dbt.type_string() }}) as allocated_tags_text
from allocated
