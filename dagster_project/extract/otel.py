"""OpenTelemetry GenAI spans as OTLP JSON files (`{"resourceSpans": [...]}`), parsed in DuckDB.

Attributes are kept as a JSON object after dropping the ones that can carry prompt or
completion text, tool arguments and results, or identify a person (e-mail, user, IP address;
the end-user id is stored only as a keyed hash); in the ones kept e-mail and IP addresses are
pseudonymised (privacy.py). A status message is kept when it is an error code or class, not
when it is free text (it can echo the request). Token counts are typed
columns; deprecated attribute names (`gen_ai.system`, `gen_ai.usage.prompt_tokens`, ...) are
read when the current ones are absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from dagster_project.db import sql_literal
from dagster_project.extract.landing import (
    Counts,
    RawTable,
    UnreadableFile,
    batch_bytes,
    probe,
    split_good_and_bad,
)
from dagster_project.extract.privacy import create_scrub_macro

SOURCE = "otel_genai_spans"
TABLE = "raw.otel_genai_spans"
FILE_PATTERNS = ("*.json",)
MAX_TOKENS_PER_REQUEST = 10_000_000
# the nesting of an OTLP JSON export down to its spans, each span kept as JSON
OTLP_SHAPE = json.dumps(
    {"resourceSpans": [{"resource": {"attributes": "JSON"}, "scopeSpans": [{"spans": ["JSON"]}]}]}
)
OTLP_EXPANSION = 4  # a group of documents parsed at once: a quarter of a landing batch

RAW_TABLE = RawTable(
    TABLE,
    (
        "trace_id varchar not null",
        "span_id varchar not null",
        "parent_span_id varchar",
        "span_name varchar",
        "start_time timestamptz not null",
        "end_time timestamptz",
        "status_code integer",
        "status_message varchar",
        "service_name varchar",
        "deployment_environment varchar",
        "cloud_account_id varchar",
        "cloud_region varchar",
        "provider_name varchar",
        "operation_name varchar",
        "request_model varchar",
        "response_model varchar",
        "response_id varchar",
        "input_tokens bigint not null",
        "output_tokens bigint not null",
        "cache_read_input_tokens bigint",
        "cache_creation_input_tokens bigint",
        "reasoning_output_tokens bigint",
        "enduser_pseudonym varchar",
        "resource_attributes json",
        "span_attributes json",
        "row_hash varchar not null",
    ),
)
DDL = RAW_TABLE.ddl

COLUMNS = RAW_TABLE.column_names

# Attribute keys that can carry prompt / completion text or identify a person (GenAI semantic
# conventions, OpenInference, OpenLLMetry), compared in lower case: the keys themselves, and
# LIKE patterns (% any characters, _ any one character, \_ an underscore).
SENSITIVE_KEYS = (
    "enduser.id", "gen_ai.prompt", "gen_ai.completion", "gen_ai.input.messages",
    "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result", "gen_ai.tool.definitions", "input.value", "output.value",
    "llm.prompts", "tool.parameters", "metadata", "traceloop.entity.input",
    "traceloop.entity.output", "client.address", "client.ip", "source.address",
    "network.peer.address", "network.local.address", "net.peer.ip", "net.peer.name",
    "net.sock.peer.addr", "net.host.ip", "host.ip", "http.client_ip", "session.id", "content",
)  # fmt: skip
SENSITIVE_KEY_PATTERNS = (
    "gen_ai.prompt.%", "gen_ai.completion.%", "llm.input_messages.%", "llm.output_messages.%",
    "llm.prompt_template.%", "retrieval.documents.%", "embedding.embeddings.%", "reranker.%",
    "%.content", "%.text", "enduser.%", "user.%", "%email%", "%ip_address%", "%.ip", "%\\_ip",
)  # fmt: skip


def _like_as_regex(pattern: str) -> str:
    """A LIKE pattern (backslash escapes) as an anchored regular expression."""
    out, escaped = [], False
    for ch in pattern:
        if escaped or ch not in "%_\\":
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(".*" if ch == "%" else ".")
    return "^" + "".join(out) + "$"


# One regular expression for them all: one pass over a key instead of a test per pattern.
SENSITIVE_REGEX = "(?s)" + "|".join(
    [f"^(?:{'|'.join(re.escape(k) for k in SENSITIVE_KEYS)})$"]
    + [_like_as_regex(p) for p in SENSITIVE_KEY_PATTERNS]
)

MACROS = """
create or replace temp macro otel_kv(attrs) as list_transform(
    coalesce(json_extract(attrs, '$[*]'), []::json[]),
    lambda a: {'k': a ->> 'key', 'v': coalesce(
        a -> 'value' ->> 'stringValue', a -> 'value' ->> 'intValue',
        a -> 'value' ->> 'doubleValue', a -> 'value' ->> 'boolValue')});
