{{ config(meta={'dagster': {'ref': {'name': 'int_requests_unioned'}}}) }}
-- Invariant: the disjoint token parts derived in staging add up to what each source reports
-- (OpenAI-style sources count cache reads and writes inside input tokens; reasoning inside
-- output), and no part is negative. Tolerance: zero.
{% for model in ['stg_litellm__requests', 'stg_otel__genai_spans'] %}
select '{{ model }}' as model, request_id, input_tokens_reported, uncached_input_tokens,
       cache_read_tokens, cache_write_tokens, output_tokens_reported, output_tokens, reasoning_tokens
from {{ ref(model) }}
where uncached_input_tokens + cache_read_tokens + cache_write_tokens <> input_tokens_reported
    or output_tokens + reasoning_tokens <> output_tokens_reported
    or least(uncached_input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens) < 0
{% if not loop.last %}union all{% endif %}
{% endfor %}
