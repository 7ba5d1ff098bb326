-- One row per OpenAI Usage API result in force: a bucket x grouping (project, model, API key,
-- batch, ...) of one usage endpoint (completions, embeddings, ...). OpenAI counts cached and
-- cache-write tokens INSIDE input_tokens: the parts are split apart here, once, so that
-- uncached + cache read + cache write = the API's input_tokens. A re-pulled bucket supersedes
-- the earlier delivery at extraction (superseded_by).
with

in_force as (

    {{ rows_in_force(source('openai', 'openai_usage')) }}

),

renamed as (

    select
        {{ surrogate_key(['source_file', 'source_row']) }} as usage_row_id,
        bucket_start_time as usage_period_start,
        bucket_end_time as usage_period_end,
        cast(bucket_start_time as date) as usage_date,
        endpoint,
        project_id as sub_account_id,
        user_id,
        api_key_id,
        model as model_raw,
        coalesce(batch, false) as is_batch,
        service_tier,
        coalesce(input_tokens, 0)
        - coalesce(input_cached_tokens, 0)
        - coalesce(input_cache_write_tokens, 0) as uncached_input_tokens,
        coalesce(input_cached_tokens, 0) as cache_read_tokens,
        coalesce(input_cache_write_tokens, 0) as cache_write_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        input_tokens as input_tokens_reported,
        input_audio_tokens,
        output_audio_tokens,
        num_model_requests as request_count,
        {{ bill_lineage_columns() }}
    from in_force

)

select * from renamed
