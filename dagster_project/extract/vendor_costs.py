"""AI vendor cost reports saved as API pages: OpenAI organization Costs API and Anthropic Admin
API cost report.

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
    LINEAGE_COLUMNS,
    Counts,
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

OPENAI_DDL = f"""
create table if not exists {OPENAI_TABLE} (
    bucket_start_time timestamptz not null,
    bucket_end_time timestamptz not null,
    amount_value decimal(38, 12) not null,
    amount_currency varchar not null,
    line_item varchar,
    project_id varchar,
    api_key_id varchar,
    quantity decimal(38, 6),
    quantity_unit varchar,
    result_json json not null,
    row_hash varchar not null,
    -- bill revisions (contract C1; LANDING fills them, null = in force)
    bill_key varchar,
    delivery_id varchar,
    delivered_at timestamptz,
    superseded_by varchar,
    {LINEAGE_COLUMNS}
)
"""
OPENAI_COLUMNS = [
    "bucket_start_time", "bucket_end_time", "amount_value", "amount_currency", "line_item",
    "project_id", "api_key_id", "quantity", "quantity_unit", "result_json", "row_hash",
]  # fmt: skip

ANTHROPIC_DDL = f"""
create table if not exists {ANTHROPIC_TABLE} (
    bucket_starting_at timestamptz not null,
    bucket_ending_at timestamptz not null,
    amount_cents decimal(38, 10) not null,
    currency varchar not null,
    cost_type varchar,
    description varchar,
    token_type varchar,
    model varchar,
    service_tier varchar,
    context_window varchar,
    workspace_id varchar,
    result_json json not null,
    row_hash varchar not null,
    -- bill revisions (contract C1; LANDING fills them, null = in force)
    bill_key varchar,
    delivery_id varchar,
    delivered_at timestamptz,
    superseded_by varchar,
    {LINEAGE_COLUMNS}
)
"""
ANTHROPIC_COLUMNS = [
    "bucket_starting_at", "bucket_ending_at", "amount_cents", "currency", "cost_type",
    "description", "token_type", "model", "service_tier", "context_window", "workspace_id",
    "result_json", "row_hash",
]  # fmt: skip


class _Reject(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _load_page(path: Path) -> dict:
    try:
        page = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
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


def _openai_row(bucket: dict, result: dict) -> dict:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise _Reject("amount", f"missing amount or not an object: {amount!r}")
    currency = amount.get("currency")
    if not currency:
        raise _Reject("amount.currency", "missing amount.currency")
    quantity = result.get("quantity")
    return {
        "bucket_start_time": _unix(bucket.get("start_time"), "start_time"),
        "bucket_end_time": _unix(bucket.get("end_time"), "end_time"),
        "amount_value": str(_decimal(amount.get("value"), "amount.value")),
        "amount_currency": str(currency),
        "line_item": result.get("line_item"),
        "project_id": result.get("project_id"),
        "api_key_id": result.get("api_key_id"),
        "quantity": None if quantity is None else str(_decimal(quantity, "quantity")),
        "quantity_unit": result.get("quantity_unit"),
    }


def _anthropic_row(bucket: dict, result: dict) -> dict:
    amount = result.get("amount")
    if not isinstance(amount, str):
        # The API sends amounts as decimal strings in cents; a bare number means a changed
        # format we should look at, not guess about.
        raise _Reject("amount", f"amount is not a decimal string in cents: {amount!r}")
    currency = result.get("currency")
    if not currency:
        raise _Reject("currency", "missing currency")
    return {
        "bucket_starting_at": _rfc3339(bucket.get("starting_at"), "starting_at"),
        "bucket_ending_at": _rfc3339(bucket.get("ending_at"), "ending_at"),
        "amount_cents": str(_decimal(amount, "amount")),
        "currency": str(currency),
        "cost_type": result.get("cost_type"),
        "description": result.get("description"),
        "token_type": result.get("token_type"),
        "model": result.get("model"),
        "service_tier": result.get("service_tier"),
        "context_window": result.get("context_window"),
        "workspace_id": result.get("workspace_id"),
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
