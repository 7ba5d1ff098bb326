-- One row per day x provider x project / workspace x model x token part: the tokens the
-- vendor's usage API counted beside the tokens the request logs saw (billable requests, the
-- same usage allocation uses), their difference and a status. Only providers with a usage API
-- source, and only days inside the range that source covers, are reconciled: a day no usage
-- page was pulled for is not "logged but not in usage API".
--   unlogged_traffic: the vendor counted more than the logs, beyond the tolerance (calls that
--     bypass the gateway);
--   logged_not_in_usage_api: the logs saw more than the vendor counted, beyond the tolerance;
--   matched: within usage_reconciliation_tolerance_pct percent of the larger of the two.
{#- a row's grain: day x provider x project / workspace x model x token part -#}
{%- set usage_grain = ['usage_date', 'provider_id', 'sub_account_id', 'model_id', 'token_part'] %}
with

vendor_usage as (

    select * from {{ ref('int_vendor_usage_tokens') }}

),

usage_by_key as (

    select * from {{ ref('int_usage_by_allocation_key') }}

),

usage_api_coverage as (

    select
        provider_id,
        min(usage_date) as first_usage_date,
        max(usage_date) as last_usage_date
    from vendor_usage
    group by 1

),

usage_api_tokens as (

    select
        {{ usage_grain | join(', ') }},
        sum(usage_api_tokens) as usage_api_tokens,
        0 as logged_tokens
    from vendor_usage
    group by 1, 2, 3, 4, 5

),

logged_tokens as (

    -- the token parts as bills charge them (macros/token_parts.sql)
    {%- for part, columns, list_costs in token_parts() %}
        select
            usage_by_key.request_date as usage_date,
            usage_by_key.provider_id,
            usage_by_key.sub_account_id,
            usage_by_key.model_id,
            '{{ part }}' as token_part,
            0 as usage_api_tokens,
            sum({{ token_part_sum(columns) }}) as logged_tokens
        from usage_by_key
        inner join usage_api_coverage
            on usage_by_key.provider_id = usage_api_coverage.provider_id
            and usage_by_key.request_date between usage_api_coverage.first_usage_date
            and usage_api_coverage.last_usage_date
        group by 1, 2, 3, 4, 5
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

compared as (

    select
        {{ usage_grain | join(', ') }},
        cast(sum(usage_api_tokens) as bigint) as usage_api_tokens,
        cast(sum(logged_tokens) as bigint) as logged_tokens
    from (
        select * from usage_api_tokens
        union all
        select * from logged_tokens
    ) as both_sides
    group by 1, 2, 3, 4, 5
    having sum(usage_api_tokens) <> 0 or sum(logged_tokens) <> 0

)

select
    {{ usage_grain | join(', ') }},
    usage_api_tokens,
    logged_tokens,
    usage_api_tokens - logged_tokens as token_difference,
    case
        when abs(usage_api_tokens - logged_tokens)
            <= {{ var('usage_reconciliation_tolerance_pct') }} * 0.01
            * greatest(usage_api_tokens, logged_tokens)
            then 'matched'
        when usage_api_tokens > logged_tokens then 'unlogged_traffic'
        else 'logged_not_in_usage_api'
    end as reconciliation_status
from compared
