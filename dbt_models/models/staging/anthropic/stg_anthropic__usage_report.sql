-- One row per Anthropic usage report (messages) result in force: a bucket x grouping
-- (workspace, model, API key, service tier, context window). Anthropic reports uncached input,
-- cache reads and cache writes (5 minute and 1 hour) apart, with no total: the parts are kept
-- as they are, the two cache-write kinds also summed. A re-pulled bucket supersedes the earlier
-- delivery at extraction (superseded_by).
with

in_force as (

    {{ rows_in_force(source('anthropic', 'anthropic_usage_report')) }}

),

renamed as (

    select
        {{ surrogate_key(['source_file', 'source_row']) }} as usage_row_id,
        bucket_starting_at as usage_period_start,
        bucket_ending_at as usage_period_end,
        cast(bucket_starting_at as date) as usage_date,
        workspace_id as sub_account_id,
        api_key_id,
        model as model_raw,
        coalesce(service_tier = 'batch', false) as is_batch,
        service_tier,
        context_window,
        uncached_input_tokens,
        cache_read_input_tokens as cache_read_tokens,
        cache_creation_5m_input_tokens + cache_creation_1h_input_tokens as cache_write_tokens,
        cache_creation_5m_input_tokens as cache_write_5m_tokens,
        cache_creation_1h_input_tokens as cache_write_1h_tokens,
        output_tokens,
        web_search_requests,
        {{ bill_lineage_columns() }}
    from in_force

)

select * from renamed
