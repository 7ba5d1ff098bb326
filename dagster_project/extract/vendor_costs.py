"""AI vendor cost and usage reports saved as API pages: OpenAI organization Costs API and Usage
API (completions, embeddings, ... endpoints), Anthropic Admin API cost report and usage report.

Pages are small (one result per day x project x line item), so they are parsed in Python with
`json.loads(parse_float=Decimal)`: amounts keep the exact digits the API sent. DuckDB's JSON
reader would round them through a double.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.extract.landing import (
    Counts,
    RawTable,
    UnreadableFile,
    split_good_and_bad,
)

OPENAI_SOURCE = "openai_costs"
OPENAI_TABLE = "raw.openai_costs"
ANTHROPIC_SOURCE = "anthropic_cost_report"
ANTHROPIC_TABLE = "raw.anthropic_cost_report"
FILE_PATTERNS = ("*.json",)
# No daily cost line reaches this; above it a value is a unit or parsing error, and it would
# overflow the raw table's decimal(38, 10) columns.
MAX_AMOUNT = Decimal(10) ** 18

OPENAI_RAW_TABLE = RawTable(
    OPENAI_TABLE,
    (
        "bucket_start_time timestamptz not null",
        "bucket_end_time timestamptz not null",
        "amount_value decimal(38, 12) not null",
        "amount_currency varchar not null",
        "line_item varchar",
        "project_id varchar",
        "api_key_id varchar",
        "quantity decimal(38, 6)",
        "quantity_unit varchar",
        "result_json json not null",
        "row_hash varchar not null",
    ),
    bills=True,
)
OPENAI_DDL = OPENAI_RAW_TABLE.ddl
OPENAI_COLUMNS = OPENAI_RAW_TABLE.column_names

ANTHROPIC_RAW_TABLE = RawTable(
    ANTHROPIC_TABLE,
    (
        "bucket_starting_at timestamptz not null",
        "bucket_ending_at timestamptz not null",
        "amount_cents decimal(38, 10) not null",
        "currency varchar not null",
        "cost_type varchar",
        "description varchar",
        "token_type varchar",
        "model varchar",
        "service_tier varchar",
        "context_window varchar",
        "workspace_id varchar",
        "result_json json not null",
        "row_hash varchar not null",
    ),
    bills=True,
)
ANTHROPIC_DDL = ANTHROPIC_RAW_TABLE.ddl
ANTHROPIC_COLUMNS = ANTHROPIC_RAW_TABLE.column_names
# Usage API results: token counts by bucket and grouping (the grouping fields are null unless the
# pull grouped by them). OpenAI counts cached (and cache-write) tokens INSIDE input_tokens;
# Anthropic reports uncached input, cache reads and cache writes apart. Normalised in staging.
OPENAI_USAGE_SOURCE = "openai_usage"
OPENAI_USAGE_TABLE = "raw.openai_usage"
OPENAI_USAGE_RAW_TABLE = RawTable(
    OPENAI_USAGE_TABLE,
    (
        "bucket_start_time timestamptz not null",
        "bucket_end_time timestamptz not null",
        "endpoint varchar not null",
        "project_id varchar",
        "user_id varchar",
        "api_key_id varchar",
        "model varchar",
        "batch boolean",
        "service_tier varchar",
        "input_tokens bigint",
        "input_cached_tokens bigint",
        "input_cache_write_tokens bigint",
        "output_tokens bigint",
        "input_audio_tokens bigint",
        "output_audio_tokens bigint",
        "num_model_requests bigint",
        "result_json json not null",
        "row_hash varchar not null",
    ),
    bills=True,
)
OPENAI_USAGE_DDL = OPENAI_USAGE_RAW_TABLE.ddl
OPENAI_USAGE_COLUMNS = OPENAI_USAGE_RAW_TABLE.column_names
OPENAI_USAGE_COUNTS = (
    "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "output_tokens",
    "input_audio_tokens", "output_audio_tokens", "num_model_requests",
)  # fmt: skip

ANTHROPIC_USAGE_SOURCE = "anthropic_usage_report"
ANTHROPIC_USAGE_TABLE = "raw.anthropic_usage_report"
ANTHROPIC_USAGE_RAW_TABLE = RawTable(
    ANTHROPIC_USAGE_TABLE,
    (
        "bucket_starting_at timestamptz not null",
        "bucket_ending_at timestamptz not null",
        "workspace_id varchar",
        "api_key_id varchar",
        "model varchar",
        "service_tier varchar",
        "context_window varchar",
        "uncached_input_tokens bigint not null",
        "cache_read_input_tokens bigint not null",
        "cache_creation_5m_input_tokens bigint not null",
        "cache_creation_1h_input_tokens bigint not null",
        "output_tokens bigint not null",
        "web_search_requests bigint",
        "result_json json not null",
        "row_hash varchar not null",
    ),
    bills=True,
)
ANTHROPIC_USAGE_DDL = ANTHROPIC_USAGE_RAW_TABLE.ddl
ANTHROPIC_USAGE_COLUMNS = ANTHROPIC_USAGE_RAW_TABLE.column_names
# A token count beyond this is a unit or parsing error (and would overflow bigint sums).
MAX_TOKENS = 10**15

# The measures of a cost line; every other field of a result is part of its bill key (C1).
OPENAI_MEASURES = ("amount", "quantity")
ANTHROPIC_MEASURES = ("amount",)
# The fields of an Anthropic cost result that are loaded as they come.
ANTHROPIC_COST_FIELDS = (
    "cost_type", "description", "token_type", "model", "service_tier", "context_window",
    "workspace_id",
)  # fmt: skip
# live_pull writes the pull time into each saved page under this top-level key.
PULLED_AT_FIELD = "x_aifinops_pulled_at"


class _Reject(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _load_page(path: Path) -> dict:
    try:
        # utf-8-sig: a UTF-8 byte order mark, which some tools write, is not part of the JSON
        page = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableFile(f"{path.name} is not a valid JSON page: {error}") from error
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise UnreadableFile(f"{path.name} is not an API page: no 'data' list at the top level")
    return page


def _results(page: dict) -> Iterator[tuple[int, dict, dict]]:
    ordinal = 0
    for bucket in page["data"]:
        results = bucket.get("results") if isinstance(bucket, dict) else [bucket]
        for result in results or []:
            ordinal += 1
            yield ordinal, bucket, result


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _Reject(field, f"{field} missing or not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise _Reject(field, f"{field} is not a number: {value!r}") from error
    if not number.is_finite():
        raise _Reject(field, f"{field} is not a finite number: {value!r}")
    if abs(number) >= MAX_AMOUNT:
        raise _Reject(field, f"{field} implausibly large: {value!r}")
    return number


def _required(value: object, field: str) -> str:
    if not value:
        raise _Reject(field, f"missing {field}")
    return str(value)


def _unix(value: object, field: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Reject(field, f"{field} missing or not a unix timestamp")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise _Reject(field, f"{field} is not a unix timestamp in range: {value}") from error


def _rfc3339(value: object, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise _Reject(field, f"{field} missing or not an RFC 3339 timestamp") from error


def _bill_key(start: datetime, end: datetime, result: dict, measures: tuple[str, ...]) -> str:
    """Contract C1: a cost line's identity across deliveries: its bucket and every field of the
    result except the measures (a field absent and a field null are the same grouping)."""
    fields = {k: v for k, v in result.items() if k not in measures and v is not None}
    key = {"bucket": [start.isoformat(), end.isoformat()], "fields": fields}
    return json.dumps(key, default=str, sort_keys=True)


# A result's bucket columns and bill key: OpenAI buckets are bounded in unix seconds, Anthropic
# buckets in RFC 3339 timestamps.
def _openai_bucket(bucket: dict, result: dict, measures: tuple[str, ...]) -> dict:
    start = _unix(bucket.get("start_time"), "start_time")
    end = _unix(bucket.get("end_time"), "end_time")
    key = _bill_key(start, end, result, measures)
    return {"bucket_start_time": start, "bucket_end_time": end, "bill_key": key}


def _anthropic_bucket(bucket: dict, result: dict, measures: tuple[str, ...]) -> dict:
    start = _rfc3339(bucket.get("starting_at"), "starting_at")
    end = _rfc3339(bucket.get("ending_at"), "ending_at")
    key = _bill_key(start, end, result, measures)
    return {"bucket_starting_at": start, "bucket_ending_at": end, "bill_key": key}


def _usage_measures(result: dict) -> tuple[str, ...]:
    """A usage result's measures are its counts (numbers, and objects of counts such as
    Anthropic's cache_creation / server_tool_use); its strings, booleans and nulls group it."""
    return tuple(
        k
        for k, v in result.items()
        if isinstance(v, dict) or (isinstance(v, int | Decimal) and not isinstance(v, bool))
    )