create or replace temp macro otel_attr(kv, key) as list_filter(kv, lambda a: a.k = key)[1].v;
create or replace temp macro otel_is_sensitive(attribute) as
    regexp_matches(lower(attribute), <sensitive>);
-- a key given twice keeps its first value; the quadratic search for repeats runs only when
-- some key is repeated (or null: list_distinct drops nulls)
create or replace temp macro otel_first_of_each_key(kv) as
    case when length(list_distinct(list_transform(kv, lambda b: b.k))) = length(kv) then kv
         else list_filter(kv, lambda a, i:
                          list_position(list_transform(kv, lambda b: b.k), a.k) = i) end;
create or replace temp macro otel_object(kv) as to_json(map_from_entries(list_filter(
    otel_first_of_each_key(kv),
    lambda a: a.k is not null and not otel_is_sensitive(a.k))));
create or replace temp macro otel_time(nanos) as
    make_timestamptz(try_cast(try_cast(nanos as hugeint) // 1000 as bigint));
-- a token count is a whole number: try_cast('12.5' as bigint) would round it to 13
create or replace temp macro otel_int(text) as
    case when regexp_full_match(trim(text), '-?[0-9]+(\\.0*)?')
         then try_cast(try_cast(trim(text) as decimal(38, 0)) as bigint) end;
create or replace temp macro otel_token(kv, key, deprecated) as
    coalesce(otel_attr(kv, key), otel_attr(kv, deprecated));
""".replace("<sensitive>", sql_literal(SENSITIVE_REGEX))

PARSE_SQL = """
create or replace temp table otel_staged as
with doc as (
    -- one parse of the document into its nesting, the spans left as JSON (json_extract at each
    -- level would parse every resource and scope again: many times the file in memory); a
    -- level that is not a list or an object holds nothing. A UTF-8 byte order mark before the
    -- document is not part of it.
    select filename as source_file,
           from_json(ltrim(content, chr(65279))::json, $shape).resourceSpans as rs
    from read_text($paths)
),
resources as (
    select source_file, unnest(rs) as resource_span, generate_subscripts(rs, 1) as rs_idx
    from doc
),
resource_fields as (
    -- what a resource's attributes give its spans, read once per resource (not per span)
    select
        source_file, rs_idx, resource_span.scopeSpans as ss,
        otel_attr(res, 'service.name') as service_name,
        coalesce(otel_attr(res, 'deployment.environment.name'),
                 otel_attr(res, 'deployment.environment')) as deployment_environment,
        otel_attr(res, 'cloud.account.id') as cloud_account_id,
        otel_attr(res, 'cloud.region') as cloud_region,
        -- e-mail and IP addresses in the attributes kept are pseudonymised, in the JSON text
        -- (an address has no character JSON escapes)
        json(pii_scrub(otel_object(res)::varchar)) as resource_attributes
    from (select *, otel_kv(resource_span.resource.attributes) as res from resources)
),
scopes as (
    select * exclude (ss), unnest(ss) as scope_span, generate_subscripts(ss, 1) as ss_idx
    from resource_fields
),
spans as (
    select * exclude (scope_span, sp), unnest(sp) as span, generate_subscripts(sp, 1) as sp_idx
    from (select *, scope_span.spans as sp from scopes)
),
kv as (
    select
        source_file,
        row_number() over (partition by source_file order by rs_idx, ss_idx, sp_idx)
            as source_row,
        span,
        service_name, deployment_environment, cloud_account_id, cloud_region,
        resource_attributes,
        otel_kv(span -> 'attributes') as att
    from spans
),
typed as (
    select
        source_file,
        source_row,
        span ->> 'traceId' as trace_id,
        span ->> 'spanId' as span_id,
        nullif(span ->> 'parentSpanId', '') as parent_span_id,
        span ->> 'name' as span_name,
        otel_time(span ->> 'startTimeUnixNano') as start_time,
        otel_time(span ->> 'endTimeUnixNano') as end_time,
        try_cast(span -> 'status' ->> 'code' as integer) as status_code,
        -- an error code or class is kept; free text (it can echo the request) is not
        case when regexp_full_match(json_extract_string(span, '$.status.message'),
                                    '[A-Za-z0-9_.:/-]{1,100}')
             then json_extract_string(span, '$.status.message')
             when json_extract_string(span, '$.status.message') <> ''
             then 'free text removed ('
                  || length(json_extract_string(span, '$.status.message')) || ' characters)'
        end as status_message,
        service_name,
        deployment_environment,
        cloud_account_id,
        cloud_region,
        coalesce(otel_attr(att, 'gen_ai.provider.name'), otel_attr(att, 'gen_ai.system'))
            as provider_name,
        otel_attr(att, 'gen_ai.operation.name') as operation_name,
        otel_attr(att, 'gen_ai.request.model') as request_model,
        otel_attr(att, 'gen_ai.response.model') as response_model,
        otel_attr(att, 'gen_ai.response.id') as response_id,
        otel_token(att, 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')
            as input_tokens_text,
        otel_token(att, 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')
            as output_tokens_text,
        otel_attr(att, 'gen_ai.usage.cache_read.input_tokens') as cache_read_text,
        otel_attr(att, 'gen_ai.usage.cache_creation.input_tokens') as cache_creation_text,
        otel_attr(att, 'gen_ai.usage.reasoning.output_tokens') as reasoning_text,
        case when otel_attr(att, 'enduser.id') is not null
             then sha256(getvariable('pseudonym_key') || otel_attr(att, 'enduser.id'))
        end as enduser_pseudonym,
        resource_attributes,
        otel_object(att) as span_attributes_kept,
        md5(span::varchar) as row_hash
    from kv
),
checked as (
    select
        * exclude (span_attributes_kept, status_message),
        pii_scrub(status_message) as status_message,
        -- as the resource's: e-mail and IP addresses pseudonymised in the JSON text
        json(pii_scrub(span_attributes_kept::varchar)) as span_attributes,
        otel_int(input_tokens_text) as input_tokens,
        otel_int(output_tokens_text) as output_tokens,
        otel_int(cache_read_text) as cache_read_input_tokens,
        otel_int(cache_creation_text) as cache_creation_input_tokens,
        otel_int(reasoning_text) as reasoning_output_tokens
    from typed
)
select
    *,
    case
        when nullif(trace_id, '') is null or nullif(span_id, '') is null then 'spanId'
        when start_time is null then 'startTimeUnixNano'
        when coalesce(response_model, request_model) is null then 'gen_ai.request.model'
        when input_tokens is null or input_tokens < 0 or input_tokens > $max_tokens
            then 'gen_ai.usage.input_tokens'
        when output_tokens is null or output_tokens < 0
          or output_tokens > $max_tokens then 'gen_ai.usage.output_tokens'
        when (cache_read_text is not null and (cache_read_input_tokens is null
                                               or cache_read_input_tokens < 0))
            then 'gen_ai.usage.cache_read.input_tokens'
        when (cache_creation_text is not null and (cache_creation_input_tokens is null
                                                   or cache_creation_input_tokens < 0))
            then 'gen_ai.usage.cache_creation.input_tokens'
        when (reasoning_text is not null and (reasoning_output_tokens is null
                                              or reasoning_output_tokens < 0))
            then 'gen_ai.usage.reasoning.output_tokens'
        -- the parts are counted inside the totals: more parts than total is a broken span
        when coalesce(cache_read_input_tokens, 0) + coalesce(cache_creation_input_tokens, 0)
             > input_tokens then 'gen_ai.usage.input_tokens'
        when coalesce(reasoning_output_tokens, 0) > output_tokens
            then 'gen_ai.usage.output_tokens'
        when start_time > now() + interval 1 day then 'startTimeUnixNano'
    end as reject_field,
    case
        when nullif(trace_id, '') is null or nullif(span_id, '') is null
            then 'missing traceId or spanId'
        when start_time is null then 'startTimeUnixNano missing or not an integer'
        when coalesce(response_model, request_model) is null then 'span names no model'
        when input_tokens is null and input_tokens_text is null
            then 'missing gen_ai.usage.input_tokens'
        when input_tokens is null then 'gen_ai.usage.input_tokens is not an integer'
        when input_tokens < 0 then 'gen_ai.usage.input_tokens is negative'
        when input_tokens > $max_tokens
            then 'gen_ai.usage.input_tokens implausibly large'
        when output_tokens is null and output_tokens_text is null
            then 'missing gen_ai.usage.output_tokens'
        when output_tokens is null then 'gen_ai.usage.output_tokens is not an integer'
        when output_tokens < 0 then 'gen_ai.usage.output_tokens is negative'
        when output_tokens > $max_tokens
            then 'gen_ai.usage.output_tokens implausibly large'
        when reject_field = 'startTimeUnixNano' then 'startTimeUnixNano is in the future'
        when reject_field = 'gen_ai.usage.input_tokens'
            then 'cache read (' || coalesce(cache_read_input_tokens, 0)
                 || ') + cache creation (' || coalesce(cache_creation_input_tokens, 0)
                 || ') tokens exceed gen_ai.usage.input_tokens (' || input_tokens || ')'
        when reject_field = 'gen_ai.usage.output_tokens'
            then 'gen_ai.usage.reasoning.output_tokens (' || reasoning_output_tokens
                 || ') exceeds gen_ai.usage.output_tokens (' || output_tokens || ')'
        when reject_field is not null
            then 'token count is not a non-negative integer: ' || reject_field
    end as reject_reason,
    to_json({span_id: span_id, model: coalesce(response_model, request_model),
             input_tokens: input_tokens_text, output_tokens: output_tokens_text})
        as reject_value
from checked
"""


# Two steps, each materialised: the spans of the documents (with their attributes as key-value
# lists), then the typed and checked rows. In one query a document's spans are all in flight
# at once through every expression: several hundred MB for a 7 MB file.
_SPANS_PART, _TYPED_PART = PARSE_SQL.split("typed as (")
SPANS_TABLE = "create or replace temp table otel_spans as"
SPANS_SQL = (
    _SPANS_PART.replace("create or replace temp table otel_staged as", SPANS_TABLE).rstrip()[:-1]
    + "\nselect * from kv"
)
SPANS_APPEND_SQL = SPANS_SQL.replace(SPANS_TABLE, "insert into otel_spans", 1)
STAGED_SQL = (
    "create or replace temp table otel_staged as\n"
    "with kv as (select * from otel_spans),\ntyped as (" + _TYPED_PART
)


def parse(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    create_scrub_macro(con)
    con.execute(MACROS)
    files = [str(p) for p in paths]
    invalid, not_otlp = probe(
        con,
        """select string_agg(filename || ' (' || length(content) || ' bytes)', ', ')
                      filter (where not json_valid(content)),
                  string_agg(filename, ', ') filter (where case when json_valid(content)
                      then coalesce(json_type(content, '$.resourceSpans'), '') <> 'ARRAY' end)
           from (select filename, ltrim(content, chr(65279)) as content
                 from read_text($paths))""",
        {"paths": files},
        "not a readable UTF-8 text file",
    )
    if invalid:
        raise UnreadableFile(f"not a valid OTLP JSON document: {invalid}")
    if not_otlp:
        raise UnreadableFile(f"not an OTLP JSON export (no resourceSpans list): {not_otlp}")
    # A document is parsed whole and its nested lists copied as they are unnested: several times
    # its size in memory. Files are read into spans in groups of at most a quarter of a landing
    # batch (at least one file), so a low memory_limit is met; the spans of the whole batch are
    # then typed and checked in one statement, which DuckDB runs on every thread.
    if not files:
        return {}
    group: list[str] = []
    size = 0
    sql = SPANS_SQL
    for path in [*files, None]:
        grown = size + (Path(path).stat().st_size if path else 0)
        if group and (path is None or grown > batch_bytes(con) // OTLP_EXPANSION):
            con.execute(sql, {"paths": group, "shape": OTLP_SHAPE})
            sql = SPANS_APPEND_SQL  # the next groups of the batch
            group, size = [], 0
        if path is not None:
            group.append(path)
            size += Path(path).stat().st_size
    con.execute(STAGED_SQL, {"max_tokens": MAX_TOKENS_PER_REQUEST})
    con.execute("drop table otel_spans")
    return split_good_and_bad(con, SOURCE, "otel_staged", TABLE, COLUMNS)
