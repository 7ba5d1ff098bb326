{{ config(meta={'dagster': {'ref': {'name': 'fct_allocated_costs'}}}) }}
-- Invariant: the tokens the fact attributes to owners equal the tokens in staging for the
-- same provider, sub-account, day, model, batch flag and billed token part, wherever a bill
-- line covers that usage (tolerance: zero). Usage no bill covers yet is reported as
-- unbilled in rpt_allocation_reconciliation, not here.
with

staged_long as (

    -- billable requests straight from the staging models, parts as the bills split them
    -- (macros/token_parts.sql)
    {% for part, columns, list_costs in token_parts() %}
        select
            provider_id,
            sub_account_id,
            request_date,
            model_id,
            is_batch,
            '{{ part }}' as token_part,
            sum({{ token_part_sum(columns) }}) as tokens
        from {{ ref('int_requests_unioned') }}
        where is_success and not is_proxy_cache_hit
        group by 1, 2, 3, 4, 5
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
    on {{ usage_key_matches('billed_parts', 'staged_long',
        left_exprs={'usage_date': 'billed_parts.charge_date'},
        right_exprs={'usage_date': 'staged_long.request_date'}) }}
    and billed_parts.token_part = staged_long.token_part
left join fact
    on {{ usage_key_matches('billed_parts', 'fact',
        left_exprs={'usage_date': 'billed_parts.charge_date'},
        right_exprs={'usage_date': 'fact.charge_date'}) }}
    and billed_parts.token_part = fact.token_part
where coalesce(staged_long.tokens, 0) <> coalesce(fact.tokens, 0)
