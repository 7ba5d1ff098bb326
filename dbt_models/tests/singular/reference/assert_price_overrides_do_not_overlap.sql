{{ config(store_failures=true) }}
-- No two price_overrides rows for the same provider, billing account and model are in force on
-- the same day: which negotiated term applies would otherwise depend on join order (a charge
-- priced twice, or by either). effective_to is exclusive; empty means open-ended.
with

overrides as (

    select
        *,
        coalesce(effective_to, cast('9999-12-31' as date)) as effective_until,
        row_number() over (
            order by
                provider_id,
                billing_account_id,
                model_id,
                effective_from,
                effective_to,
                discount_pct
        ) as override_row
    from {{ ref('price_overrides') }}

)

select
    earlier.provider_id,
    earlier.billing_account_id,
    earlier.model_id,
    earlier.effective_from as first_effective_from,
    earlier.effective_to as first_effective_to,
    later.effective_from as second_effective_from,
    later.effective_to as second_effective_to,
    'price_overrides overlap: provider ' || earlier.provider_id || ', account '
    || earlier.billing_account_id || ', model ' || earlier.model_id || ': '
    || cast(earlier.effective_from as varchar) || ' to '
    || coalesce(cast(earlier.effective_to as varchar), 'open') || ' and '
    || cast(later.effective_from as varchar) || ' to '
    || coalesce(cast(later.effective_to as varchar), 'open') as failure_reason
from overrides as earlier
inner join overrides as later
    on earlier.provider_id = later.provider_id
    and earlier.billing_account_id = later.billing_account_id
    and earlier.model_id = later.model_id
    and earlier.override_row < later.override_row
    and earlier.effective_from < later.effective_until
    and earlier.effective_until > later.effective_from
