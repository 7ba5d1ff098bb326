{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: the tokens the fact attributes to owners equal the tokens in staging for the
-- same provider, sub-account, day, model, batch flag and billed token part, wherever a bill
-- line covers that usage (tolerance: zero). Usage no bill covers yet is reported as
-- unbilled in rpt_allocation_reconciliation, not here.
with

staged as (

    -- billable requests straight from the staging models, parts as the bills split them
    select
        provider_id,
        sub_account_id,
        request_date,
        model_id,
        is_batch,
        sum(uncached_input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens + reasoning_tokens) as output_tokens
    from {{ ref('int_requests_unioned') }}
    where is_success and not is_proxy_cache_hit
    group by 1, 2, 3, 4, 5

),

staged_long as (

    select
        provider_id,
        sub_account_id,
        request_date,
        model_id,
        is_batch,
        'input' as token_part,
        input_tokens as tokens
    from staged
    union all
    select
        provider_id,
        sub_account_id,
        request_date,
        model_id,
        is_batch,
        'cache_read' as token_part,
        cache_read_tokens as tokens
    from staged
    union all
    select
        provider_id,
        sub_account_id,
        request_date,
        model_id,
        is_batch,
        'cache_write' as token_part,
        cache_write_tokens as tokens
    from staged
    union all
    select
        provider_id,
        sub_account_id,
        request_date,
        model_id,
        is_batch,
        'output' as token_part,
        output_tokens as tokens
    from staged

),

billed_parts as (

    select distinct
        provider_id,
        sub_account_id,
        charge_date,
        model_id,
        is_batch,
        token_part
    from {{ ref('int_billed_charges_unioned') }}
    where model_id is not null and token_part is not null

),

fact as (

    select
        charges.provider_id,
        charges.sub_account_id,
        charges.charge_date,
        charges.model_id,
        charges.is_batch,
        charges.token_part,
        sum(fact.allocated_tokens) as tokens
    from {{ ref('fct_allocated_costs') }} as fact
    inner join {{ ref('int_billed_charges_unioned') }} as charges
        on fact.charge_id = charges.charge_id
    where charges.token_part is not null and not fact.is_unallocated
    group by 1, 2, 3, 4, 5, 6

)

select
    billed_parts.*,
    staged_long.tokens as staged_tokens,
    fact.tokens as fact_tokens
from billed_parts
left join staged_long
    on billed_parts.provider_id = staged_long.provider_id
    and billed_parts.sub_account_id = staged_long.sub_account_id
    and billed_parts.charge_date = staged_long.request_date
    and billed_parts.model_id = staged_long.model_id
    and billed_parts.is_batch = staged_long.is_batch
    and billed_parts.token_part = staged_long.token_part
left join fact
    on billed_parts.provider_id = fact.provider_id
    and billed_parts.sub_account_id = fact.sub_account_id
    and billed_parts.charge_date = fact.charge_date
    and billed_parts.model_id = fact.model_id
    and billed_parts.is_batch = fact.is_batch
    and billed_parts.token_part = fact.token_part
where coalesce(staged_long.tokens, 0) <> coalesce(fact.tokens, 0)