def _count(value: object, field: str, *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Reject(field, f"{field} missing or not a whole number: {value!r}")
    if value < 0 or value >= MAX_TOKENS:
        raise _Reject(field, f"{field} out of range: {value}")
    return value


def pulled_at(path: Path) -> datetime | None:
    """The pull time a live pull wrote into the page, if any (`Deliveries.stated_time`)."""
    value = _load_page(path).get(PULLED_AT_FIELD)
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise UnreadableFile(f"{path.name}: {PULLED_AT_FIELD} is not a timestamp") from error
    if stamp.tzinfo is None:
        raise UnreadableFile(f"{path.name}: {PULLED_AT_FIELD} has no time zone: {value}")
    return stamp.astimezone(UTC)


def _openai_row(bucket: dict, result: dict) -> dict:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise _Reject("amount", f"missing amount or not an object: {amount!r}")
    currency = _required(amount.get("currency"), "amount.currency")
    quantity = result.get("quantity")
    return _openai_bucket(bucket, result, OPENAI_MEASURES) | {
        "amount_value": str(_decimal(amount.get("value"), "amount.value")),
        "amount_currency": currency,
        **{f: result.get(f) for f in ("line_item", "project_id", "api_key_id")},
        "quantity": None if quantity is None else str(_decimal(quantity, "quantity")),
        "quantity_unit": result.get("quantity_unit"),
    }


def _anthropic_row(bucket: dict, result: dict) -> dict:
    amount = result.get("amount")
    if not isinstance(amount, str):
        # The API sends amounts as decimal strings in cents; a bare number means a changed
        # format we should look at, not guess about.
        raise _Reject("amount", f"amount is not a decimal string in cents: {amount!r}")
    currency = _required(result.get("currency"), "currency")
    return _anthropic_bucket(bucket, result, ANTHROPIC_MEASURES) | {
        "amount_cents": str(_decimal(amount, "amount")),
        "currency": currency,
        **{f: result.get(f) for f in ANTHROPIC_COST_FIELDS},
    }


def _openai_usage_row(bucket: dict, result: dict) -> dict:
    # "organization.usage.completions.result" -> "completions" (embeddings, images, ...)
    kind = str(result.get("object") or "")
    parts = kind.split(".")
    if len(parts) != 4 or parts[:2] != ["organization", "usage"] or parts[3] != "result":
        raise _Reject("object", f"not a Usage API result: object={kind!r}")
    batch = result.get("batch")
    if batch is not None and not isinstance(batch, bool):
        raise _Reject("batch", f"batch is not true, false or null: {batch!r}")
    row = _openai_bucket(bucket, result, _usage_measures(result)) | {
        "endpoint": parts[2],
        "batch": batch,
        **{f: result.get(f) for f in ("project_id", "user_id", "api_key_id", "model")},
        "service_tier": result.get("service_tier"),
    }
    row |= {field: _count(result.get(field), field) for field in OPENAI_USAGE_COUNTS}
    if (row["input_cached_tokens"] or 0) + (row["input_cache_write_tokens"] or 0) > (
        row["input_tokens"] or 0
    ):
        # OpenAI counts cached tokens inside input_tokens: more cached than input is a changed
        # format (cached counted apart), and normalising it would go negative.
        raise _Reject("input_cached_tokens", "cached input tokens exceed input_tokens")
    return row


def _cache_creation(result: dict, cache_creation: dict, ttl: str) -> int:
    """Tokens an Anthropic usage result wrote to the prompt cache for `ttl` ("5m" or "1h"): from
    the documented nested object; a flat cache_creation_<ttl>_input_tokens (as some derived
    schemas spell it) is read when the object is absent, never added to it."""
    value = (
        cache_creation.get(f"ephemeral_{ttl}_input_tokens", 0)
        if cache_creation
        else result.get(f"cache_creation_{ttl}_input_tokens", 0)
    )
    return _count(value, f"cache_creation.ephemeral_{ttl}_input_tokens", required=True)


def _anthropic_usage_row(bucket: dict, result: dict) -> dict:
    cache_creation = result.get("cache_creation") or {}
    if not isinstance(cache_creation, dict):
        raise _Reject("cache_creation", f"cache_creation is not an object: {cache_creation!r}")
    tools = result.get("server_tool_use") or {}
    if not isinstance(tools, dict):
        raise _Reject("server_tool_use", f"server_tool_use is not an object: {tools!r}")
    return _anthropic_bucket(bucket, result, _usage_measures(result)) | {
        **{
            f: result.get(f)
            for f in ("workspace_id", "api_key_id", "model", "service_tier", "context_window")
        },
        "uncached_input_tokens": _count(
            result.get("uncached_input_tokens"), "uncached_input_tokens", required=True
        ),
        "cache_read_input_tokens": _count(
            result.get("cache_read_input_tokens", 0), "cache_read_input_tokens", required=True
        ),
        "cache_creation_5m_input_tokens": _cache_creation(result, cache_creation, "5m"),
        "cache_creation_1h_input_tokens": _cache_creation(result, cache_creation, "1h"),
        "output_tokens": _count(result.get("output_tokens"), "output_tokens", required=True),
        "web_search_requests": _count(
            tools.get("web_search_requests"), "server_tool_use.web_search_requests"
        ),
    }


def _parse_pages(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    to_row: Callable[[dict, dict], dict],
    columns: list[str],
    table: str,
    source: str,
) -> Counts:
    records = []
    for path in paths:
        for ordinal, bucket, result in _results(_load_page(path)):
            text = json.dumps(result, default=str, sort_keys=True)
            record = dict.fromkeys(columns) | {
                "source_file": str(path), "source_row": ordinal, "result_json": text,
                "row_hash": _md5(text), "reject_field": None, "reject_reason": None,
                "reject_value": None,
            }  # fmt: skip
            try:
                if not isinstance(result, dict) or not isinstance(bucket, dict):
                    raise _Reject("result", "result or its bucket is not a JSON object")
                record |= to_row(bucket, result)
            except _Reject as reject:
                record |= {"reject_field": reject.field, "reject_reason": reject.reason,
                           "reject_value": text[:500]}  # fmt: skip
            records.append(record)
    extra = ["source_file", "source_row", "reject_field", "reject_reason", "reject_value"]
    frame = pd.DataFrame(records, columns=[*columns, *extra], dtype=object)
    con.register("page_frame", frame)
    casts = ", ".join(f"cast({c} as {_column_type(con, table, c)}) as {c}" for c in columns)
    con.execute(
        f"""create or replace temp table page_staged as
            select {casts}, cast(source_file as varchar) as source_file,
                   cast(source_row as bigint) as source_row,
                   cast(reject_field as varchar) as reject_field,
                   cast(reject_reason as varchar) as reject_reason,
                   cast(reject_value as varchar) as reject_value
            from page_frame"""
    )
    con.unregister("page_frame")
    return split_good_and_bad(con, source, "page_staged", table, columns)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    schema, name = table.split(".")
    return con.execute(
        """select data_type from information_schema.columns
           where table_schema = ? and table_name = ? and column_name = ?""",
        [schema, name, column],
    ).fetchone()[0]


def parse_openai(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    return _parse_pages(con, paths, _openai_row, OPENAI_COLUMNS, OPENAI_TABLE, OPENAI_SOURCE)


def parse_anthropic(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    return _parse_pages(
        con, paths, _anthropic_row, ANTHROPIC_COLUMNS, ANTHROPIC_TABLE, ANTHROPIC_SOURCE
    )


def parse_openai_usage(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    return _parse_pages(
        con, paths, _openai_usage_row, OPENAI_USAGE_COLUMNS, OPENAI_USAGE_TABLE,
        OPENAI_USAGE_SOURCE,
    )  # fmt: skip


def parse_anthropic_usage(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    return _parse_pages(
        con, paths, _anthropic_usage_row, ANTHROPIC_USAGE_COLUMNS, ANTHROPIC_USAGE_TABLE,
        ANTHROPIC_USAGE_SOURCE,
    )  # fmt: skip
