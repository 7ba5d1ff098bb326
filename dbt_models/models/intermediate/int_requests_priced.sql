-- One row per request, priced at the list prices in force on its date. Every token part has its
-- own rate; a part the catalog leaves blank falls back to the nearest dearer rate (cache to
-- input, reasoning to output), never to zero. A model with no price at all is 'unpriced' and
-- its list cost stays null.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set parts = [
    ('uncached_input_tokens', 'input_rate'),
    ('cache_read_tokens', 'cache_read_rate'),
    ('cache_write_tokens', 'cache_write_rate'),
    ('output_tokens', 'output_rate'),
    ('reasoning_tokens', 'reasoning_rate'),
] %}
-- Incremental by request day (macros/incremental_days.sql): the days int_requests_unioned
-- rebuilt; every day when the price catalog, the contract overrides or the batch factor change
-- (prices are date-effective: a catalog change can re-price any day).
{{ config(
    materialized=incremental_days_materialization(),
    pre_hook="{{ incremental_plan_after('int_requests_unioned',
        [ref('int_price_catalog'), ref('price_overrides')], [var('batch_price_factor')]) }}",
    post_hook="{{ incremental_done('request_date') }}",
) }}
with

requests as (

    select * from {{ ref('int_requests_unioned') }}
    where {{ incremental_days_filter('request_date') }}

),

prices as (

    select * from {{ ref('int_price_catalog') }}

),

overrides as (

    select * from {{ ref('price_overrides') }}

),

joined as (

    select
        requests.*,
        prices.model_id is not null as has_price,
        prices.price_source,
        prices.effective_from as price_effective_from,
        case when requests.is_batch
                then {{ batch_rate('prices.batch_input_usd_per_mtok', 'prices.input_usd_per_mtok') }}
            else prices.input_usd_per_mtok
        end as input_rate,
        coalesce(prices.cache_read_usd_per_mtok, prices.input_usd_per_mtok) as cache_read_rate,
        coalesce(prices.cache_write_usd_per_mtok, prices.input_usd_per_mtok) as cache_write_rate,
        case when requests.is_batch
                then {{ batch_rate('prices.batch_output_usd_per_mtok', 'prices.output_usd_per_mtok') }}
            else prices.output_usd_per_mtok
        end as output_rate,
        case when requests.is_batch
                then {{ batch_rate('prices.batch_output_usd_per_mtok', 'prices.output_usd_per_mtok') }}
            else coalesce(prices.reasoning_usd_per_mtok, prices.output_usd_per_mtok)
        end as reasoning_rate,
        prices.cache_read_usd_per_mtok is null and requests.cache_read_tokens > 0
        or prices.cache_write_usd_per_mtok is null and requests.cache_write_tokens > 0
            as used_fallback_rate
    from requests
    left join prices
        on requests.price_provider_id = prices.provider_id
        and requests.model_id = prices.model_id
        and requests.request_date >= prices.effective_from
        and requests.request_date < prices.effective_to

),

priced as (

    select
        *,
        -- no price for the model, or none for a part the request used (e.g. output tokens on
        -- a model priced for input only): its tokens cannot be priced, never at zero
        not has_price
        {%- for part, rate in parts %}
            or ({{ part }} > 0 and {{ rate }} is null)
        {%- endfor %} as lacks_price,
        case
            -- failed calls and proxy cache hits never reach the provider's bill
            when not is_success or is_proxy_cache_hit then 'not_billable'
            when lacks_price then 'unpriced'
            else 'priced'
        end as pricing_status,
        {%- for part, rate in parts %}
            case when {{ part }} = 0 then cast(0 as {{ money_type() }})
                else {{ tokens_to_cost(part, rate) }}
            end as {{ part | replace('_tokens', '') }}_list_cost{% if not loop.last %},{% endif %}
        {%- endfor %}
    from joined

),

contracted as (

    -- negotiated terms: the most specific override row in force (a named model beats '*')
    {% call first_row_per('request_uid', 'override_rank, override_effective_from desc',
                          drop=['override_rank', 'override_effective_from']) -%}
    select
        priced.*,
        overrides.discount_pct as contract_discount_pct,
        overrides.input_usd_per_mtok as contract_input_rate,
        overrides.cache_read_usd_per_mtok as contract_cache_read_rate,
        overrides.cache_write_usd_per_mtok as contract_cache_write_rate,
        overrides.output_usd_per_mtok as contract_output_rate,
        case when overrides.model_id = '*' then 1 else 0 end as override_rank,
        overrides.effective_from as override_effective_from
    from priced
    left join overrides
        on priced.provider_id = overrides.provider_id
        and priced.billing_account_id = overrides.billing_account_id
        and overrides.model_id in (priced.model_id, '*')
        and priced.request_date >= overrides.effective_from
        and (overrides.effective_to is null or priced.request_date < overrides.effective_to)
    {%- endcall %}

),

usage_costed as (

    -- what the request's tokens cost at list prices and at the contract's terms, billable or
    -- not (the waste marts price failed calls with it): custom contract rates for the parts
    -- they name, list less the negotiated discount for the rest; null when it lacks a price
    select
        *,
        case when not lacks_price then uncached_input_list_cost + cache_read_list_cost
                + cache_write_list_cost + output_list_cost + reasoning_list_cost
        end as usage_list_cost,
        case when not lacks_price then cast(
            {#- per token part as bills charge it (macros/token_parts.sql) #}
            {%- for part, tokens, list_costs in token_parts() %}
                        coalesce(
                            {{ tokens_to_cost(token_part_sum(tokens), 'contract_' ~ part ~ '_rate') }},
                            ({{ token_part_sum(list_costs) }}) * (1 - coalesce(contract_discount_pct, 0) * 0.01)
                        ){% if not loop.last %} +{% endif %}
                    {%- endfor %}
                    as {{ money_type() }}
                )
        end as usage_contracted_cost,
        {{ part_tokens() }} as total_tokens
    from contracted

)

select
    {{ star_except(['uncached_input_list_cost', 'cache_read_list_cost', 'cache_write_list_cost',
                    'output_list_cost', 'reasoning_list_cost']) }},
    {%- for part, rate in parts %}
        {%- set cost = part | replace('_tokens', '') ~ '_list_cost' %}
        case pricing_status when 'not_billable' then 0 when 'unpriced' then null else {{ cost }} end as {{ cost }},
    {%- endfor %}
    -- what the request adds to the provider's bill: nothing when it never reaches it
    case pricing_status when 'not_billable' then cast(0 as {{ money_type() }}) else usage_list_cost end
        as list_cost,
    case pricing_status when 'not_billable' then cast(0 as {{ money_type() }}) else usage_contracted_cost end
        as contracted_cost
from usage_costed
