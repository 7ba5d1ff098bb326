-- One row per day x provider x project / workspace x model x batch flag x service tier x
-- context window x vendor token type: the tokens the vendors' usage APIs counted, in long
-- format, summed over API keys and users. token_part is the project's part (input =
-- uncached input, cache_read, cache_write, output incl. reasoning); vendor_token_type is the
-- name the vendor's cost lines give the same part (Anthropic token_type, OpenAI line item
-- kind), so a bill line finds its own tokens (5 minute and 1 hour cache writes apart).
{%- set openai_parts = [('input', 'input', 'uncached_input_tokens'),
                        ('cache_read', 'cached input', 'cache_read_tokens'),
                        ('cache_write', 'cache write', 'cache_write_tokens'),
                        ('output', 'output', 'output_tokens')] %}
{%- set anthropic_parts = [
    ('input', 'uncached_input_tokens', 'uncached_input_tokens'),
    ('cache_read', 'cache_read_input_tokens', 'cache_read_tokens'),
    ('cache_write', 'cache_creation.ephemeral_5m_input_tokens', 'cache_write_5m_tokens'),
    ('cache_write', 'cache_creation.ephemeral_1h_input_tokens', 'cache_write_1h_tokens'),
    ('output', 'output_tokens', 'output_tokens'),
] %}
with

openai_usage as (

    select * from {{ ref('stg_openai__usage') }}

),

anthropic_usage as (

    select * from {{ ref('stg_anthropic__usage_report') }}

),

unpivoted as (

    {%- for part, vendor_type, column in openai_parts %}
        select
            usage_date,
            'openai' as provider_id,
            sub_account_id,
            model_raw,
            is_batch,
            service_tier,
            cast(null as {{ dbt.type_string() }}) as context_window,
            '{{ part }}' as token_part,
            '{{ vendor_type }}' as vendor_token_type,
            {{ column }} as tokens,
            {% if loop.first %}request_count{% else %}0 as request_count{% endif %}
        from openai_usage
        union all
    {%- endfor %}
    {%- for part, vendor_type, column in anthropic_parts %}
        select
            usage_date,
            'anthropic' as provider_id,
            sub_account_id,
            model_raw,
            is_batch,
            service_tier,
            context_window,
            '{{ part }}' as token_part,
            '{{ vendor_type }}' as vendor_token_type,
            {{ column }} as tokens,
            cast(null as bigint) as request_count
        from anthropic_usage
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

resolved as (

    select
        unpivoted.*,
        {{ resolved_model_columns('model_aliases', 'model_matches', 'unpivoted') }}
    from unpivoted
    {{ resolved_model_joins('unpivoted') }}

)

select
    usage_date,
    provider_id,
    sub_account_id,
    model_raw,
    model_id,
    is_batch,
    service_tier,
    context_window,
    token_part,
    vendor_token_type,
    cast(sum(tokens) as bigint) as usage_api_tokens,
    cast(sum(request_count) as bigint) as usage_api_requests
from resolved
group by
    usage_date, provider_id, sub_account_id, model_raw, model_id, is_batch, service_tier,
    context_window, token_part, vendor_token_type
