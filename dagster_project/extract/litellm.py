"""LiteLLM proxy spend logs (JSONL, one request per line), parsed in bulk inside DuckDB.

Prompt and completion text (`messages`, `response`) is never stored in the warehouse; end-user
identifiers are stored only as keyed hashes. `messages` is read only to compute a keyed hash of
the prompt (prompt_fingerprint), which tells a retry or duplicate of the same prompt apart
without keeping any of its text. `metadata` is cut down at extraction to the fields
the pipeline reads (METADATA_KEPT): guardrail and error text, IP addresses, e-mails and request
headers never land. E-mail and IP addresses in tags and `api_base` are pseudonymised.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb

from dagster_project.db import sql_literal
from dagster_project.extract.landing import (
    Counts,
    RawTable,
    UnreadableFile,
    batch_bytes,
    data_name,
    probe,
    quote_ident,
    split_good_and_bad,
)
from dagster_project.extract.privacy import create_scrub_macro
from dagster_project.extract.tabular import _read_as_text

SOURCE = "litellm_spend_logs"
TABLE = "raw.litellm_spend_logs"
# JSONL spend logs (also what the PostgreSQL pull writes, litellm_db.py) and the CSV export
FILE_PATTERNS = ("*.jsonl", "*.ndjson", "*.json", "*.csv")
MAX_TOKENS_PER_REQUEST = 10_000_000  # above this a count is a unit or parsing error, not usage

RAW_TABLE = RawTable(
    TABLE,
    (
        "request_id varchar not null",
        "call_type varchar",
        "api_key varchar",
        "spend decimal(20, 10)",
        "total_tokens bigint",
        "prompt_tokens bigint not null",
        "completion_tokens bigint not null",
        "start_time timestamptz not null",
        "end_time timestamptz",
        "request_duration_ms bigint",
        "model varchar not null",
        "model_id varchar",
        "model_group varchar",
        "custom_llm_provider varchar",
        "api_base varchar",
        "user_pseudonym varchar",
        "end_user_pseudonym varchar",
        "metadata json",
        "cache_hit boolean",
        "cache_key varchar",
        "request_tags json",
        "team_id varchar",
        "organization_id varchar",
        "session_id varchar",
        "status varchar",
        "prompt_fingerprint varchar",
        "row_hash varchar not null",
    ),
    # a table loaded before prompt fingerprints existed gets the column; its old rows keep none
    # (they are never called retries or duplicates)
    added_later=("prompt_fingerprint",),
)
DDL = RAW_TABLE.ddl

COLUMNS = RAW_TABLE.column_names

_TEXT_FIELDS = (
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "request_duration_ms", "model", "model_id",
    "model_group", "custom_llm_provider", "api_base", "user", "end_user", "cache_hit",
    "cache_key", "team_id", "organization_id", "session_id", "status",
)  # fmt: skip
# response is deliberately absent; messages is parsed only into the keyed hash below, never kept.
LITELLM_STRUCTURE = json.dumps(
    {name: "VARCHAR" for name in _TEXT_FIELDS}
    | {"metadata": "JSON", "request_tags": "JSON", "messages": "JSON"}
)

# The part of `metadata` the pipeline reads (stg_litellm__requests: team alias, batch flag, token
# counts of usage_object); nothing else of it is stored. A key missing from a log stays missing.
METADATA_KEPT: dict = {
    "user_api_key_team_alias": None,
    "batch": None,
    "usage_object": {
        "prompt_tokens": None,
        "completion_tokens": None,
        "total_tokens": None,
        "cache_read_input_tokens": None,
        "cache_creation_input_tokens": None,
        "prompt_tokens_details": {"cached_tokens": None},
        "completion_tokens_details": {"reasoning_tokens": None},
    },
    # a day-grain row read from LiteLLM's daily spend tables (litellm_db.py): its request counts
    "litellm_daily_rollup": {
        "table": None,
        "api_requests": None,
        "successful_requests": None,
        "failed_requests": None,
    },
}


def _leaf_paths(spec: dict, path: str = "$") -> list[str]:
    """The JSON paths of the leaves of `spec` (nested), in order."""
    paths: list[str] = []
    for key, inner in spec.items():
        here = f'{path}."{key}"'
        paths += [here] if inner is None else _leaf_paths(inner, here)
    return paths


METADATA_PATHS = _leaf_paths(METADATA_KEPT)


def _kept_object(spec: dict, values: str, path: str = "$") -> str:
    """SQL building a JSON object of only the keys in `spec` (nested), from `values`: the list
    of their values, extracted in one parse (json_extract with METADATA_PATHS). A nested object
    with no value at all is null; null values are dropped by the one merge in `_kept_json`."""
    parts, leaves = [], []
    for key, inner in spec.items():
        here = f'{path}."{key}"'
        if inner is None:
            value = f"{values}[{METADATA_PATHS.index(here) + 1}]"
            leaves.append(value)
        else:
            value = _kept_object(inner, values, here)
            leaves += [f"{values}[{METADATA_PATHS.index(p) + 1}]"
                       for p in _leaf_paths(inner, here)]  # fmt: skip
        parts.append(f"{sql_literal(key)}, {value}")
    obj = f"json_object({', '.join(parts)})"
    if path == "$":
        return obj
    # every leaf absent or JSON null: the object would be empty, so it is absent
    present = " or ".join(f"coalesce({leaf}::varchar, 'null') <> 'null'" for leaf in leaves)
    return f"case when {present} then {obj} end"


def _kept_json(spec: dict, values: str) -> str:
    """SQL building a JSON object of only the keys in `spec` (nested), from `values` (see
    `_kept_object`); keys absent from the source stay absent, an object left empty is null."""
    # json_merge_patch onto {} drops the keys whose value is null, at every depth
    kept = f"json_merge_patch('{{}}', {_kept_object(spec, values)})"
    return f"nullif({kept}::varchar, '{{}}')::json"


# One parse of the metadata document for every path read from it (each `->` parses it anew).
METADATA_VALUES_SQL = (
    "json_extract(metadata_full, [" + ", ".join(sql_literal(p) for p in METADATA_PATHS) + "])"
)
METADATA_SQL = _kept_json(METADATA_KEPT, "metadata_values")

# Token parts the log reports inside prompt_tokens / completion_tokens, as staging reads them
# (column, path under usage_object). A part that is not a non-negative integer, or parts that
# exceed their total, quarantine the request with the field named: one bad row must not fail a
# test that blocks every source.
TOKEN_PARTS = (
    ("cache_read_1", "cache_read_input_tokens"),
    ("cache_read_2", "prompt_tokens_details.cached_tokens"),
    ("cache_write", "cache_creation_input_tokens"),
    ("reasoning", "completion_tokens_details.reasoning_tokens"),
)

# Where an excerpt of an unparseable line ends: at the first nested value (after the opening
# character) or the first field that can carry prompt text or personal data.
UNPARSEABLE_CUT = (
    r'^(.[^\[{]*?)(\[|\{|"(messages|response|metadata|proxy_server_request|requester_ip_address'
    r'|user|end_user|request_tags)"\s*:).*$'
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
    <lines>
),
valid as (
    select source_file, source_row, line,
           -- valid JSON that starts with { is an object: no second parse of the line
           json_valid(line) and (starts_with(line, '{') or starts_with(ltrim(line), '{'))
               as is_json
    from lines
    -- blank lines, CRLF or not, are not rows (a line that starts an object is not blank)
    where starts_with(line, '{') or trim(replace(line, chr(13), '')) <> ''
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
        pii_scrub(r.api_base) as api_base,
        case when nullif(r."user", '') is not null
             then sha256(getvariable('pseudonym_key') || r."user") end as user_pseudonym,
        case when nullif(r.end_user, '') is not null
             then sha256(getvariable('pseudonym_key') || r.end_user) end as end_user_pseudonym,
        -- metadata and tags may arrive as objects or as JSON-encoded strings
        case when json_type(r.metadata) = 'VARCHAR' and json_valid(r.metadata ->> '$')
             then json(r.metadata ->> '$') else r.metadata end as metadata_full,
        lower(r.cache_hit) in ('true', '1') as cache_hit,
        r.cache_key,
        json(pii_scrub(case
            when json_type(r.request_tags) = 'VARCHAR' and json_valid(r.request_tags ->> '$')
            then json(r.request_tags ->> '$') else r.request_tags end)) as request_tags,
        r.team_id,
        r.organization_id,
        r.session_id,
        r.status,
        -- keyed (the pseudonym key), so a fingerprint cannot be matched against guessed prompts
        case when json_type(r.messages) = 'ARRAY'
             then sha256(getvariable('pseudonym_key') || 'prompt:' || json(r.messages)::varchar)
        end as prompt_fingerprint,
        md5(line) as row_hash
    from records
),
parts as (
    select
        * exclude (metadata_full, metadata_values),
        -- metadata that is not a JSON object holds nothing the pipeline reads
        case when json_type(metadata_full) = 'OBJECT' then <metadata> end as metadata,
        <part_texts>
    from (select *, <metadata_values> as metadata_values from typed)
),
counted as (
    select
        *,
        <part_ints>,
        coalesce(part_cache_read_1, part_cache_read_2, 0) as cache_read,
        coalesce(part_cache_write, 0) as cache_write,
        coalesce(part_reasoning, 0) as reasoning
    from parts
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
        <part_fields>
        when cache_read + cache_write > prompt_tokens then 'prompt_tokens'
        when reasoning > completion_tokens then 'completion_tokens'
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
        <part_reasons>
        when cache_read + cache_write > prompt_tokens
            then 'cache read (' || cache_read || ') + cache write (' || cache_write
                 || ') tokens exceed prompt_tokens (' || prompt_tokens || ')'
        when reasoning > completion_tokens
            then 'reasoning tokens (' || reasoning || ') exceed completion_tokens ('
                 || completion_tokens || ')'
        when start_time > now() + interval 1 day then 'startTime is in the future'
    end as reject_reason,
    line as reject_value
from counted
"""


