-- Invariant: requests on models the catalog cannot price stay below
-- var('unpriced_request_threshold') of billable requests. They are flagged in
-- rpt_unpriced_models and carry no list cost; above the threshold the catalog or the alias
-- seed needs attention before unit costs can be trusted.
select
    provider_id,
    model_id,
    request_count,
    share_of_billable_requests
from {{ ref('rpt_unpriced_models') }}
where share_of_billable_requests > {{ var('unpriced_request_threshold') }}
