-- One row per period grain (day, month) x period x dimension (team, cost_center, product,
-- use_case, feature, environment, model) x dimension value x billing currency: the unit-economics
-- KPIs of that slice, each beside its value in the previous period of the same grain (the day
-- or calendar month before, same dimension value and currency) and the change. KPIs per
-- business driver are in rpt_driver_unit_economics_long (long format, built on this model).
-- Long in dimension, wide in KPIs: a BI tool filters period_grain and dimension, then reads
-- columns. Every KPI is a ratio of sums over the slice (never an average of daily ratios).
-- Money KPIs are decimal (unit_cost: money_divide, truncated at 10^-10) and null while a
-- request of the period waits for its bill (incomplete_reason 'not billed yet'); *_change_pct
-- are DOUBLE: ratios, not money.
-- The vars unit_economics_grains and unit_economics_dimensions narrow the output (unit tests
-- use them to keep expected rows few); the defaults are every grain and every dimension.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set dimension_columns = dict(owner_key_names()) %}
{%- set dimensions = var('unit_economics_dimensions', owner_key_names() | map('first') | list) %}
{%- set grains = var('unit_economics_grains', ['day', 'month']) %}
{%- set slices = [] %}
{%- for grain in grains %}{% for dimension in dimensions %}{% do slices.append((grain, dimension)) %}{% endfor %}{% endfor %}
{%- set measures = [
    'billed_cost', 'direct_billed_cost', 'input_billed_cost', 'cache_read_billed_cost', 'cache_write_billed_cost', 'output_billed_cost',
    'non_token_billed_cost', 'uncached_input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens',
    'reasoning_tokens', 'total_tokens', 'billed_tokens', 'request_count', 'successful_request_count', 'unbilled_request_count'] %}
{#- (name, cost measure, scale, divisor): money per 1M tokens multiplies the money, not the
    divisor. Each is a unit_cost KPI with its prior value and change, and (name_reporting) the
    same formula over the reporting-currency cost. -#}
{%- set money_kpis = [
    ('cost_per_1m_tokens', 'billed_cost', ' * 1000000', 'total_tokens'),
    ('cost_per_1m_input_tokens', 'input_billed_cost', ' * 1000000', 'uncached_input_tokens'),
    ('cost_per_1m_cached_input_tokens', 'cache_read_billed_cost', ' * 1000000', 'cache_read_tokens'),
    ('cost_per_1m_cache_write_tokens', 'cache_write_billed_cost', ' * 1000000', 'cache_write_tokens'),
    ('cost_per_1m_output_tokens', 'output_billed_cost', ' * 1000000', '(' ~ part_tokens('output') ~ ')'),
    ('cost_per_request', 'billed_cost', '', 'request_count'),
    ('cost_per_successful_request', 'billed_cost', '', 'successful_request_count'),
] %}
{#- (name, expression, has change_pct). -#}
{%- set kpi_definitions = [] %}
{%- set reporting_kpi_definitions = [] %}
{%- for name, cost, scale, divisor in money_kpis %}
    {%- do kpi_definitions.append((name, unit_cost(cost ~ scale, divisor, 'unbilled_request_count'), true)) %}
    {%- do reporting_kpi_definitions.append((name ~ '_reporting', unit_cost(cost ~ '_reporting' ~ scale, divisor, 'unbilled_request_count'), false)) %}
{%- endfor %}
{%- set reporting_measures = ['billed_cost_reporting', 'direct_billed_cost_reporting', 'input_billed_cost_reporting', 'cache_read_billed_cost_reporting',
                              'cache_write_billed_cost_reporting', 'output_billed_cost_reporting', 'non_token_billed_cost_reporting'] %}
with

daily as (

    select * from {{ ref('fct_unit_economics_daily') }}

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
                {#- counts stay BIGINT (a sum of BIGINT is HUGEINT); money keeps its decimal type #}
                {% if measure.endswith('_tokens') or measure.endswith('_count') -%}
                    {{ count_sum(measure) }}{% else %}sum({{ measure }}){% endif %} as {{ measure }},
            {% endfor -%}
            {% for measure in reporting_measures -%}
                {{ sum_converted(measure) }} as {{ measure }}{% if not loop.last %},{% endif %}
            {% endfor -%}
        from daily
        group by 1, 2, 3, 4, 5
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

kpis as (

    select
        *,
        case period_grain
            {% for grain in grains -%}
                when '{{ grain }}' then cast({{ dbt.dateadd(grain, -1, 'period_start') }} as date)
            {% endfor -%}
        end as prior_period_start,
        {% for name, expression, has_pct in kpi_definitions + reporting_kpi_definitions -%}
            {{ expression }} as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from by_dimension

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
    -- day or two: is_billing_complete false, unit costs null)
    cast(kpis.billed_tokens as double) / nullif(cast(kpis.total_tokens as double), 0) as billed_token_coverage,
    {{ is_billing_complete('kpis.unbilled_request_count') }} as is_billing_complete,
    {{ incomplete_reason('kpis.unbilled_request_count') }} as incomplete_reason,
    -- the money in the reporting currency (var reporting_currency): one total over billing
    -- currencies is the sum of these; null when a charge of the slice has no FX rate
    '{{ reporting_currency() }}' as reporting_currency,
    {% for measure in reporting_measures -%}
        kpis.{{ measure }},
    {% endfor -%}
    {% for name, expression, has_pct in reporting_kpi_definitions -%}
        kpis.{{ name }},
    {% endfor -%}
    {% for name, expression, has_pct in kpi_definitions -%}
        kpis.{{ name }},
        prior_kpis.{{ name }} as {{ name }}_prior,
        kpis.{{ name }} - prior_kpis.{{ name }}
            as {{ name }}_change{% if has_pct %},
        cast(kpis.{{ name }} - prior_kpis.{{ name }} as double) / nullif(abs(cast(prior_kpis.{{ name }} as double)), 0)
            as {{ name }}_change_pct{% endif %}{% if not loop.last %},{% endif %}
    {% endfor %}
from kpis
left join kpis as prior_kpis
    on kpis.prior_period_start = prior_kpis.period_start
    and {{ columns_match('kpis', 'prior_kpis', [
        'period_grain', 'dimension', 'dimension_value', 'billing_currency']) }}