# One file, or one part of a file cut at a line end (see `_line_parts`): its lines numbered
# from `offset` + 1, named after the landing file.
JSONL_LINES = """
    insert into litellm_lines
    select $source_file, unnest(lines), generate_subscripts(lines, 1) + $offset
    -- a UTF-8 byte order mark before the first line is not part of it
    from (select string_split(if($first, ltrim(content, chr(65279)), content), chr(10)) as lines
          from read_text($path))
"""
LINES_DDL = """
create or replace temp table litellm_lines (source_file varchar, line varchar, source_row bigint)
"""


def _line_parts(path: Path, folder: Path, limit: int) -> list[tuple[Path, int]]:
    """`path` itself when it holds at most `limit` bytes; else copies of consecutive parts of
    it under `folder`, each cut after a line end (a newline byte is never inside a UTF-8
    character), with the number of lines before each part: memory holds one part at a time."""
    if path.stat().st_size <= limit:
        return [(path, 0)]
    parts: list[tuple[Path, int]] = []
    lines = 0
    with open(path, "rb") as source:
        while True:
            block = source.read(limit)
            if not block:
                break
            rest = b"" if block.endswith(b"\n") else source.readline()
            part = folder / f"part-{len(parts):06d}.jsonl"
            part.write_bytes(block + rest)
            parts.append((part, lines))
            lines += block.count(b"\n") + rest.count(b"\n")
    return parts


