-- One row per provider x billing account x invoice x billing period x currency: what was
-- billed, what was allocated to owners, what sits unallocated, and how the bill differs from
-- the usage the logs saw. The columns obey two identities, each a data test:
--   billed_cost = allocated_to_owners + unallocated
--   billed_cost = logged_usage_list_cost - unbilled_usage_list_cost + unlogged_usage_list_cost
--                 + shared_charges - discount_and_price_variance
with

charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

fact as (

    select * from {{ ref('fct_allocated_costs') }}

),

usage as (

    select * from {{ ref('int_usage_by_allocation_key') }}

),

-- usage keys the bills cover with a token line
billed_usage_keys as (

    select distinct
        provider_id,
        sub_account_id,
        charge_date,
        model_id,
        is_batch
    from charges
    where model_id is not null

),

usage_by_period as (

    select
        usage.provider_id,
        usage.billing_account_id,
        {{ dbt.date_trunc('month', 'usage.request_date') }} as billing_period_start,
        sum(usage.list_cost) as logged_usage_list_cost,
        sum(case when billed_usage_keys.model_id is null then usage.list_cost else 0 end)
            as unbilled_usage_list_cost,
        {{ count_sum(
            'case when billed_usage_keys.model_id is null then usage.request_count else 0 end'
        ) }} as unbilled_requests,
        {{ count_sum('usage.unpriced_request_count') }} as unpriced_requests
    from usage
    left join billed_usage_keys
        on {{ usage_key_matches('usage', 'billed_usage_keys',
            left_exprs={'usage_date': 'usage.request_date'},
            right_exprs={'usage_date': 'billed_usage_keys.charge_date'}) }}
    group by 1, 2, 3

),

token_lines as (

    -- per token line: list cost of the billed tokens the logs never saw
    select
        charges.charge_id,
        charges.list_cost,
        charges.token_quantity,
        charges.list_unit_price,
        coalesce(sum(fact.allocated_tokens) filter (where not fact.is_unallocated), 0)
            as logged_tokens,
        bool_or(fact.is_unallocated) as is_unallocated
    from charges
    inner join fact
        on charges.charge_id = fact.charge_id
    where charges.model_id is not null
    group by 1, 2, 3, 4

),

charges_by_period as (

    select
        charges.provider_id,
        charges.billing_account_id,
        charges.invoice_id,
        charges.billing_period_start,
        charges.billing_currency,
        count(*) as charge_count,
        sum(charges.billed_cost) as billed_cost,
        sum(charges.effective_cost) as effective_cost,
        sum(charges.list_cost) as list_cost,
        sum(charges.contracted_cost) as contracted_cost,
        sum(case when charges.model_id is null then charges.billed_cost else 0 end)
            as shared_charges,
        sum(
            case
                when token_lines.is_unallocated then token_lines.list_cost
                when
                    token_lines.token_quantity > token_lines.logged_tokens
                    and token_lines.list_unit_price is not null
                    then {{ tokens_to_cost(
                        'token_lines.token_quantity - token_lines.logged_tokens',
                        'token_lines.list_unit_price'
                    ) }}
                else 0
            end
        ) as unlogged_usage_list_cost
    from charges
    left join token_lines
        on charges.charge_id = token_lines.charge_id
    group by 1, 2, 3, 4, 5

),

allocated_by_period as (

    select
        provider_id,
        billing_account_id,
        invoice_id,
        billing_period_start,
        billing_currency,
        sum(case when not is_unallocated then billed_cost else 0 end) as allocated_to_owners,
        sum(case when is_unallocated then billed_cost else 0 end) as unallocated,
        sum(case when is_unallocated and model_id is not null then billed_cost else 0 end)
            as unallocated_no_logged_usage,
        sum(case when is_unallocated and model_id is null then billed_cost else 0 end)
            as unallocated_no_rule_or_pool,
        sum(case when team_id = 'unassigned' then billed_cost else 0 end)
            as allocated_to_unassigned_owner,
        {{ count_sum('allocated_tokens') }} as allocated_tokens
    from fact
    group by 1, 2, 3, 4, 5

)

select
    charges_by_period.provider_id,
    charges_by_period.billing_account_id,
    charges_by_period.invoice_id,
    charges_by_period.billing_period_start,
    charges_by_period.billing_currency,
    charges_by_period.charge_count,
    charges_by_period.billed_cost,
    charges_by_period.effective_cost,
    charges_by_period.list_cost,
    charges_by_period.contracted_cost,
    allocated_by_period.allocated_to_owners,
    allocated_by_period.unallocated,
    allocated_by_period.unallocated_no_logged_usage,
    allocated_by_period.unallocated_no_rule_or_pool,
    allocated_by_period.allocated_to_unassigned_owner,
    charges_by_period.billed_cost
    - allocated_by_period.allocated_to_owners
    - allocated_by_period.unallocated as allocation_difference,
    case
        when charges_by_period.billed_cost <> 0
            then round(
                    cast(allocated_by_period.allocated_to_owners as double)
                    / cast(charges_by_period.billed_cost as double),
                    6
                )
    end as allocation_coverage,
    coalesce(usage_by_period.logged_usage_list_cost, 0) as logged_usage_list_cost,
    coalesce(usage_by_period.unbilled_usage_list_cost, 0) as unbilled_usage_list_cost,
    coalesce(usage_by_period.unbilled_requests, 0) as unbilled_requests,
    coalesce(usage_by_period.unpriced_requests, 0) as unpriced_requests,
    charges_by_period.unlogged_usage_list_cost,
    charges_by_period.shared_charges,
    -- what is left once usage, timing and shared charges are accounted for: negotiated
    -- discounts and differences between catalog and billed rates
    coalesce(usage_by_period.logged_usage_list_cost, 0)
    - coalesce(usage_by_period.unbilled_usage_list_cost, 0)
    + charges_by_period.unlogged_usage_list_cost + charges_by_period.shared_charges
    - charges_by_period.billed_cost as discount_and_price_variance,
    allocated_by_period.allocated_tokens
from charges_by_period
inner join allocated_by_period
    on {{ columns_match('charges_by_period', 'allocated_by_period', [
        'provider_id', 'billing_account_id', 'invoice_id', 'billing_period_start',
        'billing_currency']) }}
left join usage_by_period
    on charges_by_period.provider_id = usage_by_period.provider_id
    and charges_by_period.billing_account_id = usage_by_period.billing_account_id
    and charges_by_period.billing_period_start = usage_by_period.billing_period_start
