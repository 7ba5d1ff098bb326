{{ config(meta={'dagster': {'ref': {'name': 'rpt_allocation_reconciliation'}}}) }}
-- Invariant: per provider, billing account and billing period, the share of billed cost with a
-- known owner is at least var('allocation_coverage_threshold'). Periods billing a net credit
-- or nothing are skipped (a share of a negative total means nothing). A company that delivers
-- no request logs at all (bills only) has no usage to allocate by: its charges sit in the
-- unallocated bucket, reported in rpt_allocation_reconciliation, and this check does not apply.
select
    provider_id,
    billing_account_id,
    billing_period_start,
    billed_cost,
    allocated_to_owners,
    allocation_coverage
from {{ ref('rpt_allocation_reconciliation') }}
where billed_cost > 0
    and allocation_coverage < {{ var('allocation_coverage_threshold') }}
    and exists (select 1 from {{ ref('int_usage_by_allocation_key') }})
