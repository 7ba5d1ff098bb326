-- One row per billed charge x owner it will be split to, with the weight of that owner.
-- Three ways a charge finds its owners, tried in this order:
--   1. direct: the charge names a model; owners are the logged usage of that model on the same
--      provider, sub-account, day and batch flag, weighted by list cost of the billed token part
--      (tokens when the model has no price);
--   2. rule: a shared charge (fees, tools, GPU hosts, support, credits) matches a row of the
--      allocation_rules seed: proportional to usage in scope, an even split, or fixed shares;
--   3. unallocated: nothing matched; one row owned by 'unallocated' with the reason.
-- A proportional rule's charge billed in hours (GPU hosts) is split into used and idle hours:
-- an hour of its charge period is used when the usage in the rule's scope logged a request in
-- it. The used share goes to that usage as the rule says; the idle share follows its own rule,
-- to the teams using the hosts in the billing period by the same basis, on rows of their own
-- (product, use case, feature, environment and model 'idle_capacity', method 'rule:<id>:idle'),
-- never hidden in the used share.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set owner_columns = owner_keys() %}
with

charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

usage as (

    select * from {{ ref('int_usage_by_allocation_key') }}

),

rules as (

    select * from {{ ref('allocation_rules') }}

),

rule_shares as (

    select * from {{ ref('allocation_rule_shares') }}

),

teams as (

    select * from {{ ref('org_teams') }}

),

request_hours as (

    -- the hours in which logged usage ran (what makes a billed host hour "used")
    select distinct
        provider_id,
        billing_account_id,
        sub_account_id,
        {{ dbt.date_trunc('hour', 'requested_at') }} as usage_hour
    from {{ ref('int_requests_priced') }}
    where is_success and not is_proxy_cache_hit

),

direct_usage as (

    select
        charges.charge_id,
        {% for key in owner_columns %}usage.{{ key }},
        {% endfor -%}
        {{ token_part_case('charges.token_part', 'list_cost', 'usage', 'usage.list_cost') }}
            as part_list_cost,
        {{ token_part_case('charges.token_part', 'tokens', 'usage', 'usage.total_tokens') }}
            as part_tokens,
        case when charges.token_part = 'output' then usage.reasoning_tokens else 0 end as part_reasoning_tokens,
        usage.request_count,
        usage.request_count as weight_requests,
        -- Two bill lines can cover the same usage (dated snapshots of one model, e.g.
        -- "gpt-4o-2024-08-06" and "gpt-4o-2024-11-20"): both split by the same weights, but
        -- only the first carries the tokens and requests, so none are counted twice.
        dense_rank() over (
            partition by
                charges.provider_id, charges.sub_account_id, charges.charge_date,
                charges.model_id, charges.is_batch, charges.token_part
            order by charges.charge_id
        ) = 1 as carries_usage
    from charges
    inner join usage
        on {{ usage_key_matches('charges', 'usage',
            left_exprs={'usage_date': 'charges.charge_date'},
            right_exprs={'usage_date': 'usage.request_date'}) }}
    where charges.model_id is not null

),

direct_weights as (

    -- var('direct_allocation_basis'): list cost (default) unless the model has no price,
    -- then tokens; or tokens, or requests, for every direct charge
    select
        charge_id,
        {% for key in owner_columns %}{{ key }},
        {% endfor -%}
        case
            when '{{ var("direct_allocation_basis") }}' = 'requests' then 'requests'
            when '{{ var("direct_allocation_basis") }}' = 'tokens' then 'tokens'
            when min(part_list_cost) over (partition by charge_id) is null
                or sum(part_list_cost) over (partition by charge_id) = 0 then 'tokens'
            else 'list_cost'
        end as basis,
        part_list_cost,
        case when carries_usage then part_tokens else 0 end as part_tokens,
        case when carries_usage then part_reasoning_tokens else 0 end as part_reasoning_tokens,
        case when carries_usage then request_count else 0 end as request_count,
        part_tokens as weight_tokens,
        weight_requests
    from direct_usage
    where part_tokens > 0

),

direct_allocations as (

    select
        charge_id,
        {% for key in owner_columns %}{{ key }},
        {% endfor -%}
        'direct_usage_' || basis as allocated_method_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        basis,
        case basis
            when 'list_cost' then part_list_cost
            when 'requests' then cast(weight_requests as {{ money_type() }})
            else cast(weight_tokens as {{ money_type() }})
        end as weight,
        part_tokens as allocated_tokens,
        part_reasoning_tokens as allocated_reasoning_tokens,
        request_count as allocated_requests,
        'same model, sub-account, day' as match_scope
    from direct_weights

),

