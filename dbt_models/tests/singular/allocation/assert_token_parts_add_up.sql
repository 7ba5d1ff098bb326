-- Invariant: the disjoint token parts derived in staging add up to what each source reports
-- (OpenAI-style sources count cache reads and writes inside input tokens; reasoning inside
-- output), and no part is negative. Tolerance: zero.
-- Read at int_requests_unioned, where every log source meets (it carries the staged parts
-- unchanged; assert_requests_union_keeps_every_staged_request guards that no request is lost on
-- the way): one model ref'd, so Dagster attaches the test to it as an asset check.
-- Scoped to the days rebuilt since the model's tests last all passed (every day after a full
-- build): the parts are computed row by row, a day not rebuilt is unchanged since it passed, and
-- a change to the model's SQL rebuilds (and so tests) every day (macros/incremental_days.sql).
select
    source_system,
    request_id,
    input_tokens_reported,
    uncached_input_tokens,
    cache_read_tokens,
    cache_write_tokens,
    output_tokens_reported,
    output_tokens,
    reasoning_tokens
from {{ ref('int_requests_unioned') }}
where
    {{ rebuilt_days_only('int_requests_unioned', 'request_date') }}
    and (
        uncached_input_tokens + cache_read_tokens + cache_write_tokens <> input_tokens_reported
        or output_tokens + reasoning_tokens <> output_tokens_reported
        or least(
            uncached_input_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
            reasoning_tokens
        ) < 0
    )
