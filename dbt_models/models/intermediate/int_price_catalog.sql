-- One row per provider x model x price period: vendor list prices (generated from
-- genai-prices) and internal transfer rates for self-hosted models, per million tokens.
with

vendor_prices as (

    select * from {{ ref('price_catalog') }}

),

internal_rates as (

    select * from {{ ref('price_internal_rates') }}

),

unioned as (

    select * from vendor_prices
    union all
    select * from internal_rates

)

select
    provider_id,
    model_id,
    model_name,
    effective_from,
    coalesce(effective_to, cast('9999-12-31' as date)) as effective_to,
    input_usd_per_mtok,
    cache_read_usd_per_mtok,
    cache_write_usd_per_mtok,
    cache_write_1h_usd_per_mtok,
    output_usd_per_mtok,
    reasoning_usd_per_mtok,
    batch_input_usd_per_mtok,
    batch_output_usd_per_mtok,
    price_source
from unioned
