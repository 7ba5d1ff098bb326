-- One row per OpenAI Costs API result: a day x project x line item amount. The API names no
-- organization, so the billing account comes from the org seed.
with

source as (

    select * from {{ source('openai', 'openai_costs') }}

),

deduplicated as (

    -- Overlapping page pulls return the same result twice: count it once.
    select *
    from source
    qualify row_number() over (
        partition by bucket_start_time, coalesce(project_id, ''), coalesce(line_item, ''),
            coalesce(api_key_id, ''), amount_value, coalesce(quantity, -1)
        order by loaded_at, source_file, source_row
    ) = 1

),

renamed as (

    select
        {{ surrogate_key(['source_file', 'source_row']) }} as cost_line_id,
        bucket_start_time as charge_period_start,
        bucket_end_time as charge_period_end,
        amount_value as amount,
        upper(amount_currency) as currency,
        line_item,
        -- "gpt-4o-2024-08-06, input" / "gpt-4o, cached input" / "Scale Tier platform fee"
        case when line_item like '%, %' then trim(split_part(line_item, ', ', 1)) end as model_raw,
        case when line_item like '%, %' then trim(split_part(line_item, ', ', 2)) end as line_item_kind,
        project_id,
        api_key_id,
        quantity,
        quantity_unit,
        source_file,
        source_row
    from deduplicated

),

categorised as (

    select
        *,
        case
            when line_item_kind in ('input', 'batch input') then 'input'
            when line_item_kind in ('cached input', 'batch cached input') then 'cache_read'
            when line_item_kind in ('output', 'batch output') then 'output'
        end as token_part,
        coalesce(line_item_kind like 'batch %', false) as is_batch
    from renamed

)

select * from categorised
