-- One row per Anthropic cost report result. Amounts arrive in cents as decimal strings;
-- Anthropic reports cache reads and cache writes apart from uncached input.
with

source as (

    select * from {{ source('anthropic', 'anthropic_cost_report') }}

),

deduplicated as (

    select *
    from source
    qualify row_number() over (
        partition by bucket_starting_at, coalesce(workspace_id, ''), coalesce(description, ''),
            coalesce(model, ''), coalesce(token_type, ''), coalesce(service_tier, ''), amount_cents
        order by loaded_at, source_file, source_row
    ) = 1

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
        source_file,
        source_row
    from deduplicated

)

select * from renamed
