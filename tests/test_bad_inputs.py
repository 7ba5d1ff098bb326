"""Specifications for extraction under bad inputs.

Every case writes a tiny landing folder, runs `extract` for one source on a fresh DuckDB file and
states the outcome: which rows load, which land in `raw._quarantine` with which file, row, field
and reason, what `raw._load_files` records, and always the balance "rows read = rows loaded +
rows quarantined", per file and against the actual contents of the raw table and the quarantine.

Some bad inputs are by design not quarantined at extraction, because a downstream model handles
them; those cases assert that the row loads unchanged and say where it is handled.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.extract.sources import SOURCES_BY_NAME, Source, extract, load_balance
from tests.test_usage_apis import anthropic_page as usage_anthropic_page
from tests.test_usage_apis import anthropic_result as usage_anthropic_result
from tests.test_usage_apis import openai_page as usage_openai_page
from tests.test_usage_apis import openai_result as usage_openai_result

LITELLM = SOURCES_BY_NAME["litellm_spend_logs"]
OTEL = SOURCES_BY_NAME["otel_genai_spans"]
OPENAI = SOURCES_BY_NAME["openai_costs"]
ANTHROPIC = SOURCES_BY_NAME["anthropic_cost_report"]
FOCUS = SOURCES_BY_NAME["focus_billing"]
DRIVERS = SOURCES_BY_NAME["business_drivers"]
FX = SOURCES_BY_NAME["fx_rates"]
OPENAI_USAGE = SOURCES_BY_NAME["openai_usage"]
ANTHROPIC_USAGE = SOURCES_BY_NAME["anthropic_usage_report"]

# The column that tells rows apart in each raw table: cases name the rows they expect to load.
IDENTITY = {
    LITELLM.name: "request_id",
    OTEL.name: "span_id",
    OPENAI.name: "line_item",
    ANTHROPIC.name: "description",
    FOCUS.name: '"ChargeDescription"',
    DRIVERS.name: "driver",
    FX.name: "currency || ' ' || rate_date::varchar",
    OPENAI_USAGE.name: "project_id",
    ANTHROPIC_USAGE.name: "workspace_id",
}

ABSENT = object()  # a field value meaning "leave the field out"
Writer = Callable[[Path], None]  # writes one landing file under a source's folder


# --------------------------------------------------------------------------------------------
# Fixture writers: valid records by default, a case overrides the fields it breaks.


def _merge(base: dict, fields: dict) -> dict:
    merged = dict(base)
    for key, value in fields.items():
        if value is ABSENT:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def text_file(name: str, text: str) -> Writer:
    def write(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")

    return write


def bytes_file(name: str, data: bytes) -> Writer:
    def write(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return write


def json_file(name: str, document: object) -> Writer:
    return text_file(name, json.dumps(document, ensure_ascii=False))


def copy_of(original: str, name: str) -> Writer:
    def write(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes((folder / original).read_bytes())

    return write


def litellm_record(request_id: str, /, **fields: object) -> dict:
    base = {
        "request_id": request_id,
        "call_type": "acompletion",
        "api_key": "sk-hash-5f1e0c2a9b",
        "spend": 0.0012,
        "total_tokens": 150,
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "startTime": "2026-07-01 09:00:00.000",
        "endTime": "2026-07-01 09:00:01.000",
        "request_duration_ms": 1000,
        "model": "gpt-4o-2024-08-06",
        "model_id": "9edd1b702b3e",
        "model_group": "gpt-4o-2024-08-06",
        "custom_llm_provider": "openai",
        "api_base": "https://api.openai.com/v1",
        "user": "user-1@customers.example",
        "metadata": {"user_api_key_team_alias": "support"},
        "cache_hit": "False",
        "cache_key": None,
        "request_tags": ["env:production", "product:helpdesk"],
        "team_id": "team-1",
        "organization_id": "org-northwind",
        "end_user": "cust_1",
        "session_id": "26ab7bd9",
        "status": "success",
        "messages": [{"role": "user", "content": "please help"}],
        "response": {"choices": [{"message": {"content": "a reply"}}]},
    }
    return _merge(base, fields)


def jsonl(name: str, *lines: dict | str, newline: str = "\n") -> Writer:
    """One line per item: a dict is written as JSON, a string exactly as given."""
    rendered = [json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines]
    return text_file(name, "".join(line + newline for line in rendered))


def good_litellm(name: str = "good.jsonl") -> Writer:
    return jsonl(name, litellm_record("good-1"), litellm_record("good-2"))


NANOS_2026_07_01 = "1782900000000000000"  # 2026-07-01 10:00 UTC
NANOS_2099 = "4070908800000000000"  # 2099-01-01


def otel_span(span_id: str, /, **fields: object) -> dict:
    """A GenAI span; `fields` override span keys or, for gen_ai.* / app.* names, attributes.
    An int attribute becomes an intValue, a str a stringValue, a dict is the OTLP value as is."""
    attributes = {
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 50,
    }
    span = {
        "traceId": "371f69aaeda6a4b81605bdb206a3dafa",
        "spanId": span_id,
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": NANOS_2026_07_01,
        "endTimeUnixNano": str(int(NANOS_2026_07_01) + 900_000_000),
        "status": {"code": 1},
    }
    attributes = _merge(attributes, {k: v for k, v in fields.items() if "." in k})
    span = _merge(span, {k: v for k, v in fields.items() if "." not in k})

    def value(v: object) -> dict:
        if isinstance(v, dict):
            return v
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}

    span["attributes"] = [{"key": k, "value": value(v)} for k, v in attributes.items()]
    return span


def otel_document(*spans: dict, service: str = "support-assistant") -> dict:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": {"name": "openinference"}, "spans": list(spans)}],
            }
        ]
    }


def good_otel(name: str = "good.json") -> Writer:
    return json_file(name, otel_document(otel_span("good-1"), otel_span("good-2")))


def openai_result(line_item: str, /, **fields: object) -> dict:
    base = {
        "object": "organization.costs.result",
        "amount": {"value": 0.0331111, "currency": "usd"},
        "line_item": line_item,
        "project_id": "proj_devex",
        "api_key_id": None,
        "quantity": 30101,
        "quantity_unit": "tokens",
    }
    return _merge(base, fields)


def openai_page(*results: object, start_time: object = 1782864000) -> dict:
    bucket = {
        "object": "bucket",
        "start_time": start_time,
        "end_time": 1782950400,
        "results": list(results),
    }
    return {"object": "page", "data": [bucket], "has_more": False, "next_page": None}


def good_openai(name: str = "page_0001.json") -> Writer:
    return json_file(name, openai_page(openai_result("good-1"), openai_result("good-2")))


def anthropic_result(description: str, /, **fields: object) -> dict:
    base = {
        "currency": "USD",
        "amount": "123.45",
        "workspace_id": "wrkspc_default",
        "description": description,
        "cost_type": "tokens",
        "context_window": "0-200k",
        "model": "claude-sonnet-4-20250514",
        "service_tier": "standard",
        "token_type": "output_tokens",
    }
    return _merge(base, fields)


def anthropic_page(*results: object, starting_at: object = "2026-07-01T00:00:00Z") -> dict:
    bucket = {
        "starting_at": starting_at,
        "ending_at": "2026-07-02T00:00:00Z",
        "results": list(results),
    }
    return {"data": [bucket], "has_more": False, "next_page": None}


def focus_charge(description: str, /, **fields: object) -> dict:
    """A FOCUS charge row as text, as exports deliver it; None writes an empty cell."""
    base = {
        "BillingAccountId": "999988887777",
        "BillingAccountName": "Northwind Labs Payer",
        "BillingCurrency": "USD",
        "BillingPeriodStart": "2026-07-01T00:00:00Z",
        "BillingPeriodEnd": "2026-08-01T00:00:00Z",
        "ChargePeriodStart": "2026-07-01T00:00:00Z",
        "ChargePeriodEnd": "2026-07-02T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeDescription": description,
        "ServiceName": "Amazon Bedrock",
        "ResourceName": "amazon.nova-lite-v1:0",
        "ConsumedQuantity": "34290",
        "ConsumedUnit": "Tokens",
        "BilledCost": "0.001955",
        "EffectiveCost": "0.001955",
        "ListCost": "0.002057",
        "Tags": '{"team": "support", "product": "helpdesk"}',
    }
    return _merge(base, fields)


def focus_csv(name: str, *rows: dict) -> Writer:
    def write(folder: Path) -> None:
        path = folder / "aws" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    return write


def focus_parquet(name: str, *rows: dict, keep_bytes: float = 1.0) -> Writer:
    """A Parquet export of text columns; keep_bytes < 1 cuts the file (an aborted upload)."""

    def write(folder: Path) -> None:
        path = folder / "aws" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in rows[0]})
        pq.write_table(table, path)
        if keep_bytes < 1:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * keep_bytes)])

    return write


def good_focus_csv(name: str = "good.csv") -> Writer:
    return focus_csv(name, focus_charge("good-1"), focus_charge("good-2"))


DRIVER_COLUMNS = ("date", "driver", "product", "team", "value", "unit")


def driver_row(driver: str, /, **fields: str) -> dict:
    base = {
        "date": "2026-07-01",
        "driver": driver,
        "product": "helpdesk",
        "team": "support",
        "value": "38",
        "unit": "users",
    }
    return _merge(base, fields)


def drivers_csv(name: str, *rows: dict) -> Writer:
    def write(folder: Path) -> None:
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    return write


# --------------------------------------------------------------------------------------------
# Expectations


class Quarantined(NamedTuple):
    file: str
    row: int | None  # None: the whole file
    field: str
    reason: str  # a phrase the reason must contain


class Recorded(NamedTuple):
    """One row of raw._load_files."""

    file: str
    status: str
    read: int
    loaded: int
    quarantined: int


@dataclass(frozen=True)
class Case:
    id: str
    source: Source
    write: tuple[Writer, ...]
    loaded: tuple[str, ...]  # identity values of the rows in the raw table, in any order
    quarantined: tuple[Quarantined, ...] = ()
    rerun: tuple[Writer, ...] | None = None  # write these, then extract a second time
    recorded: tuple[Recorded, ...] | None = None  # the whole of raw._load_files, if stated
    queries: tuple[tuple[str, list[tuple]], ...] = ()  # (sql, exact rows it returns)


def run_extract(case: Case, tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    landing = tmp_path / "landing"
    folder = landing / case.source.folder
    folder.mkdir(parents=True)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    messages: list[str] = []
    for writers in (case.write, case.rerun):
        if writers is None:
            continue
        for write in writers:
            write(folder)
        messages += extract(con, case.source, landing).messages
        assert_balanced(con, case.source)
    return con, messages


def assert_balanced(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """rows read = loaded + quarantined, per file, and the counts match what is stored."""
    per_file = con.execute(
        f"""with recorded as (
                select source_file, sum(rows_read) as read, sum(rows_loaded) as loaded,
                       sum(rows_quarantined) as quarantined
                from raw._load_files where source = $source and status in ('loaded', 'failed')
                group by source_file
            ),
            stored as (
                select source_file, count(*) as n from {source.table} group by source_file
            ),
            quarantine as (
                select source_file, count(*) as n from raw._quarantine where source = $source
                group by source_file
            )
            select coalesce(r.source_file, s.source_file, q.source_file) as source_file,
                   r.read, r.loaded, r.quarantined,
                   coalesce(s.n, 0) as in_table, coalesce(q.n, 0) as in_quarantine
            from recorded as r
            full join stored as s using (source_file)
            full join quarantine as q using (source_file)""",
        {"source": source.name},
    ).fetchall()
    for file, read, loaded, quarantined, in_table, in_quarantine in per_file:
        assert read is not None, f"{file}: rows stored but no load recorded"
        assert read == loaded + quarantined, f"{file}: read {read} != {loaded} + {quarantined}"
        assert (loaded, quarantined) == (in_table, in_quarantine), (
            f"{file}: recorded {loaded} loaded / {quarantined} quarantined, "
            f"stored {in_table} / {in_quarantine}"
        )
    balance = load_balance(con, source)  # what the blocking asset check asserts
    assert balance.balanced, balance


def loaded_identities(con: duckdb.DuckDBPyConnection, source: Source) -> list[str]:
    column = IDENTITY[source.name]
    return sorted(r[0] for r in con.execute(f"select {column} from {source.table}").fetchall())


def _order(file: str, row: int | None, field: str) -> tuple:
    return (file, row is not None, row or 0, field)  # whole-file entries first


def quarantine_rows(con: duckdb.DuckDBPyConnection, source: Source) -> list[tuple]:
    rows = con.execute(
        "select source_file, source_row, field, reason from raw._quarantine where source = ?",
        [source.name],
    ).fetchall()
    named = [(Path(file).name, row, field, reason) for file, row, field, reason in rows]
    return sorted(named, key=lambda r: _order(*r[:3]))


def recorded_loads(con: duckdb.DuckDBPyConnection, source: Source) -> list[Recorded]:
    rows = con.execute(
        """select source_file, status, rows_read, rows_loaded, rows_quarantined
           from raw._load_files where source = ?""",
        [source.name],
    ).fetchall()
    return sorted(Recorded(Path(f).name, *rest) for f, *rest in rows)


# --------------------------------------------------------------------------------------------
# The corpus

Q = Quarantined
R = Recorded
LITELLM_ROWS = "select {} from raw.litellm_spend_logs where request_id = '{}'"

CASES = [
    # ---- LiteLLM spend logs (JSONL) -------------------------------------------------------
    Case(
        "litellm: a malformed JSON line is quarantined as field 'line', the lines around it load",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("good-1"),
                '{"request_id": "cut-off", "model": "gpt-4o", "prompt_tok',
                litellm_record("good-2"),
            ),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(Q("spend.jsonl", 2, "line", "malformed JSON line"),),
    ),
    Case(
        "litellm: a JSON line that is not an object is quarantined as field 'line'",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("good-1"), "[1, 2]", "null", '"text"'),),
        loaded=("good-1",),
        quarantined=(
            Q("spend.jsonl", 2, "line", "not a JSON object"),
            Q("spend.jsonl", 3, "line", "not a JSON object"),
            Q("spend.jsonl", 4, "line", "not a JSON object"),
        ),
    ),
    Case(
        "litellm: an empty file loads no rows and is recorded as loaded, not as a failure",
        LITELLM,
        (text_file("empty.jsonl", ""), good_litellm()),
        loaded=("good-1", "good-2"),
        recorded=(R("empty.jsonl", "loaded", 0, 0, 0), R("good.jsonl", "loaded", 2, 2, 0)),
    ),
    Case(
        "litellm: blank lines and CRLF line endings are not rows",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("good-1"),
                "",
                "   ",
                litellm_record("good-2"),
                newline="\r\n",
            ),
        ),
        loaded=("good-1", "good-2"),
        recorded=(R("spend.jsonl", "loaded", 2, 2, 0),),
    ),
    Case(
        "litellm: a missing or empty request_id is quarantined as field request_id",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("good-1"),
                litellm_record("x", request_id=ABSENT),
                litellm_record(""),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("spend.jsonl", 2, "request_id", "missing required field request_id"),
            Q("spend.jsonl", 3, "request_id", "missing required field request_id"),
        ),
    ),
    Case(
        "litellm: prompt_tokens 'abc' is quarantined as not an integer",
        LITELLM,
        (
            jsonl(
                "spend.jsonl", litellm_record("good-1"), litellm_record("bad", prompt_tokens="abc")
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spend.jsonl", 2, "prompt_tokens", "not an integer"),),
    ),
    Case(
        "litellm: a fractional token count is quarantined, not rounded; 42.0 loads as 42",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("whole", prompt_tokens=42.0),
                litellm_record("bad", completion_tokens=12.5),
            ),
        ),
        loaded=("whole",),
        quarantined=(Q("spend.jsonl", 2, "completion_tokens", "not an integer"),),
        queries=((LITELLM_ROWS.format("prompt_tokens", "whole"), [(42,)]),),
    ),
    Case(
        "litellm: a negative completion_tokens is quarantined",
        LITELLM,
        (
            jsonl(
                "spend.jsonl", litellm_record("good-1"), litellm_record("bad", completion_tokens=-5)
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spend.jsonl", 2, "completion_tokens", "completion_tokens is negative"),),
    ),
    Case(
        "litellm: more than 10M prompt tokens in one request is quarantined, 10M loads",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("at-limit", prompt_tokens=10_000_000),
                litellm_record("bad", prompt_tokens=10_000_001),
                litellm_record("overflow", prompt_tokens=10**30),
            ),
        ),
        loaded=("at-limit",),
        quarantined=(
            Q("spend.jsonl", 2, "prompt_tokens", "prompt_tokens implausibly large"),
            Q("spend.jsonl", 3, "prompt_tokens", "not an integer"),
        ),
    ),
    Case(
        "litellm: a startTime in the future is quarantined",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("good-1"),
                litellm_record("bad", startTime="2099-01-01 00:00:00"),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spend.jsonl", 2, "startTime", "startTime is in the future"),),
    ),
    Case(
        "litellm: a missing or unparseable startTime is quarantined",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("good-1"),
                litellm_record("missing", startTime=ABSENT),
                litellm_record("words", startTime="yesterday"),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("spend.jsonl", 2, "startTime", "startTime missing or not a timestamp"),
            Q("spend.jsonl", 3, "startTime", "startTime missing or not a timestamp"),
        ),
    ),
    Case(
        "litellm: a missing model is quarantined as field model",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("good-1"), litellm_record("bad", model=None)),),
        loaded=("good-1",),
        quarantined=(Q("spend.jsonl", 2, "model", "missing required field model"),),
    ),
    Case(
        # Staging reads metadata / request_tags only when they are JSON; tags keep the text,
        # metadata keeps only the fields the pipeline reads (none in a plain string).
        "litellm: request_tags as a string that is not JSON loads as that string, such "
        "metadata as null",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record("odd", metadata="team=support", request_tags="env:production"),
            ),
        ),
        loaded=("odd",),
        queries=(
            (
                LITELLM_ROWS.format("metadata ->> '$', request_tags ->> '$'", "odd"),
                [(None, "env:production")],
            ),
        ),
    ),
    Case(
        "litellm: JSON-encoded metadata and request_tags strings are decoded",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record(
                    "encoded",
                    metadata='{"user_api_key_team_alias": "devex"}',
                    request_tags='["env:staging"]',
                ),
            ),
        ),
        loaded=("encoded",),
        queries=(
            (
                LITELLM_ROWS.format(
                    "metadata ->> 'user_api_key_team_alias', request_tags ->> 0", "encoded"
                ),
                [("devex", "env:staging")],
            ),
        ),
    ),
    Case(
        "litellm: a file that is not UTF-8 is quarantined whole, the other files load",
        LITELLM,
        (bytes_file("latin1.jsonl", b'{"request_id": "caf\xe9"}\n'), good_litellm()),
        loaded=("good-1", "good-2"),
        quarantined=(Q("latin1.jsonl", None, "<file>", "not a readable UTF-8 text file"),),
        recorded=(R("good.jsonl", "loaded", 2, 2, 0), R("latin1.jsonl", "failed", 1, 0, 1)),
    ),
    Case(
        # The billing period is a reporting concern: marts filter by period, raw keeps all.
        "litellm: a request from before the billing period loads",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("old", startTime="2019-12-31 23:59:59")),),
        loaded=("old",),
        queries=(
            (LITELLM_ROWS.format("start_time::varchar", "old"), [("2019-12-31 23:59:59+00",)]),
        ),
    ),
    Case(
        # Overlapping exports repeat requests: staging keeps the first loaded copy per id.
        "litellm: a request_id repeated in two files loads twice, staging dedupes by request_id",
        LITELLM,
        (
            jsonl("a.jsonl", litellm_record("dup"), litellm_record("only-a")),
            jsonl("b.jsonl", litellm_record("dup"), litellm_record("only-b")),
        ),
        loaded=("dup", "dup", "only-a", "only-b"),
    ),
    Case(
        # dbt flags a model missing from the price catalog as unpriced.
        "litellm: an unknown model loads as named, for dbt to flag as unpriced",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("new-model", model="acme-llm-9000-preview")),),
        loaded=("new-model",),
        queries=((LITELLM_ROWS.format("model", "new-model"), [("acme-llm-9000-preview",)]),),
    ),
    Case(
        # dbt maps a request without team / tags to the owner 'unassigned'.
        "litellm: a request without owner tags, team or user loads, dbt assigns 'unassigned'",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record(
                    "orphan", request_tags=ABSENT, team_id=None, metadata={}, user=ABSENT
                ),
            ),
        ),
        loaded=("orphan",),
        queries=(
            (
                LITELLM_ROWS.format("request_tags, team_id, user_pseudonym", "orphan"),
                [(None, None, None)],
            ),
        ),
    ),
    Case(
        # Neutralising =, +, -, @ belongs to CSV / spreadsheet exports, not to raw storage.
        "litellm: spreadsheet formulas in tags and team load verbatim",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record(
                    "formula",
                    team_id="=cmd|' /C calc'!A0",
                    request_tags=[
                        'team:=HYPERLINK("http://evil.example","x")',
                        "+1+1",
                        "-2+3",
                        "@SUM(A1:A9)",
                    ],
                ),
            ),
        ),
        loaded=("formula",),
        queries=(
            (
                LITELLM_ROWS.format("team_id, request_tags::varchar", "formula"),
                [
                    (
                        "=cmd|' /C calc'!A0",
                        '["team:=HYPERLINK(\\"http://evil.example\\",\\"x\\")","+1+1","-2+3",'
                        '"@SUM(A1:A9)"]',
                    )
                ],
            ),
        ),
    ),
    Case(
        "litellm: emoji, right-to-left and combining characters in model and tags load intact",
        LITELLM,
        (
            jsonl(
                "spend.jsonl",
                litellm_record(
                    "unicode",
                    model="gpt-4o-😀",
                    team_id="チーム",
                    request_tags=[
                        "team:فريق-الدعم",
                        "product:\u202edliub",
                        "feature:nai\u0308ve\u200d",
                    ],
                ),
            ),
        ),
        loaded=("unicode",),
        queries=(
            (
                LITELLM_ROWS.format(
                    "model, team_id, request_tags ->> 0, request_tags ->> 1, request_tags ->> 2",
                    "unicode",
                ),
                [
                    (
                        "gpt-4o-😀",
                        "チーム",
                        "team:فريق-الدعم",
                        "product:\u202edliub",
                        "feature:nai\u0308ve\u200d",
                    )
                ],
            ),
        ),
    ),
    # ---- OpenTelemetry GenAI spans (OTLP JSON) --------------------------------------------
    Case(
        "otel: a truncated OTLP document is quarantined whole, the other documents load",
        OTEL,
        (text_file("broken.json", json.dumps(otel_document(otel_span("lost")))[:80]), good_otel()),
        loaded=("good-1", "good-2"),
        quarantined=(Q("broken.json", None, "<file>", "not a valid OTLP JSON document"),),
        recorded=(R("broken.json", "failed", 1, 0, 1), R("good.json", "loaded", 2, 2, 0)),
    ),
    Case(
        "otel: valid JSON that is not an OTLP export is quarantined whole",
        OTEL,
        (json_file("other.json", {"data": [{"spanId": "x"}]}), good_otel()),
        loaded=("good-1", "good-2"),
        quarantined=(Q("other.json", None, "<file>", "resourceSpans"),),
        recorded=(R("good.json", "loaded", 2, 2, 0), R("other.json", "failed", 1, 0, 1)),
    ),
    Case(
        "otel: an export with no spans loads no rows and is recorded",
        OTEL,
        (json_file("quiet.json", {"resourceSpans": []}),),
        loaded=(),
        recorded=(R("quiet.json", "loaded", 0, 0, 0),),
    ),
    Case(
        "otel: an empty file is not a JSON document and is quarantined whole",
        OTEL,
        (text_file("empty.json", ""), good_otel()),
        loaded=("good-1", "good-2"),
        quarantined=(Q("empty.json", None, "<file>", "not a valid OTLP JSON document"),),
    ),
    Case(
        "otel: an input_tokens intValue 'abc' is quarantined as not an integer",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span("bad", **{"gen_ai.usage.input_tokens": {"intValue": "abc"}}),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "gen_ai.usage.input_tokens", "is not an integer"),),
    ),
    Case(
        "otel: a negative output token count is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"), otel_span("bad", **{"gen_ai.usage.output_tokens": -3})
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "gen_ai.usage.output_tokens", "is negative"),),
    ),
    Case(
        "otel: more than 10M input tokens on one span is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span("bad", **{"gen_ai.usage.input_tokens": 25_000_000}),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "gen_ai.usage.input_tokens", "implausibly large"),),
    ),
    Case(
        "otel: a fractional token count is quarantined, not rounded",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span("bad", **{"gen_ai.usage.input_tokens": {"doubleValue": 12.5}}),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "gen_ai.usage.input_tokens", "is not an integer"),),
    ),
    Case(
        "otel: a span without startTimeUnixNano is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(otel_span("good-1"), otel_span("bad", startTimeUnixNano=ABSENT)),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "startTimeUnixNano", "missing or not an integer"),),
    ),
    Case(
        "otel: a startTimeUnixNano beyond any timestamp is quarantined, not a crash",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(otel_span("good-1"), otel_span("bad", startTimeUnixNano="9" * 30)),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "startTimeUnixNano", "missing or not an integer"),),
    ),
    Case(
        "otel: a span starting in the future is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(otel_span("good-1"), otel_span("bad", startTimeUnixNano=NANOS_2099)),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "startTimeUnixNano", "is in the future"),),
    ),
    Case(
        "otel: a span without spanId is quarantined",
        OTEL,
        (
            json_file(
                "spans.json", otel_document(otel_span("good-1"), otel_span("bad", spanId=ABSENT))
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "spanId", "missing traceId or spanId"),),
    ),
    Case(
        "otel: a span without token counts is quarantined as missing input tokens",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span(
                        "bad",
                        **{
                            "gen_ai.usage.input_tokens": ABSENT,
                            "gen_ai.usage.output_tokens": ABSENT,
                        },
                    ),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("spans.json", 2, "gen_ai.usage.input_tokens", "missing gen_ai.usage.input_tokens"),
        ),
    ),
    Case(
        "otel: a negative cache-read token count is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span("bad", **{"gen_ai.usage.cache_read.input_tokens": -1}),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q(
                "spans.json",
                2,
                "gen_ai.usage.cache_read.input_tokens",
                "not a non-negative integer",
            ),
        ),
    ),
    Case(
        "otel: a span that names no model is quarantined",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span("good-1"),
                    otel_span(
                        "bad", **{"gen_ai.request.model": ABSENT, "gen_ai.response.model": ABSENT}
                    ),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("spans.json", 2, "gen_ai.request.model", "span names no model"),),
    ),
    Case(
        # As for LiteLLM: formula neutralisation belongs to CSV exports; unknown models are
        # flagged unpriced in dbt.
        "otel: formulas, unicode and unknown models in attributes load verbatim",
        OTEL,
        (
            json_file(
                "spans.json",
                otel_document(
                    otel_span(
                        "odd",
                        **{
                            "gen_ai.request.model": "claude-😀-preview",
                            "gen_ai.response.model": ABSENT,
                            "app.feature": '=HYPERLINK("x")',
                            "app.team": "@فريق",
                        },
                    ),
                    service="+service-\u202e",
                ),
            ),
        ),
        loaded=("odd",),
        queries=(
            (
                """select request_model, span_attributes ->> 'app.feature',
                       span_attributes ->> 'app.team', service_name
                from raw.otel_genai_spans""",
                [("claude-😀-preview", '=HYPERLINK("x")', "@فريق", "+service-\u202e")],
            ),
        ),
    ),
    # ---- OpenAI Usage API and Anthropic usage report pages ----------------------------------
    Case(
        "openai usage: cached tokens above input_tokens are quarantined (cached count inside)",
        OPENAI_USAGE,
        (
            bytes_file(
                "completions/page_0001.json",
                usage_openai_page(
                    [
                        usage_openai_result(project_id="good"),
                        usage_openai_result(100, 400, project_id="bad"),
                    ]
                ),
            ),
        ),
        loaded=("good",),
        quarantined=(Q("page_0001.json", 2, "input_cached_tokens", "exceed"),),
    ),
    Case(
        "openai usage: a token count as text or a costs result in a usage page is quarantined",
        OPENAI_USAGE,
        (
            bytes_file(
                "completions/page_0001.json",
                usage_openai_page(
                    [
                        usage_openai_result(project_id="good"),
                        usage_openai_result(project_id="text", output_tokens="12"),
                        usage_openai_result(project_id="cost", object="organization.costs.result"),
                    ]
                ),
            ),
        ),
        loaded=("good",),
        quarantined=(
            Q("page_0001.json", 2, "output_tokens", ""),
            Q("page_0001.json", 3, "object", "not a Usage API result"),
        ),
    ),
    Case(
        "anthropic usage: a negative or missing token count is quarantined naming the field",
        ANTHROPIC_USAGE,
        (
            bytes_file(
                "page_0001.json",
                usage_anthropic_page(
                    [
                        usage_anthropic_result(workspace_id="good"),
                        usage_anthropic_result(-5, workspace_id="negative"),
                        usage_anthropic_result(None, workspace_id="missing"),
                    ]
                ),
            ),
        ),
        loaded=("good",),
        quarantined=(
            Q("page_0001.json", 2, "uncached_input_tokens", ""),
            Q("page_0001.json", 3, "uncached_input_tokens", ""),
        ),
    ),
    Case(
        "anthropic usage: cache_creation that is not an object is quarantined",
        ANTHROPIC_USAGE,
        (
            bytes_file(
                "page_0001.json",
                usage_anthropic_page(
                    [
                        usage_anthropic_result(workspace_id="good"),
                        usage_anthropic_result(workspace_id="bad", cache_creation=[1, 2]),
                    ]
                ),
            ),
        ),
        loaded=("good",),
        quarantined=(Q("page_0001.json", 2, "cache_creation", "not an object"),),
    ),
    # ---- OpenAI Costs API pages -----------------------------------------------------------
    Case(
        "openai: a result without amount is quarantined as field amount",
        OPENAI,
        (
            json_file(
                "page_0001.json",
                openai_page(openai_result("good-1"), openai_result("bad", amount=ABSENT)),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("page_0001.json", 2, "amount", "missing amount"),),
    ),
    Case(
        "openai: a non-numeric or null amount.value is quarantined",
        OPENAI,
        (
            json_file(
                "page_0001.json",
                openai_page(
                    openai_result("good-1"),
                    openai_result("words", amount={"value": "abc", "currency": "usd"}),
                    openai_result("null", amount={"value": None, "currency": "usd"}),
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("page_0001.json", 2, "amount.value", "amount.value is not a number: 'abc'"),
            Q("page_0001.json", 3, "amount.value", "amount.value missing or not a number"),
        ),
    ),
    Case(
        "openai: an absurdly large amount is quarantined, not a crash",
        OPENAI,
        (
            text_file(
                "page_0001.json",
                json.dumps(
                    openai_page(
                        openai_result("good-1"),
                        openai_result("bad", amount={"value": 1e40, "currency": "usd"}),
                    )
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("page_0001.json", 2, "amount.value", "implausibly large"),),
    ),
    Case(
        "openai: a result that is not an object is quarantined, not a crash",
        OPENAI,
        (json_file("page_0001.json", openai_page(openai_result("good-1"), None, "text")),),
        loaded=("good-1",),
        quarantined=(
            Q("page_0001.json", 2, "result", "not a JSON object"),
            Q("page_0001.json", 3, "result", "not a JSON object"),
        ),
    ),
    Case(
        "openai: a bucket start_time that is not a unix timestamp is quarantined",
        OPENAI,
        (
            json_file(
                "page_0001.json",
                openai_page(openai_result("bad"), start_time="2026-07-01T00:00:00Z"),
            ),
            json_file("page_0002.json", openai_page(openai_result("huge"), start_time=10**20)),
        ),
        loaded=(),
        quarantined=(
            Q("page_0001.json", 1, "start_time", "not a unix timestamp"),
            Q("page_0002.json", 1, "start_time", "not a unix timestamp"),
        ),
    ),
    Case(
        # The warehouse reports in the bill's currency; a foreign one is kept for a later check.
        "openai: a cost in another currency loads with its currency",
        OPENAI,
        (
            json_file(
                "page_0001.json",
                openai_page(
                    openai_result("good-1"),
                    openai_result("euro", amount={"value": 0.5, "currency": "eur"}),
                ),
            ),
        ),
        loaded=("euro", "good-1"),
        queries=(
            (
                "select line_item, amount_currency from raw.openai_costs order by 1",
                [("euro", "eur"), ("good-1", "usd")],
            ),
        ),
    ),
    Case(
        "openai: a truncated page is quarantined whole, the other pages load",
        OPENAI,
        (
            text_file("page_0002.json", json.dumps(openai_page(openai_result("lost")))[:60]),
            good_openai(),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(Q("page_0002.json", None, "<file>", "is not a valid JSON page"),),
        recorded=(R("page_0001.json", "loaded", 2, 2, 0), R("page_0002.json", "failed", 1, 0, 1)),
    ),
    Case(
        "openai: an empty file or a JSON document without a data list is quarantined whole",
        OPENAI,
        (
            text_file("page_0002.json", ""),
            json_file("page_0003.json", [openai_result("x")]),
            good_openai(),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(
            Q("page_0002.json", None, "<file>", "is not a valid JSON page"),
            Q("page_0003.json", None, "<file>", "no 'data' list"),
        ),
    ),
    Case(
        "openai: a page with no buckets loads no rows and is recorded",
        OPENAI,
        (json_file("page_0001.json", {"object": "page", "data": [], "has_more": False}),),
        loaded=(),
        recorded=(R("page_0001.json", "loaded", 0, 0, 0),),
    ),
    # ---- Anthropic cost report pages ------------------------------------------------------
    Case(
        "anthropic: an amount sent as a JSON number instead of a string is quarantined",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json",
                anthropic_page(anthropic_result("good-1"), anthropic_result("bad", amount=123.45)),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("page_0001.json", 2, "amount", "not a decimal string in cents"),),
    ),
    Case(
        "anthropic: an amount string that is not a number is quarantined",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json",
                anthropic_page(
                    anthropic_result("good-1"), anthropic_result("bad", amount="12.5 USD")
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("page_0001.json", 2, "amount", "amount is not a number"),),
    ),
    Case(
        "anthropic: a missing currency is quarantined",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json",
                anthropic_page(
                    anthropic_result("good-1"), anthropic_result("bad", currency=ABSENT)
                ),
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("page_0001.json", 2, "currency", "missing currency"),),
    ),
    Case(
        "anthropic: a cost in another currency loads with its currency",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json",
                anthropic_page(
                    anthropic_result("good-1"), anthropic_result("euro", currency="EUR")
                ),
            ),
        ),
        loaded=("euro", "good-1"),
        queries=(
            (
                "select description, currency from raw.anthropic_cost_report order by 1",
                [("euro", "EUR"), ("good-1", "USD")],
            ),
        ),
    ),
    Case(
        "anthropic: a bucket starting_at that is not RFC 3339 is quarantined",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json", anthropic_page(anthropic_result("bad"), starting_at="1st of July")
            ),
        ),
        loaded=(),
        quarantined=(Q("page_0001.json", 1, "starting_at", "not an RFC 3339 timestamp"),),
    ),
    Case(
        "anthropic: formulas and unicode in workspace and model load verbatim",
        ANTHROPIC,
        (
            json_file(
                "page_0001.json",
                anthropic_page(
                    anthropic_result("odd", workspace_id="@wrkspc", model="claude-ünïcode-😀")
                ),
            ),
        ),
        loaded=("odd",),
        queries=(
            (
                "select workspace_id, model from raw.anthropic_cost_report",
                [("@wrkspc", "claude-ünïcode-😀")],
            ),
        ),
    ),
    # ---- FOCUS billing exports (CSV, Parquet) ---------------------------------------------
    Case(
        "focus: a row with a blank BilledCost is quarantined as a missing required value",
        FOCUS,
        (focus_csv("export.csv", focus_charge("good-1"), focus_charge("bad", BilledCost=None)),),
        loaded=("good-1",),
        quarantined=(
            Q("export.csv", 2, "BilledCost", "missing required FOCUS column value BilledCost"),
        ),
    ),
    Case(
        "focus: a non-numeric BilledCost is quarantined",
        FOCUS,
        (
            focus_csv(
                "export.csv", focus_charge("good-1"), focus_charge("bad", BilledCost="1,234.56")
            ),
        ),
        loaded=("good-1",),
        quarantined=(Q("export.csv", 2, "BilledCost", "BilledCost is not a decimal number"),),
    ),
    Case(
        "focus: a non-numeric quantity or unparseable charge period is quarantined",
        FOCUS,
        (
            focus_csv(
                "export.csv",
                focus_charge("good-1"),
                focus_charge("words", ConsumedQuantity="lots"),
                focus_charge("date", ChargePeriodStart="July 1st"),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("export.csv", 2, "ConsumedQuantity", "ConsumedQuantity is not a decimal number"),
            Q("export.csv", 3, "ChargePeriodStart", "ChargePeriodStart is not a timestamp"),
        ),
    ),
    Case(
        "focus: a file without the BillingCurrency column is quarantined whole",
        FOCUS,
        (focus_csv("no_currency.csv", focus_charge("lost", BillingCurrency=ABSENT)),),
        loaded=(),
        quarantined=(Q("no_currency.csv", None, "<file>", "missing column(s) BillingCurrency"),),
        recorded=(R("no_currency.csv", "failed", 1, 0, 1),),
    ),
    Case(
        "focus: a file without BillingCurrency next to a good export is quarantined whole too",
        FOCUS,
        (
            focus_csv("no_currency.csv", focus_charge("lost", BillingCurrency=ABSENT)),
            good_focus_csv(),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(Q("no_currency.csv", None, "<file>", "missing column(s) BillingCurrency"),),
        recorded=(R("good.csv", "loaded", 2, 2, 0), R("no_currency.csv", "failed", 1, 0, 1)),
    ),
    Case(
        "focus: a truncated Parquet file is quarantined whole, the other file in its folder loads",
        FOCUS,
        (
            focus_parquet("part-0.parquet", focus_charge("lost"), keep_bytes=0.5),
            focus_parquet("part-1.parquet", focus_charge("good-1"), focus_charge("good-2")),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(Q("part-0.parquet", None, "<file>", "file could not be read"),),
        recorded=(R("part-0.parquet", "failed", 1, 0, 1), R("part-1.parquet", "loaded", 2, 2, 0)),
    ),
    Case(
        "focus: an empty CSV file is quarantined whole as lacking FOCUS columns",
        FOCUS,
        (text_file("aws/empty.csv", ""), good_focus_csv()),
        loaded=("good-1", "good-2"),
        quarantined=(Q("empty.csv", None, "<file>", "missing column(s) BilledCost"),),
        recorded=(R("empty.csv", "failed", 1, 0, 1), R("good.csv", "loaded", 2, 2, 0)),
    ),
    Case(
        "focus: a header-only CSV loads no rows and is recorded",
        FOCUS,
        (text_file("aws/header.csv", ",".join(focus_charge("x")) + "\n"),),
        loaded=(),
        recorded=(R("header.csv", "loaded", 0, 0, 0),),
    ),
    Case(
        # DuckDB's CSV sniffer reads a file with a ragged line as one column: the file cannot
        # be split into FOCUS columns and is quarantined whole, naming the columns it found.
        "focus: a CSV with a line of extra fields is quarantined whole, naming what was read",
        FOCUS,
        (
            text_file(
                "aws/ragged.csv",
                "BillingAccountId,BillingCurrency,BilledCost\n"
                "999988887777,USD,1.5\n999988887777,USD,2.5,surplus\n",
            ),
            good_focus_csv(),
        ),
        loaded=("good-1", "good-2"),
        quarantined=(Q("ragged.csv", None, "<file>", "(columns found: "),),
    ),
    Case(
        # Credits and refunds are negative charges: they load and net off in the marts.
        "focus: a negative BilledCost (a credit) loads",
        FOCUS,
        (
            focus_csv(
                "export.csv", focus_charge("credit", BilledCost="-12.50", ChargeCategory="Credit")
            ),
        ),
        loaded=("credit",),
        queries=(('select "BilledCost" from raw.focus_billing', [("-12.50",)]),),
    ),
    Case(
        "focus: a charge in a currency the bill does not use loads with its currency",
        FOCUS,
        (
            focus_csv(
                "export.csv", focus_charge("good-1"), focus_charge("euro", BillingCurrency="EUR")
            ),
        ),
        loaded=("euro", "good-1"),
        queries=(
            (
                'select "ChargeDescription", "BillingCurrency" from raw.focus_billing order by 1',
                [("euro", "EUR"), ("good-1", "USD")],
            ),
        ),
    ),
    Case(
        "focus: a charge dated before its billing period loads",
        FOCUS,
        (
            focus_csv(
                "export.csv",
                focus_charge(
                    "early",
                    ChargePeriodStart="2026-06-30T00:00:00Z",
                    ChargePeriodEnd="2026-07-01T00:00:00Z",
                ),
            ),
        ),
        loaded=("early",),
    ),
    Case(
        # dbt maps an untagged charge to the owner 'unassigned'.
        "focus: a charge without Tags loads",
        FOCUS,
        (focus_csv("export.csv", focus_charge("untagged", Tags=None)),),
        loaded=("untagged",),
        queries=(('select "Tags" from raw.focus_billing', [(None,)]),),
    ),
    Case(
        "focus: formulas and unicode in Tags and ResourceName load verbatim from Parquet",
        FOCUS,
        (
            focus_parquet(
                "part-0.parquet",
                focus_charge(
                    "odd", Tags='{"team": "=1+1", "owner": "-ü\u202e😀"}', ResourceName="@SUM(A1)"
                ),
            ),
        ),
        loaded=("odd",),
        queries=(
            (
                'select "Tags", "ResourceName" from raw.focus_billing',
                [('{"team": "=1+1", "owner": "-ü\u202e😀"}', "@SUM(A1)")],
            ),
        ),
    ),
    # ---- Business drivers (CSV) -----------------------------------------------------------
    Case(
        "drivers: a value 'n/a' is quarantined as not a number",
        DRIVERS,
        (drivers_csv("drivers.csv", driver_row("good-1"), driver_row("bad", value="n/a")),),
        loaded=("good-1",),
        quarantined=(Q("drivers.csv", 2, "value", "value is not a number: n/a"),),
    ),
    Case(
        "drivers: an impossible or non-ISO date is quarantined",
        DRIVERS,
        (
            drivers_csv(
                "drivers.csv",
                driver_row("good-1"),
                driver_row("feb", date="2026-02-30"),
                driver_row("us", date="07/01/2026"),
            ),
        ),
        loaded=("good-1",),
        quarantined=(
            Q("drivers.csv", 2, "date", "date missing or not a date"),
            Q("drivers.csv", 3, "date", "date missing or not a date"),
        ),
    ),
    Case(
        "drivers: a row without a driver name is quarantined",
        DRIVERS,
        (drivers_csv("drivers.csv", driver_row("good-1"), driver_row("")),),
        loaded=("good-1",),
        quarantined=(Q("drivers.csv", 2, "driver", "missing required field driver"),),
    ),
    Case(
        "drivers: a file without a value column is quarantined whole, other files load",
        DRIVERS,
        (
            drivers_csv("no_value.csv", driver_row("lost", value=ABSENT)),
            drivers_csv("drivers.csv", driver_row("good-1")),
        ),
        loaded=("good-1",),
        quarantined=(Q("no_value.csv", None, "<file>", "lacks column(s) value"),),
        recorded=(R("drivers.csv", "loaded", 1, 1, 0), R("no_value.csv", "failed", 1, 0, 1)),
    ),
    Case(
        "drivers: formulas and unicode in team and product load verbatim",
        DRIVERS,
        (
            drivers_csv(
                "drivers.csv",
                driver_row("f1", team="=cmd|' /C calc'!A0", product="+x"),
                driver_row("f2", team="@SUM(A1)", product="-ü\u202e😀"),
            ),
        ),
        loaded=("f1", "f2"),
        queries=(
            (
                "select team, product from raw.business_drivers order by driver",
                [("=cmd|' /C calc'!A0", "+x"), ("@SUM(A1)", "-ü\u202e😀")],
            ),
        ),
    ),
    # ---- The load protocol: duplicates, re-runs, corrections ------------------------------
    Case(
        "protocol: a file delivered twice under two names in one run loads once",
        LITELLM,
        (good_litellm("a.jsonl"), good_litellm("b.jsonl")),
        loaded=("good-1", "good-2"),
        recorded=(R("a.jsonl", "loaded", 2, 2, 0), R("b.jsonl", "duplicate", 0, 0, 0)),
    ),
    Case(
        "protocol: a file delivered again under another name in a later run is not reloaded",
        FOCUS,
        (focus_parquet("part-0.parquet", focus_charge("good-1")),),
        rerun=(copy_of("aws/part-0.parquet", "aws/resent/part-0.parquet"),),
        loaded=("good-1",),
        recorded=(
            R("part-0.parquet", "duplicate", 0, 0, 0),
            R("part-0.parquet", "loaded", 1, 1, 0),
        ),
    ),
    Case(
        "protocol: re-running over an unchanged file counts nothing twice",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("good-1"), litellm_record("bad", model=None)),),
        rerun=(),
        loaded=("good-1",),
        quarantined=(Q("spend.jsonl", 2, "model", "missing required field model"),),
        recorded=(R("spend.jsonl", "loaded", 2, 1, 1),),
    ),
    Case(
        "protocol: a corrected file at the same path replaces its rows and its quarantine",
        LITELLM,
        (jsonl("spend.jsonl", litellm_record("v1"), litellm_record("bad", model=None)),),
        rerun=(jsonl("spend.jsonl", litellm_record("v2-a"), litellm_record("v2-b")),),
        loaded=("v2-a", "v2-b"),
        recorded=(R("spend.jsonl", "loaded", 2, 2, 0), R("spend.jsonl", "replaced", 2, 1, 1)),
    ),
    Case(
        "protocol: re-running over a broken file quarantines it once, not once per run",
        OPENAI,
        (text_file("page_0001.json", "{"),),
        rerun=(),
        loaded=(),
        quarantined=(Q("page_0001.json", None, "<file>", "is not a valid JSON page"),),
        recorded=(R("page_0001.json", "failed", 1, 0, 1), R("page_0001.json", "replaced", 1, 0, 1)),
    ),
    Case(
        "protocol: a broken file corrected at the same path replaces its failure",
        FOCUS,
        (focus_parquet("part-0.parquet", focus_charge("lost"), keep_bytes=0.5),),
        rerun=(focus_parquet("part-0.parquet", focus_charge("good-1")),),
        loaded=("good-1",),
        recorded=(R("part-0.parquet", "loaded", 1, 1, 0), R("part-0.parquet", "replaced", 1, 0, 1)),
    ),
    # ---- FX rates (ECB eurofxref CSV) -------------------------------------------------------
    Case(
        "fx: a rate that is not a number is quarantined naming line and currency; N/A is no rate",
        FX,
        (
            text_file(
                "eurofxref-hist.csv",
                "Date,USD,JPY,\n2026-07-20,1.1690,abc,\n2026-07-21,N/A,172.35,\n",
            ),
        ),
        loaded=("USD 2026-07-20", "JPY 2026-07-21"),
        quarantined=(Q("eurofxref-hist.csv", 2, "JPY", "is not a positive number: abc"),),
    ),
    Case(
        "fx: a bad date and a column that is not a currency code are quarantined",
        FX,
        (
            text_file(
                "eurofxref-hist.csv",
                "Date,USD,usd dollars,\n2026-13-01,1.1,,\n2026-07-20,1.2,1.3,\n",
            ),
        ),
        loaded=("USD 2026-07-20",),
        quarantined=(
            Q("eurofxref-hist.csv", 2, "Date", "date is not YYYY-MM-DD"),
            Q("eurofxref-hist.csv", 3, "usd dollars", "not an ISO 4217 currency code"),
        ),
    ),
    Case(
        "fx: a zero or negative rate is quarantined, never used",
        FX,
        (text_file("eurofxref-hist.csv", "Date,USD,\n2026-07-20,0,\n2026-07-21,-1.1,\n"),),
        loaded=(),
        quarantined=(
            Q("eurofxref-hist.csv", 2, "USD", "is not a positive number: 0"),
            Q("eurofxref-hist.csv", 3, "USD", "is not a positive number: -1.1"),
        ),
    ),
    Case(
        "fx: a file not in the ECB layout fails as a whole, naming the first column",
        FX,
        (text_file("rates.csv", "day,currency,rate\n2026-07-20,USD,1.17\n"),),
        loaded=(),
        quarantined=(Q("rates.csv", None, "<file>", "'Date' was expected"),),
        recorded=(R("rates.csv", "failed", 1, 0, 1),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    con, messages = run_extract(case, tmp_path)

    assert loaded_identities(con, case.source) == sorted(case.loaded)

    quarantined = quarantine_rows(con, case.source)
    expected = sorted(case.quarantined, key=lambda q: _order(q.file, q.row, q.field))
    assert [(f, r, fld) for f, r, fld, _ in quarantined] == [
        (q.file, q.row, q.field) for q in expected
    ]
    for (file, row, _, reason), q in zip(quarantined, expected, strict=True):
        assert q.reason in reason, f"{file} row {row}: reason {reason!r} lacks {q.reason!r}"
        # the run's messages name every file that lost rows to the quarantine
        assert file in "\n".join(messages)

    if case.recorded is not None:
        assert recorded_loads(con, case.source) == sorted(case.recorded)
    for sql, rows in case.queries:
        assert con.execute(sql).fetchall() == rows, sql


def test_the_corpus_covers_every_source_with_at_least_30_cases() -> None:
    assert len(CASES) >= 30
    assert {c.source.name for c in CASES} == set(SOURCES_BY_NAME)
    assert len({c.id for c in CASES}) == len(CASES)


# --------------------------------------------------------------------------------------------
# Privacy: prompt and completion text never reach the warehouse, not even via the quarantine.

MARKER = "PROMPT-TEXT-MARKER-7f3a"


def all_text_containing(con: duckdb.DuckDBPyConnection, needle: str) -> list[str]:
    """Every table (any schema) whose rows, as text, contain `needle`."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables"
    ).fetchall()
    found = []
    for schema, name in tables:
        hits = con.execute(
            f'select count(*) from "{schema}"."{name}" as t where t::varchar like ?',
            [f"%{needle}%"],
        ).fetchone()[0]
        if hits:
            found.append(f"{schema}.{name}")
    return found


