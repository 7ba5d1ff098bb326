{{ config(store_failures=true, meta={'dagster': {'ref': {'name': 'allocation_rule_shares'}}}) }}
-- Every fixed_percentage rule's shares (allocation_rule_shares) sum to exactly 100: a rule whose
-- shares sum to 90 or 110 is an error naming the rule, the sum and the teams, never rescaled.
-- A fixed_percentage rule with no shares at all fails too (its charges would go nowhere).
with

shares as (

    select
        rule_id,
        sum(share_pct) as share_sum,
        string_agg(
            team_id || ' ' || cast(share_pct as varchar) || '%', ', '
            order by team_id
        ) as teams
    from {{ ref('allocation_rule_shares') }}
    group by rule_id

),

fixed_rules as (

    select rule_id from {{ ref('allocation_rules') }}
    where method = 'fixed_percentage'

)

select
    coalesce(fixed_rules.rule_id, shares.rule_id) as rule_id,
    coalesce(shares.share_sum, 0) as share_sum,
    coalesce(shares.teams, '(no shares)') as teams,
    'allocation rule ' || coalesce(fixed_rules.rule_id, shares.rule_id) || ': fixed shares sum to '
    || cast(coalesce(shares.share_sum, 0) as varchar) || '%, not 100% (teams: '
    || coalesce(shares.teams, 'none') || ')' as failure_reason
from fixed_rules
full outer join shares
    on fixed_rules.rule_id = shares.rule_id
where shares.share_sum is null
    or shares.share_sum <> 100
