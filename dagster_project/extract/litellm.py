"""LiteLLM proxy spend logs (JSONL, one request per line), parsed in bulk inside DuckDB.

Prompt and completion text (`messages`, `response`) is never read into the warehouse; end-user
identifiers are stored only as keyed hashes.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dagster_project.extract.landing import (
    LINEAGE_COLUMNS,
    Counts,
    probe,
    split_good_and_bad,
)

SOURCE = "litellm_spend_logs"
TABLE = "raw.litellm_spend_logs"
FILE_PATTERNS = ("*.jsonl", "*.ndjson", "*.json")
MAX_TOKENS_PER_REQUEST = 10_000_000  # above this a count is a unit or parsing error, not usage

DDL = f"""
create table if not exists {TABLE} (
    request_id varchar not null,
    call_type varchar,
    api_key varchar,
    spend decimal(20, 10),
    total_tokens bigint,
    prompt_tokens bigint not null,
    completion_tokens bigint not null,
    start_time timestamptz not null,
    end_time timestamptz,
    request_duration_ms bigint,
    model varchar not null,
    model_id varchar,
    model_group varchar,
    custom_llm_provider varchar,
    api_base varchar,
    user_pseudonym varchar,
    end_user_pseudonym varchar,
    metadata json,
    cache_hit boolean,
    cache_key varchar,
    request_tags json,
    team_id varchar,
    organization_id varchar,
    session_id varchar,
    status varchar,
    row_hash varchar not null,
    {LINEAGE_COLUMNS}
)
"""

COLUMNS = [
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "start_time", "end_time", "request_duration_ms", "model", "model_id",
    "model_group", "custom_llm_provider", "api_base", "user_pseudonym", "end_user_pseudonym",
    "metadata", "cache_hit", "cache_key", "request_tags", "team_id", "organization_id",
    "session_id", "status", "row_hash",
]  # fmt: skip

_TEXT_FIELDS = (
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "request_duration_ms", "model", "model_id",
    "model_group", "custom_llm_provider", "api_base", "user", "end_user", "cache_hit",
    "cache_key", "team_id", "organization_id", "session_id", "status",
)  # fmt: skip
# messages and response are deliberately absent: prompt text is never read.
LITELLM_STRUCTURE = json.dumps(
    {name: "VARCHAR" for name in _TEXT_FIELDS} | {"metadata": "JSON", "request_tags": "JSON"}
)

# A token count must be a whole number: try_cast('12.5' as bigint) would round it to 13.
MACROS = """
create or replace temp macro litellm_int(text) as
    case when regexp_full_match(trim(text), '-?[0-9]+(\\.0*)?')
         then try_cast(try_cast(trim(text) as decimal(38, 0)) as bigint) end;
