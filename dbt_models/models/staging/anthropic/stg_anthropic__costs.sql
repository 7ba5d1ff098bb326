-- One row per Anthropic cost report result in force. Amounts arrive in cents as decimal
-- strings; Anthropic reports cache reads and cache writes apart from uncached input. A result
-- delivered again supersedes the earlier delivery at extraction (superseded_by); rows are never
-- deduplicated by content (lines differing only in context_window are two charges).
with

in_force as (

    {{ rows_in_force(source('anthropic', 'anthropic_cost_report')) }}

),

renamed as (

    select
        {{ surrogate_key(['source_file', 'source_row']) }} as cost_line_id,
        bucket_starting_at as charge_period_start,
        bucket_ending_at as charge_period_end,
        cast(amount_cents * 0.01 as decimal(38, 12)) as amount,
        upper(currency) as currency,
        cost_type,
        description,
        model as model_raw,
        token_type,
        case
            when token_type = 'uncached_input_tokens' then 'input'
            when token_type = 'cache_read_input_tokens' then 'cache_read'
            when token_type like 'cache_creation%' then 'cache_write'
            when token_type = 'output_tokens' then 'output'
        end as token_part,
        coalesce(service_tier = 'batch', false) as is_batch,
        service_tier,
        context_window,
        workspace_id,
        {{ bill_lineage_columns() }}
    from in_force

)

select * from renamed
