-- One row per period grain (day, month) x period x dimension (team, cost_center, product,
-- use_case, feature, environment, model) x dimension value x billing currency: the unit-economics
-- KPIs of that slice, each beside its value in the previous period of the same grain (the day
-- or calendar month before, same dimension value and currency) and the change.
-- Long in dimension, wide in KPIs: a BI tool filters period_grain and dimension, then reads
-- columns. Every KPI is a ratio of sums over the slice (never an average of daily ratios).
-- Money KPIs are decimal (money_divide, truncated at 10^-10); tokens-per-driver KPIs and
-- *_change_pct are DOUBLE: they are counts or ratios, not money.
-- The vars unit_economics_grains and unit_economics_dimensions narrow the output (unit tests
-- use them to keep expected rows few); the defaults are every grain and every dimension.
{%- set dimension_columns = {
    'team': 'team_id', 'cost_center': 'cost_center_id', 'product': 'product', 'use_case': 'use_case',
    'feature': 'feature', 'environment': 'environment', 'model': 'model_id'} %}
{%- set dimensions = var('unit_economics_dimensions', ['team', 'cost_center', 'product', 'use_case', 'feature', 'environment', 'model']) %}
{%- set grains = var('unit_economics_grains', ['day', 'month']) %}
{#- drivers are delivered by product and by team: only those dimensions get driver KPIs -#}
{%- set driver_columns = {'team': 'team_id', 'product': 'product'} %}
{%- set driver_dimensions = [] %}
{%- for dimension in dimensions if dimension in driver_columns %}{% do driver_dimensions.append(dimension) %}{% endfor %}
{%- set slices = [] %}
{%- for grain in grains %}{% for dimension in dimensions %}{% do slices.append((grain, dimension)) %}{% endfor %}{% endfor %}
{%- set measures = [
    'billed_cost', 'input_billed_cost', 'cache_read_billed_cost', 'cache_write_billed_cost', 'output_billed_cost',
    'non_token_billed_cost', 'uncached_input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens',
    'reasoning_tokens', 'total_tokens', 'billed_tokens', 'request_count', 'successful_request_count'] %}
{#- (name, expression, has change_pct). Money per 1M tokens multiplies the money, not the divisor. -#}
{%- set kpi_definitions = [
    ('cost_per_1m_tokens', money_divide('billed_cost * 1000000', 'total_tokens'), true),
    ('cost_per_1m_input_tokens', money_divide('input_billed_cost * 1000000', 'uncached_input_tokens'), true),
    ('cost_per_1m_cached_input_tokens', money_divide('cache_read_billed_cost * 1000000', 'cache_read_tokens'), true),
    ('cost_per_1m_cache_write_tokens', money_divide('cache_write_billed_cost * 1000000', 'cache_write_tokens'), true),
    ('cost_per_1m_output_tokens', money_divide('output_billed_cost * 1000000', '(output_tokens + reasoning_tokens)'), true),
    ('cost_per_request', money_divide('billed_cost', 'request_count'), true),
    ('cost_per_successful_request', money_divide('billed_cost', 'successful_request_count'), true),
    ('tokens_per_ticket_resolved', 'cast(total_tokens as double) / nullif(cast(tickets_resolved as double), 0)', true),
    ('tokens_per_document_processed', 'cast(total_tokens as double) / nullif(cast(documents_processed as double), 0)', true),
    ('tokens_per_active_user', 'cast(total_tokens as double) / nullif(cast(active_users as double), 0)', true),
    ('cost_per_ticket_resolved', money_divide('billed_cost', 'tickets_resolved'), true),
    ('cost_per_document_processed', money_divide('billed_cost', 'documents_processed'), true),
    ('cost_per_active_user', money_divide('billed_cost', 'active_users'), true),
    ('ai_cost_share_of_revenue', money_divide('billed_cost', 'revenue'), false),
] %}
with

daily as (

    select * from {{ ref('fct_unit_economics_daily') }}

),

drivers as (

    select * from {{ ref('stg_business__drivers') }}

),

by_dimension as (

    {% for grain, dimension in slices -%}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'date_day') }} as date) as period_start,
        '{{ dimension }}' as dimension,
        {{ dimension_columns[dimension] }} as dimension_value,
        billing_currency,
        {% for measure in measures -%}
        sum({{ measure }}) as {{ measure }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    from daily
    group by 1, 2, 3, 4, 5
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

driver_days as (

    -- one row per day x dimension x value x driver (x currency for revenue); a product's
    -- drivers are its rows for any team, a team's its rows for any product
    {% for dimension in driver_dimensions -%}
    select
        driver_date as date_day,
        '{{ dimension }}' as dimension,
        {{ driver_columns[dimension] }} as dimension_value,
        driver,
        case when driver = 'revenue' then driver_unit end as revenue_currency,
        sum(driver_value) as driver_value
    from drivers
    where {{ driver_columns[dimension] }} <> 'all'
    group by 1, 2, 3, 4, 5
    union all
    {% endfor -%}
    select
        cast(null as date) as date_day,
        cast(null as varchar) as dimension,
        cast(null as varchar) as dimension_value,
        cast(null as varchar) as driver,
        cast(null as varchar) as revenue_currency,
        cast(null as decimal(38, 6)) as driver_value
    where false

),

driver_periods as (

    -- counts add up over the period; active users is a daily level: the period's is the
    -- average day (rounded to 8 decimals, the most money_divide takes)
    {% for grain in grains -%}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'date_day') }} as date) as period_start,
        dimension,
        dimension_value,
        sum(case when driver = 'support_tickets_resolved' then driver_value end) as tickets_resolved,
        sum(case when driver = 'documents_processed' then driver_value end) as documents_processed,
        cast(avg(case when driver = 'active_users' then driver_value end) as decimal(38, 8)) as active_users
    from driver_days
    group by 1, 2, 3, 4
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