"""

# LiteLLM writes naive UTC timestamps ('2026-07-01 09:12:33.123'); ISO forms are accepted too.
PARSE_SQL = """
create or replace temp table litellm_staged as
with lines as (
    select source_file, unnest(lines) as line, generate_subscripts(lines, 1) as source_row
    from (select filename as source_file, string_split(content, chr(10)) as lines
          from read_text($paths))
),
valid as (
    select source_file, source_row, line,
           -- valid JSON that starts with { is an object: no second parse of the line
           json_valid(line) and starts_with(ltrim(line), '{') as is_json
    from lines
    where trim(replace(line, chr(13), '')) <> ''  -- blank lines, CRLF or not, are not rows
),
records as (
    select source_file, source_row, line, is_json,
           -- one parse per line; scalars as text so a bad value can be named, not guessed
           from_json(if(is_json, line, null), $structure) as r
    from valid
),
typed as (
    select
        source_file, source_row, line, is_json,
        r.request_id,
        r.call_type,
        r.api_key,
        try_cast(r.spend as decimal(20, 10)) as spend,
        litellm_int(r.total_tokens) as total_tokens,
        r.prompt_tokens as prompt_tokens_text,
        litellm_int(r.prompt_tokens) as prompt_tokens,
        r.completion_tokens as completion_tokens_text,
        litellm_int(r.completion_tokens) as completion_tokens,
        r.startTime as start_time_text,
        coalesce(
            try_cast(r.startTime as timestamptz),
            try_cast(try_cast(r.startTime as timestamp) as timestamptz)
        ) as start_time,
        coalesce(
            try_cast(r.endTime as timestamptz),
            try_cast(try_cast(r.endTime as timestamp) as timestamptz)
        ) as end_time,
        try_cast(r.request_duration_ms as bigint) as request_duration_ms,
        r.model,
        r.model_id,
        r.model_group,
        r.custom_llm_provider,
        r.api_base,
        case when nullif(r."user", '') is not null
             then sha256(getvariable('pseudonym_key') || r."user") end as user_pseudonym,
        case when nullif(r.end_user, '') is not null
             then sha256(getvariable('pseudonym_key') || r.end_user) end as end_user_pseudonym,
        -- metadata and tags may arrive as objects or as JSON-encoded strings
        case when json_type(r.metadata) = 'VARCHAR' and json_valid(r.metadata ->> '$')
             then json(r.metadata ->> '$') else r.metadata end as metadata,
        lower(r.cache_hit) in ('true', '1') as cache_hit,
        r.cache_key,
        case when json_type(r.request_tags) = 'VARCHAR' and json_valid(r.request_tags ->> '$')
             then json(r.request_tags ->> '$') else r.request_tags end as request_tags,
        r.team_id,
        r.organization_id,
        r.session_id,
        r.status,
        md5(line) as row_hash
    from records
)
select
    *,
    case
        when not is_json then 'line'
        when nullif(request_id, '') is null then 'request_id'
        when start_time is null then 'startTime'
        when nullif(model, '') is null then 'model'
        when prompt_tokens is null or prompt_tokens < 0
          or prompt_tokens > $max_tokens then 'prompt_tokens'
        when completion_tokens is null or completion_tokens < 0
          or completion_tokens > $max_tokens then 'completion_tokens'
        when start_time > now() + interval 1 day then 'startTime'
    end as reject_field,
    case
        when not json_valid(line) then 'malformed JSON line'
        when not is_json then 'line is valid JSON but not a JSON object'
        when nullif(request_id, '') is null then 'missing required field request_id'
        when start_time is null then 'startTime missing or not a timestamp'
        when nullif(model, '') is null then 'missing required field model'
        when prompt_tokens is null then 'prompt_tokens missing or not an integer'
        when prompt_tokens < 0 then 'prompt_tokens is negative'
        when prompt_tokens > $max_tokens then 'prompt_tokens implausibly large'
        when completion_tokens is null then 'completion_tokens missing or not an integer'
        when completion_tokens < 0 then 'completion_tokens is negative'
        when completion_tokens > $max_tokens
            then 'completion_tokens implausibly large'
        when start_time > now() + interval 1 day then 'startTime is in the future'
    end as reject_reason,
    line as reject_value
from typed
"""


def parse(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    files = [str(p) for p in paths]
    # length(content) makes DuckDB decode the text: count(*) alone would not notice bad UTF-8
    probe(con, "select sum(length(content)) from read_text($paths)", {"paths": files},
          "not a readable UTF-8 text file")  # fmt: skip
    con.execute(MACROS)
    con.execute(
        PARSE_SQL,
        {"paths": files, "structure": LITELLM_STRUCTURE, "max_tokens": MAX_TOKENS_PER_REQUEST},
    )
    # Prompt text must not survive even in quarantine: a rejected line keeps only the fields
    # that explain the rejection; an unparseable one its first 200 characters, minus any
    # messages / response it shows.
    con.execute(
        """update litellm_staged set reject_value = case
               when is_json then to_json({request_id: request_id, model: model,
                                          prompt_tokens: prompt_tokens_text,
                                          completion_tokens: completion_tokens_text,
                                          startTime: start_time_text})::varchar
               else regexp_replace(left(line, 200), '"(messages|response)".*', '"\\1": <removed>')
           end
           where reject_reason is not null"""
    )
    return split_good_and_bad(con, SOURCE, "litellm_staged", TABLE, COLUMNS)
