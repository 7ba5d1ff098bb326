-- One row per OpenAI Costs API result in force: a day x project x line item amount. The API
-- names no organization, so the billing account comes from the org seed. A result delivered
-- again (a re-pull, an overlapping page) supersedes the earlier delivery at extraction
-- (superseded_by); rows are never deduplicated by content: two equal results are two charges.
with

in_force as (

    {{ rows_in_force(source('openai', 'openai_costs')) }}

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
        case
            when line_item like '%, %' then trim(split_part(line_item, ', ', 2))
        end as line_item_kind,
        project_id,
        api_key_id,
        quantity,
        quantity_unit,
        {{ bill_lineage_columns() }}
    from in_force

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
