-- One row per charge day x owner (team, cost center, product, use case, feature, environment)
-- x provider x model x billing currency: the "start here" table for self-service BI. Every
-- measure is additive: sum it over any set of rows (keeping billing_currency in the group) and
-- the total is right, because it is a plain re-grain of fct_allocated_costs.
with

allocated_costs as (

    select * from {{ ref('fct_allocated_costs') }}

),

summed as (

    select
        charge_date,
        {% for key in owner_keys(include_model=false) -%}
            {{ key }},
            {% if key in team_owner_keys() %}{{ key[:-3] }}_name,
            {% endif -%}
        {% endfor -%}
        provider_id,
        provider_name,
        coalesce(model_id, 'none') as model_id,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(case when not is_unallocated then billed_cost else cast(0 as {{ money_type() }}) end)
            as allocated_billed_cost,
        sum(case when is_unallocated then billed_cost else cast(0 as {{ money_type() }}) end)
            as unallocated_billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(contracted_cost) as contracted_cost,
        {{ count_sum('uncached_input_tokens') }} as uncached_input_tokens,
        {{ count_sum('cache_read_tokens') }} as cache_read_tokens,
        {{ count_sum('cache_write_tokens') }} as cache_write_tokens,
        {{ count_sum('output_tokens') }} as output_tokens,
        {{ count_sum('reasoning_tokens') }} as reasoning_tokens,
        {{ count_sum('allocated_tokens') }} as total_tokens,
        {{ count_sum('allocated_requests') }} as request_count,
        count(*) as allocated_row_count
    from allocated_costs
    group by
        charge_date,
        {% for key in owner_keys(include_model=false) -%}
            {{ key }},{% if key in team_owner_keys() %} {{ key[:-3] }}_name,{% endif %}
        {% endfor -%}
        provider_id, provider_name, coalesce(model_id, 'none'), billing_currency

)

select * from summed