revenue_periods as (

    {% for grain in grains -%}
    select
        '{{ grain }}' as period_grain,
        cast({{ dbt.date_trunc(grain, 'date_day') }} as date) as period_start,
        dimension,
        dimension_value,
        revenue_currency,
        sum(driver_value) as revenue
    from driver_days
    where driver = 'revenue'
    group by 1, 2, 3, 4, 5
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

with_drivers as (

    select
        by_dimension.*,
        driver_periods.tickets_resolved,
        driver_periods.documents_processed,
        driver_periods.active_users,
        -- revenue only in the currency the cost is billed in: no conversion here
        revenue_periods.revenue
    from by_dimension
    left join driver_periods
        on by_dimension.period_grain = driver_periods.period_grain
        and by_dimension.period_start = driver_periods.period_start
        and by_dimension.dimension = driver_periods.dimension
        and by_dimension.dimension_value = driver_periods.dimension_value
    left join revenue_periods
        on by_dimension.period_grain = revenue_periods.period_grain
        and by_dimension.period_start = revenue_periods.period_start
        and by_dimension.dimension = revenue_periods.dimension
        and by_dimension.dimension_value = revenue_periods.dimension_value
        and by_dimension.billing_currency = revenue_periods.revenue_currency

),

kpis as (

    select
        *,
        case period_grain
            {% for grain in grains -%}
            when '{{ grain }}' then cast({{ dbt.dateadd(grain, -1, 'period_start') }} as date)
            {% endfor -%}
        end as prior_period_start,
        {% for name, expression, has_pct in kpi_definitions -%}
        {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from with_drivers

)

-- *_change is the absolute change; *_change_pct is relative to the size of the prior value, so a
-- rise is positive even after a credit made the prior value negative
select
    {{ surrogate_key(['kpis.period_grain', 'kpis.period_start', 'kpis.dimension', 'kpis.dimension_value', 'kpis.billing_currency']) }}
        as unit_economics_id,
    kpis.period_grain,
    kpis.period_start,
    kpis.prior_period_start,
    kpis.dimension,
    kpis.dimension_value,
    kpis.billing_currency,
    {% for measure in measures -%}
    kpis.{{ measure }},
    {% endfor -%}
    -- share of tokens a per-token bill line covers: 0 for self-hosted models (billed as hosts);
    -- below the slice's usual level while bills for some usage have not arrived (the latest
    -- day or two), when the unit costs are understated
    cast(kpis.billed_tokens as double) / nullif(cast(kpis.total_tokens as double), 0) as billed_token_coverage,
    kpis.tickets_resolved,
    kpis.documents_processed,
    kpis.active_users,
    kpis.revenue,
    {% for name, expression, has_pct in kpi_definitions -%}
    kpis.{{ name }},
    prior.{{ name }} as {{ name }}_prior,
    kpis.{{ name }} - prior.{{ name }} as {{ name }}_change{% if has_pct %},
    cast(kpis.{{ name }} - prior.{{ name }} as double) / nullif(abs(cast(prior.{{ name }} as double)), 0)
        as {{ name }}_change_pct{% endif %}{% if not loop.last %},{% endif %}
    {% endfor %}
from kpis
left join kpis as prior
    on kpis.period_grain = prior.period_grain
    and kpis.prior_period_start = prior.period_start
    and kpis.dimension = prior.dimension
    and kpis.dimension_value = prior.dimension_value
    and kpis.billing_currency = prior.billing_currency