rule_matches as (

    {% call first_row_per('charge_id', 'rule_priority, rule_id', drop=['rule_priority']) -%}
    select
        charges.charge_id,
        charges.billing_account_id,
        charges.sub_account_id,
        charges.charge_date,
        charges.billing_period_start,
        charges.billing_period_end,
        rules.rule_id,
        rules.method,
        coalesce(rules.basis, 'none') as basis,
        rules.usage_provider_id,
        rules.usage_scope,
        rules.period_scope,
        charges.charge_period_start,
        charges.charge_period_end,
        rules.method = 'proportional_usage'
        and lower(coalesce(charges.consumed_unit, '')) in ('hours', 'hour', 'hrs')
            as is_billed_in_hours,
        {{ dbt.datediff('charges.charge_period_start', 'charges.charge_period_end', 'hour') }}
            as period_hours,
        rules.priority as rule_priority
    from charges
    inner join rules
        on charges.provider_id = rules.charge_provider_id
        and (rules.match_service_name is null or charges.service_name like rules.match_service_name)
        -- the description or the meter (Azure names PTU hours in the meter, not the description)
        and (
            rules.match_description is null or charges.charge_description like rules.match_description
            or charges.sku_meter like rules.match_description
        )
        and (rules.match_charge_category is null or charges.charge_category = rules.match_charge_category)
    where charges.model_id is null
    {%- endcall %}

),

rule_pool as (

    -- usage in the rule's scope, for the charge's day and for its whole billing period
    select
        rule_matches.charge_id,
        rule_matches.rule_id,
        rule_matches.method,
        rule_matches.basis,
        rule_matches.period_scope,
        usage.request_date = rule_matches.charge_date as is_same_day,
        {% for key in owner_columns %}usage.{{ key }},
        {% endfor -%}
        usage.list_cost,
        usage.total_tokens,
        usage.request_count
    from rule_matches
    inner join usage
        on rule_matches.billing_account_id = usage.billing_account_id
        and (rule_matches.usage_provider_id = '*' or rule_matches.usage_provider_id = usage.provider_id)
        and (rule_matches.usage_scope = 'any_sub_account' or rule_matches.sub_account_id = usage.sub_account_id)
        and usage.request_date >= cast(rule_matches.billing_period_start as date)
        and usage.request_date < cast(rule_matches.billing_period_end as date)
    where rule_matches.method in ('proportional_usage', 'even_split')

),

rule_pool_days as (

    select *, max(is_same_day) over (partition by charge_id) as charge_has_same_day_usage
    from rule_pool

),