# The CSV export: a header row of field names, one request per row. Headers are matched ignoring
# case, spaces and punctuation ("Request ID", "request_id", "startTime", "Start Time"), plus the
# labels below. Prompt and completion columns (messages, response, proxy_server_request) and the
# requester's IP address are never read, whatever the export holds.
CSV_ALIASES = {
    "cost": "spend", "spendusd": "spend", "keyhash": "api_key", "hashedkey": "api_key",
    "tags": "request_tags", "inputtokens": "prompt_tokens", "outputtokens": "completion_tokens",
    "provider": "custom_llm_provider", "timestamp": "startTime", "userid": "user",
    "enduserid": "end_user", "customer": "end_user", "durationms": "request_duration_ms",
    "teamid": "team_id", "modelgroup": "model_group",
}  # fmt: skip
CSV_REQUIRED = ("request_id", "startTime", "model", "prompt_tokens", "completion_tokens")


def _is_csv(path: Path) -> bool:
    return data_name(path).lower().endswith(".csv")


def _header_key(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch.isalnum())


def _csv_field(header: str) -> str | None:
    """The LiteLLM field a CSV export header holds, or None (a column not read)."""
    fields = {_header_key(f): f for f in (*_TEXT_FIELDS, "metadata", "request_tags")}
    key = _header_key(header)
    return fields.get(key) or CSV_ALIASES.get(key)