def test_prompt_and_completion_text_never_reach_the_database(tmp_path: Path) -> None:
    """LiteLLM `messages` / `response` and OTel prompt / completion attributes are dropped
    from loaded rows, from quarantined rows and from excerpts of malformed lines."""
    messages = [{"role": "user", "content": f"secret {MARKER} prompt"}]
    response = {"choices": [{"message": {"content": f"secret {MARKER} completion"}}]}
    control = "CONTROL-MODEL-MARKER"
    lines = [
        litellm_record("good", model=control, messages=messages, response=response),
        litellm_record("bad-tokens", prompt_tokens="abc", messages=messages, response=response),
        # malformed lines, the text early in the line, where a cut-off excerpt would keep it
        json.dumps({"request_id": "m1", "messages": messages})[:-1],
        json.dumps({"response": response, "request_id": "m2"})[:-1],
        '{"request_id": "m3", "messages" : [{"content": "' + MARKER,
    ]
    prompt_attributes = {
        "gen_ai.input.messages": f'[{{"content": "{MARKER}"}}]',
        "gen_ai.output.messages": f'[{{"content": "{MARKER}"}}]',
        "gen_ai.system_instructions": MARKER,
        "gen_ai.prompt.0.content": MARKER,
        "gen_ai.completion.0.content": MARKER,
    }
    spans = otel_document(
        otel_span("span-good", **prompt_attributes),
        otel_span("span-bad", **prompt_attributes, **{"gen_ai.usage.input_tokens": -1}),
    )
    landing = tmp_path / "landing"
    jsonl("spend.jsonl", *lines)(landing / LITELLM.folder)
    json_file("spans.json", spans)(landing / OTEL.folder)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    summaries = [extract(con, LITELLM, landing), extract(con, OTEL, landing)]

    assert [(s.rows_loaded, s.rows_quarantined) for s in summaries] == [(1, 4), (1, 1)]
    assert_balanced(con, LITELLM)
    assert_balanced(con, OTEL)
    assert all_text_containing(con, control) == ["raw.litellm_spend_logs"]  # the scan works
    assert all_text_containing(con, MARKER) == []
    assert MARKER not in "\n".join(m for s in summaries for m in s.messages)
