-- One row per provider x model: the list price in force today (the latest period already in
-- force; a model whose prices all start in the future gets its earliest). What "at current
-- prices" means in every waste and right-sizing estimate.
with

prices as (

    select * from {{ ref('int_price_catalog') }}

)

{% call first_row_per(
    'provider_id, model_id',
    'case when effective_from <= current_date then 0 else 1 end,
        case when effective_from <= current_date then effective_from end desc,
        effective_from') -%}
select
    provider_id,
    model_id,
    effective_from,
    input_usd_per_mtok,
    coalesce(cache_read_usd_per_mtok, input_usd_per_mtok) as cache_read_usd_per_mtok,
    output_usd_per_mtok,
    coalesce(reasoning_usd_per_mtok, output_usd_per_mtok) as reasoning_usd_per_mtok,
    {{ batch_rate('batch_input_usd_per_mtok', 'input_usd_per_mtok') }} as batch_input_usd_per_mtok,
    {{ batch_rate('batch_output_usd_per_mtok', 'output_usd_per_mtok') }}
        as batch_output_usd_per_mtok,
    cache_read_usd_per_mtok is not null as has_cache_price
from prices
{%- endcall %}