def _csv_as_lines(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> None:
    """Temp table litellm_csv_lines (source_file, source_row, line): each CSV row as the JSON
    object a JSONL log line would be, so both forms go through the one parse below. A file
    whose header lacks a required field, or names one field twice, cannot be read."""
    for path in paths:
        columns = _read_as_text(con, "litellm_csv_file", [path], (), "")
        mapped: dict[str, str] = {}
        for column in columns:
            field = _csv_field(column)
            if field is None:
                continue
            if field in mapped:
                raise UnreadableFile(
                    f"{path}: columns {mapped[field]!r} and {column!r} both hold {field}"
                )
            mapped[field] = column
        missing = [f for f in CSV_REQUIRED if f not in mapped]
        if missing:
            raise UnreadableFile(
                f"{path}: not a LiteLLM spend log export: no column for {', '.join(missing)} "
                f"(columns found: {', '.join(columns)[:300]})"
            )
        pairs = ", ".join(f"{sql_literal(f)}: {quote_ident(c)}" for f, c in mapped.items())
        con.execute(
            f"""{"insert into litellm_csv_lines" if path != paths[0] else
                 "create or replace temp table litellm_csv_lines as"}
                select source_file, source_row, to_json({{{pairs}}})::varchar as line
                from litellm_csv_file"""
        )  # fmt: skip
        con.execute("drop table litellm_csv_file")


def _metadata_index(dotted: str) -> int:
    """The 1-based position in METADATA_PATHS of a kept metadata field (a.b.c)."""
    return METADATA_PATHS.index("$" + "".join(f'."{key}"' for key in dotted.split("."))) + 1


def _parse_sql(lines_sql: str) -> str:
    texts = ",\n        ".join(
        f"metadata_values[{_metadata_index('usage_object.' + path)}] ->> '$' as part_{name}_text"
        for name, path in TOKEN_PARTS
    )
    ints = ",\n        ".join(f"litellm_int(part_{name}_text) as part_{name}"
                               for name, _ in TOKEN_PARTS)  # fmt: skip
    bad = [(f"part_{name}_text is not null and (part_{name} is null or part_{name} < 0)",
            f"metadata.usage_object.{path}", name) for name, path in TOKEN_PARTS]  # fmt: skip
    fields = " ".join(f"when {cond} then {sql_literal(field)}" for cond, field, _ in bad)
    reasons = " ".join(
        f"when {cond} then {sql_literal(field + ' is not a non-negative integer: ')}"
        f" || part_{name}_text"
        for cond, field, name in bad
    )
    generated = {"<lines>": lines_sql, "<metadata>": METADATA_SQL,
                 "<metadata_values>": METADATA_VALUES_SQL, "<part_texts>": texts,
                 "<part_ints>": ints, "<part_fields>": fields,
                 "<part_reasons>": reasons}  # fmt: skip
    sql = PARSE_SQL
    for placeholder, text in generated.items():
        sql = sql.replace(placeholder, text)
    return sql


def parse(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    """Spend logs as JSONL lines or as CSV exports (one row per request), read by one parse.

    Lines are gathered in temp table litellm_lines and parsed and moved to the raw table (or the
    quarantine) whenever they hold `batch_bytes` of text: a file larger than that is read in
    parts cut at line ends, so memory holds one part whatever the size of the file."""
    limit = batch_bytes(con)
    counts: Counts = {}
    pending = 0
    con.execute(LINES_DDL)
    with tempfile.TemporaryDirectory(prefix="aifinops-litellm-") as folder:
        for path in (p for p in paths if not _is_csv(p)):
            for part, offset in _line_parts(path, Path(folder), limit):
                # length(content) makes DuckDB decode the text: count(*) alone would not notice
                # bad UTF-8
                what = "not a readable UTF-8 text file" + (
                    f" (in the part from line {offset + 1})" if part != path else "")  # fmt: skip
                probe(con, "select sum(length(content)) from read_text($path)",
                      {"path": str(part)}, what)  # fmt: skip
                if pending and pending + part.stat().st_size > limit:
                    _add(counts, _parse_lines(con))
                    pending = 0
                con.execute(JSONL_LINES, {"source_file": str(path), "path": str(part),
                                          "offset": offset, "first": offset == 0})  # fmt: skip
                pending += part.stat().st_size
                if part != path:
                    part.unlink()
    exports = [p for p in paths if _is_csv(p)]
    if exports:
        _csv_as_lines(con, exports)
        con.execute("insert into litellm_lines select source_file, line, source_row "
                    "from litellm_csv_lines")  # fmt: skip
        con.execute("drop table litellm_csv_lines")
    _add(counts, _parse_lines(con))
    con.execute("drop table litellm_lines")
    return counts


def _add(counts: Counts, more: Counts) -> None:
    """Add the counts of one part of a batch to the batch's (a file can span parts)."""
    for path, (read, good, bad) in more.items():
        before = counts.get(path, (0, 0, 0))
        counts[path] = (before[0] + read, before[1] + good, before[2] + bad)


def _parse_lines(con: duckdb.DuckDBPyConnection) -> Counts:
    """Parse the lines in litellm_lines into the raw table and the quarantine; empty the table."""
    con.execute(MACROS)
    create_scrub_macro(con)
    con.execute(
        _parse_sql("select source_file, line, source_row from litellm_lines"),
        {"structure": LITELLM_STRUCTURE, "max_tokens": MAX_TOKENS_PER_REQUEST},
    )
    con.execute("delete from litellm_lines")
    # Prompt text, metadata and personal data must not survive even in quarantine: a rejected
    # line keeps only the fields that explain the rejection; valid JSON that is not an object
    # only its type; an unparseable line its first 200 characters up to the first nested value
    # or the first field that can carry text about a person (e-mail and IP addresses left in
    # it are pseudonymised by split_good_and_bad).
    con.execute(
        """update litellm_staged set reject_value = case
               when is_json then to_json({request_id: request_id, model: model,
                                          prompt_tokens: prompt_tokens_text,
                                          completion_tokens: completion_tokens_text,
                                          startTime: start_time_text})::varchar
               when json_valid(line)
                   then 'a JSON ' || lower(json_type(line)) || ' of ' || length(line)
                        || ' characters: <removed>'
               else regexp_replace(left(ltrim(line), 200), $cut, '\\1<removed>')
           end
           where reject_reason is not null""",
        {"cut": UNPARSEABLE_CUT},
    )
    return split_good_and_bad(con, SOURCE, "litellm_staged", TABLE, COLUMNS)