rule_pool_in_scope as (

    -- a 'day' rule uses that day's usage, or the billing period's when the day had none
    -- (an idle GPU host still serves the month's users)
    select {{ star_except(['charge_has_same_day_usage']) }}
    from rule_pool_days
    where period_scope = 'billing_period'
        or is_same_day
        or not charge_has_same_day_usage

),

proportional_weights as (

    select
        charge_id,
        {% for key in owner_columns %}{{ key }},
        {% endfor -%}
        'rule:' || rule_id as allocated_method_id,
        rule_id,
        basis,
        case basis
            when 'tokens' then cast(sum(total_tokens) as {{ money_type() }})
            when 'requests' then cast(sum(request_count) as {{ money_type() }})
            else sum(list_cost)
        end as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        'rule ' || rule_id || ' (' || max(period_scope) || ')' as match_scope
    from rule_pool_in_scope
    where method = 'proportional_usage'
    group by charge_id, {{ owner_columns | join(', ') }}, rule_id, basis

),

busy_hours as (

    select
        rule_matches.charge_id,
        rule_matches.period_hours,
        least(count(distinct request_hours.usage_hour), rule_matches.period_hours) as used_hours
    from rule_matches
    left join request_hours
        on rule_matches.billing_account_id = request_hours.billing_account_id
        and (rule_matches.usage_provider_id = '*' or rule_matches.usage_provider_id = request_hours.provider_id)
        and (rule_matches.usage_scope = 'any_sub_account' or rule_matches.sub_account_id = request_hours.sub_account_id)
        and rule_matches.charge_period_start <= request_hours.usage_hour
        and rule_matches.charge_period_end > request_hours.usage_hour
    where rule_matches.is_billed_in_hours
        and rule_matches.period_hours > 0
    group by rule_matches.charge_id, rule_matches.period_hours

),

proportional_allocations as (

    -- a charge billed in hours keeps weights in the ratio used hours : idle hours, each side
    -- split by its owners' share (exact decimals: money_divide, never a double)
    select
        proportional_weights.charge_id,
        {% for key in owner_columns %}proportional_weights.{{ key }},
        {% endfor -%}
        proportional_weights.allocated_method_id,
        proportional_weights.rule_id,
        proportional_weights.basis,
        case when busy_hours.charge_id is null then proportional_weights.weight
            else {{ money_divide(
                'proportional_weights.weight * busy_hours.used_hours',
                'sum(proportional_weights.weight) over (partition by proportional_weights.charge_id)'
            ) }}
        end as weight,
        proportional_weights.allocated_tokens,
        proportional_weights.allocated_reasoning_tokens,
        proportional_weights.allocated_requests,
        proportional_weights.match_scope
    from proportional_weights
    left join busy_hours
        on proportional_weights.charge_id = busy_hours.charge_id

),

idle_allocations as (

    select
        rule_pool.charge_id,
        rule_pool.team_id,
        rule_pool.cost_center_id,
        {{- owner_keys_padded('idle_capacity') }}
        'rule:' || rule_pool.rule_id || ':idle' as allocated_method_id,
        rule_pool.rule_id,
        rule_pool.basis,
        {{ money_divide(
            'team_weight * (busy_hours.period_hours - busy_hours.used_hours)',
            'sum(team_weight) over (partition by rule_pool.charge_id)'
        ) }} as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        'rule ' || rule_pool.rule_id || ' idle hours: '
            || cast(busy_hours.period_hours - busy_hours.used_hours as {{ dbt.type_string() }})
            || ' of ' || cast(busy_hours.period_hours as {{ dbt.type_string() }})
            || ' billed hours without usage, to the billing period''s users by ' || rule_pool.basis as match_scope
    from (
        select
            charge_id,
            rule_id,
            basis,
            team_id,
            cost_center_id,
            case basis
                when 'tokens' then cast(sum(total_tokens) as {{ money_type() }})
                when 'requests' then cast(sum(request_count) as {{ money_type() }})
                else sum(list_cost)
            end as team_weight
        from rule_pool
        group by charge_id, rule_id, basis, team_id, cost_center_id
    ) as rule_pool
    inner join busy_hours
        on rule_pool.charge_id = busy_hours.charge_id
    where busy_hours.used_hours < busy_hours.period_hours

),

even_split_allocations as (

    select distinct
        charge_id,
        team_id,
        cost_center_id,
        {{- owner_keys_padded('shared') }}
        'rule:' || rule_id as allocated_method_id,
        rule_id,
        'even_split' as basis,
        cast(1 as {{ money_type() }}) as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        'rule ' || rule_id || ' (' || period_scope || ')' as match_scope
    from rule_pool_in_scope
    where method = 'even_split'

),

fixed_share_allocations as (

    select
        rule_matches.charge_id,
        rule_shares.team_id,
        coalesce(teams.cost_center_id, 'unassigned') as cost_center_id,
        {{- owner_keys_padded('shared') }}
        'rule:' || rule_matches.rule_id as allocated_method_id,
        rule_matches.rule_id,
        'fixed_percentage' as basis,
        cast(rule_shares.share_pct as {{ money_type() }}) as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        'rule ' || rule_matches.rule_id || ' (fixed shares)' as match_scope
    from rule_matches
    inner join rule_shares
        on rule_matches.rule_id = rule_shares.rule_id
    left join teams
        on rule_shares.team_id = teams.team_id
    where rule_matches.method = 'fixed_percentage'

),

share_sums as (

    select
        rule_id,
        sum(share_pct) as share_sum
    from rule_shares
    group by rule_id

),

fixed_share_remainders as (

    -- shares are percentages of the charge, never rescaled: what a rule's shares leave below
    -- 100% stays unallocated (assert_fixed_percentage_shares_sum_to_100 fails the build too)
    select
        rule_matches.charge_id,
        {% for key in owner_columns %}'unallocated' as {{ key }},
        {% endfor -%}
        'unallocated' as allocated_method_id,
        rule_matches.rule_id,
        'none' as basis,
        cast(100 - share_sums.share_sum as {{ money_type() }}) as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        'rule ' || rule_matches.rule_id || ' fixed shares sum to '
            || cast(share_sums.share_sum as {{ dbt.type_string() }})
            || '%, not 100%' as match_scope
    from rule_matches
    inner join share_sums
        on rule_matches.rule_id = share_sums.rule_id
    where rule_matches.method = 'fixed_percentage'
        and share_sums.share_sum < 100

),

matched as (

    select * from direct_allocations
    where weight > 0
    union all
    select * from proportional_allocations
    where weight > 0
    union all
    select * from idle_allocations
    where weight > 0
    union all
    select * from even_split_allocations
    union all
    select * from fixed_share_allocations
    where weight > 0
    union all
    select * from fixed_share_remainders

),

unallocated as (

    select
        charges.charge_id,
        {% for key in owner_columns %}'unallocated' as {{ key }},
        {% endfor -%}
        'unallocated' as allocated_method_id,
        rule_matches.rule_id,
        'none' as basis,
        cast(1 as {{ money_type() }}) as weight,
        0 as allocated_tokens,
        0 as allocated_reasoning_tokens,
        0 as allocated_requests,
        case
            when charges.model_id is not null
                then 'no logged usage of ' || charges.model_id || ' on ' || coalesce(charges.sub_account_id, 'this account') || ' that day'
            when rule_matches.rule_id is not null
                then 'rule ' || rule_matches.rule_id || ' found no usage in scope'
            -- a token line whose meter the rules in macros/cloud_ai_meters.sql cannot read
            when charges.token_quantity is not null and charges.token_part is null
                then 'token meter not recognised: ' || coalesce(charges.sku_meter, charges.charge_description, 'none')
            else 'no allocation rule matches this charge'
        end as match_scope
    from charges
    left join rule_matches
        on charges.charge_id = rule_matches.charge_id
    where charges.charge_id not in (select matched.charge_id from matched)

)

select * from matched
union all
select * from unallocated
