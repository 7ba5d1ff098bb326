-- One row per provider x model that billable requests used but the price catalog does not
-- price: these requests carry no list cost (never a zero one) until the catalog or the alias
-- seed learns the model.
select
    provider_id,
    model_id,
    min(model_raw) as example_model_as_logged,
    count(*) as request_count,
    {{ count_sum('total_tokens') }} as total_tokens,
    min(request_date) as first_seen,
    max(request_date) as last_seen,
    count(*) * 1.0 / (
        select count(*) from {{ ref('int_requests_priced') }} as billable
        where billable.pricing_status <> 'not_billable'
    ) as share_of_billable_requests
from {{ ref('int_requests_priced') }}
where pricing_status = 'unpriced'
group by provider_id, model_id
