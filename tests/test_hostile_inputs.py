"""Hostile and odd inputs: nothing in a landing file reaches SQL as code, every header a
spreadsheet can write loads or is refused with a message naming the file, a UTF-8 byte order
mark is read in every format, and one request with impossible token parts is quarantined with
its field named instead of failing the run for every source.

Each case writes a tiny landing folder and runs the real extraction for one source on a fresh
DuckDB file (see test_bad_inputs.py for the helpers)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.extract.landing import quote_ident
from dagster_project.extract.sources import Source, extract
from tests.test_bad_inputs import (
    ANTHROPIC,
    DRIVERS,
    FOCUS,
    LITELLM,
    OPENAI,
    OTEL,
    anthropic_page,
    anthropic_result,
    assert_balanced,
    driver_row,
    focus_charge,
    litellm_record,
    loaded_identities,
    openai_page,
    openai_result,
    otel_document,
    otel_span,
    quarantine_rows,
)

BOM = "\ufeff"


def write_csv(path: Path, header: list[str], rows: list[list[str]], bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_table(path: Path, rows: list[dict], extra: dict[str, str], bom: bool = False) -> None:
    """A CSV of `rows` with the `extra` columns (header -> value in every row) appended."""
    header = [*rows[0], *extra]
    write_csv(path, header, [[*r.values(), *extra.values()] for r in rows], bom=bom)


def run(tmp_path: Path, source: Source) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    extract(con, source, tmp_path / "landing")
    assert_balanced(con, source)
    return con


def folder(tmp_path: Path, source: Source) -> Path:
    path = tmp_path / "landing" / source.folder
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------------------------
# quote_ident


@pytest.mark.parametrize(
    "name",
    ['plain', "customer's segment", 'say "hi"', 'x"; drop table t; --', "a;b", "Ünïcødé 团队",
     'x" varchar); COPY (select 1) TO \'/tmp/x\'; --', "L" * 2000],
)  # fmt: skip
def test_quote_ident_makes_any_name_one_identifier(name: str) -> None:
    con = duckdb.connect()
    con.execute(f"create table t ({quote_ident(name)} varchar, other varchar)")
    con.execute(f"insert into t ({quote_ident(name)}) values (?)", ["v"])
    assert [r[0] for r in con.execute("describe t").fetchall()] == [name, "other"]
    assert con.execute(f"select {quote_ident(name)} from t").fetchall() == [("v",)]
    assert [r[0] for r in con.execute("show tables").fetchall()] == ["t"]


def test_quote_ident_refuses_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        quote_ident("a\x00b")


# --------------------------------------------------------------------------------------------
# Hostile headers: the file is quarantined, nothing runs, the other files load


def hostile_headers(tmp_path: Path) -> list[tuple[str, str]]:
    """(header, what it would do if pasted into SQL)"""
    written = tmp_path / "pwned.csv"
    attached = tmp_path / "evil.duckdb"
    return [
        (f"x\"; COPY (select 1) TO '{written}'; --", "copy"),
        (f"x\" varchar; COPY (select 42) TO '{written}'; --", "copy"),
        (f"y\"; ATTACH '{attached}' AS evil; --", "attach"),
        (f"z', 1); ATTACH '{attached}' AS evil; --", "attach"),
        ('quote " inside', "quote"),
        ("semi;colon", "semicolon"),
        ("tab\there", "control"),
        ("new\nline", "control"),
        ("nul\x00byte", "control"),
    ]


def assert_nothing_ran(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assert not (tmp_path / "pwned.csv").exists()
    assert not (tmp_path / "evil.duckdb").exists()
    databases = {
        r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()
    }
    assert "evil" not in databases


HOSTILE_IDS = ["copy", "copy-after-type", "attach", "attach-in-literal", "quote", "semicolon",
               "tab", "newline", "nul"]  # fmt: skip


@pytest.mark.parametrize("index", range(9), ids=HOSTILE_IDS)
@pytest.mark.parametrize("source", [FOCUS, DRIVERS], ids=["focus", "drivers"])
def test_hostile_csv_header_quarantines_the_file_and_runs_nothing(
    source: Source, index: int, tmp_path: Path
) -> None:
    header, _ = hostile_headers(tmp_path)[index]
    base = folder(tmp_path, source)
    if source is FOCUS:
        write_table(base / "aws" / "good.csv", [focus_charge("good-1")], {"x_Team": "a"})
        write_table(base / "aws" / "hostile.csv", [focus_charge("bad-1")], {header: "v"})
    else:
        write_table(base / "good.csv", [driver_row("good-1")], {"region": "emea"})
        write_table(base / "hostile.csv", [driver_row("bad-1")], {header: "v"})

    con = run(tmp_path, source)

    assert_nothing_ran(con, tmp_path)
    assert loaded_identities(con, source) == ["good-1"]  # the other file loads
    [(file, row, field, reason)] = quarantine_rows(con, source)
    assert (file, row, field) == ("hostile.csv", None, "<file>")
    assert "hostile.csv" in reason
    assert repr(header[:120]) in reason  # names the header, escaped: no raw control character
    assert "a column name may not have" in reason
    assert not any(ord(ch) < 32 for ch in reason)


@pytest.mark.parametrize("index", [0, 2, 4, 5], ids=["copy", "attach", "quote", "semicolon"])
def test_hostile_parquet_column_name_quarantines_the_file(index: int, tmp_path: Path) -> None:
    header, _ = hostile_headers(tmp_path)[index]
    row = focus_charge("bad-1") | {header: "v"}
    path = folder(tmp_path, FOCUS) / "aws" / "hostile.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({k: pa.array([v], pa.string()) for k, v in row.items()}), path)

    con = run(tmp_path, FOCUS)

    assert_nothing_ran(con, tmp_path)
    assert loaded_identities(con, FOCUS) == []
    [(file, _, field, reason)] = quarantine_rows(con, FOCUS)
    assert (file, field) == ("hostile.parquet", "<file>")
    assert repr(header) in reason


# --------------------------------------------------------------------------------------------
# Headers a spreadsheet writes: they load, or the file is refused with a clear message

ODD_HEADERS = {
    "customer's segment": "smb",
    "Cost Center (€)": "cc-1",
    "Équipe / 团队": "platform",
    "with  two spaces": "yes",
    "L" * 3000: "long",
    "x_Owner's-Tag.v2": "o",
}


def test_focus_csv_with_odd_headers_keeps_each_column_by_its_exact_name(tmp_path: Path) -> None:
    write_table(folder(tmp_path, FOCUS) / "aws" / "odd.csv", [focus_charge("c-1")], ODD_HEADERS)

    con = run(tmp_path, FOCUS)

    assert loaded_identities(con, FOCUS) == ["c-1"]
    assert quarantine_rows(con, FOCUS) == []
    for header, value in ODD_HEADERS.items():
        stored = con.execute(f"select {quote_ident(header)} from raw.focus_billing").fetchall()
        assert stored == [(value,)], header[:40]


def test_driver_csv_with_odd_headers_keeps_them_as_dimension_names(tmp_path: Path) -> None:
    write_table(folder(tmp_path, DRIVERS) / "odd.csv", [driver_row("d-1")], ODD_HEADERS)

    con = run(tmp_path, DRIVERS)

    assert quarantine_rows(con, DRIVERS) == []
    [(dimensions,)] = con.execute("select dimensions from raw.business_drivers").fetchall()
    assert json.loads(dimensions) == {"product": "helpdesk", "team": "support"} | ODD_HEADERS


def test_a_header_only_driver_csv_with_odd_headers_loads_no_rows(tmp_path: Path) -> None:
    write_csv(folder(tmp_path, DRIVERS) / "empty.csv", ["date", "driver", "value", "it's"], [])

    con = run(tmp_path, DRIVERS)

    assert loaded_identities(con, DRIVERS) == []
    assert quarantine_rows(con, DRIVERS) == []


@pytest.mark.parametrize(
    ("source", "header", "twice"),
    [
        (FOCUS, ["BilledCost", "BilledCost"], "'BilledCost'"),
        (FOCUS, ["x_Team", "X_TEAM"], "'X_TEAM'"),
        (DRIVERS, ["region", "region"], "'region'"),
        (DRIVERS, ["Region", "region"], "'region'"),
    ],
    ids=["focus-same", "focus-case", "drivers-same", "drivers-case"],
)
def test_a_header_given_twice_refuses_the_file_naming_it(
    source: Source, header: list[str], twice: str, tmp_path: Path
) -> None:
    """The reader would rename the second copy: a second BilledCost would vanish silently."""
    row = focus_charge("c-1") if source is FOCUS else driver_row("d-1")
    head = [c for c in row if c not in header] + header
    values = [row.get(c, "1") for c in head]
    base = folder(tmp_path, source) / ("aws" if source is FOCUS else "")
    write_csv(base / "twice.csv", head, [values])

    con = run(tmp_path, source)

    assert loaded_identities(con, source) == []
    [(file, _, field, reason)] = quarantine_rows(con, source)
    assert (file, field) == ("twice.csv", "<file>")
    assert "twice.csv" in reason and twice in reason and "appears twice" in reason


@pytest.mark.parametrize("header", ["source_file", "Row_Hash", "filename"])
def test_a_header_the_loader_uses_refuses_the_file(header: str, tmp_path: Path) -> None:
    write_table(
        folder(tmp_path, FOCUS) / "aws" / "lineage.csv", [focus_charge("c-1")], {header: "x"}
    )

    con = run(tmp_path, FOCUS)

    assert loaded_identities(con, FOCUS) == []
    [(_, _, _, reason)] = quarantine_rows(con, FOCUS)
    assert "lineage.csv" in reason and repr(header) in reason and "lineage" in reason


# --------------------------------------------------------------------------------------------
# A UTF-8 byte order mark, in every format


def test_bom_focus_csv(tmp_path: Path) -> None:
    rows = [focus_charge("c-1"), focus_charge("c-2")]
    write_table(folder(tmp_path, FOCUS) / "aws" / "bom.csv", rows, {}, bom=True)
    assert (folder(tmp_path, FOCUS) / "aws" / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    con = run(tmp_path, FOCUS)

    assert quarantine_rows(con, FOCUS) == []
    # the first header is read without the mark: BillingAccountId, a required column
    assert con.execute('select distinct "BillingAccountId" from raw.focus_billing').fetchall() == [
        (rows[0]["BillingAccountId"],)
    ]
    assert loaded_identities(con, FOCUS) == ["c-1", "c-2"]


def test_bom_driver_csv(tmp_path: Path) -> None:
    write_table(folder(tmp_path, DRIVERS) / "bom.csv", [driver_row("d-1")], {}, bom=True)

    con = run(tmp_path, DRIVERS)

    assert quarantine_rows(con, DRIVERS) == []
    assert con.execute(
        "select driver_date::varchar, driver from raw.business_drivers"
    ).fetchall() == [("2026-07-01", "d-1")]


def test_bom_litellm_jsonl_first_line(tmp_path: Path) -> None:
    lines = [json.dumps(litellm_record(f"r-{i}")) for i in (1, 2)]
    (folder(tmp_path, LITELLM) / "bom.jsonl").write_text(BOM + "\n".join(lines) + "\n", "utf-8")

    con = run(tmp_path, LITELLM)

    assert quarantine_rows(con, LITELLM) == []
    assert loaded_identities(con, LITELLM) == ["r-1", "r-2"]


def test_bom_otlp_json(tmp_path: Path) -> None:
    document = json.dumps(otel_document(otel_span("s-1"), otel_span("s-2")))
    (folder(tmp_path, OTEL) / "bom.json").write_text(BOM + document, "utf-8")

    con = run(tmp_path, OTEL)

    assert quarantine_rows(con, OTEL) == []
    assert loaded_identities(con, OTEL) == ["s-1", "s-2"]


@pytest.mark.parametrize("source", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])
def test_bom_cost_page(source: Source, tmp_path: Path) -> None:
    """A page with a BOM used to be quarantined: the bill lost it and the run published."""
    if source is OPENAI:
        page = openai_page(openai_result("line-1"), openai_result("line-2"))
    else:
        page = anthropic_page(anthropic_result("line-1"), anthropic_result("line-2"))
    (folder(tmp_path, source) / "page_0001.json").write_text(BOM + json.dumps(page), "utf-8")

    con = run(tmp_path, source)

    assert quarantine_rows(con, source) == []
    assert loaded_identities(con, source) == ["line-1", "line-2"]


# --------------------------------------------------------------------------------------------
# One impossible request is quarantined with its field; the rest of the file loads


def usage(**parts: object) -> dict:
    return {"user_api_key_team_alias": "team-a", "usage_object": parts}


def with_ids(cases: list[tuple]) -> list:
    """Parameter sets from (id, *values) tuples."""
    return [pytest.param(*values, id=case_id) for case_id, *values in cases]


def assert_only_line_2_quarantined(
    con: duckdb.DuckDBPyConnection, source: Source, file: str, field: str, reason: str
) -> None:
    """Of the records good-1, bad and edge, only bad (line 2) is quarantined, for `field`."""
    assert loaded_identities(con, source) == ["edge", "good-1"]
    [(got_file, row, got_field, got_reason)] = quarantine_rows(con, source)
    assert (got_file, row, got_field) == (file, 2, field)
    assert reason in got_reason


LITELLM_TOKEN_CASES = [
    ("cache-read-exceeds", usage(cache_read_input_tokens=101), "prompt_tokens",
     "cache read (101) + cache write (0) tokens exceed prompt_tokens (100)"),
    ("cached-details-exceed", usage(prompt_tokens_details={"cached_tokens": 150}),
     "prompt_tokens", "cache read (150) + cache write (0) tokens exceed prompt_tokens (100)"),
    ("read-plus-write-exceed", usage(cache_read_input_tokens=60, cache_creation_input_tokens=41),
     "prompt_tokens", "cache read (60) + cache write (41) tokens exceed prompt_tokens (100)"),
    ("reasoning-exceeds", usage(completion_tokens_details={"reasoning_tokens": 51}),
     "completion_tokens", "reasoning tokens (51) exceed completion_tokens (50)"),
    ("negative-cache-read", usage(cache_read_input_tokens=-1),
     "metadata.usage_object.cache_read_input_tokens", "is not a non-negative integer: -1"),
    ("negative-cache-write", usage(cache_creation_input_tokens=-5),
     "metadata.usage_object.cache_creation_input_tokens", "is not a non-negative integer: -5"),
    ("negative-reasoning", usage(completion_tokens_details={"reasoning_tokens": -2}),
     "metadata.usage_object.completion_tokens_details.reasoning_tokens",
     "is not a non-negative integer: -2"),
    ("fractional-cached", usage(prompt_tokens_details={"cached_tokens": "2.5"}),
     "metadata.usage_object.prompt_tokens_details.cached_tokens",
     "is not a non-negative integer: 2.5"),
]  # fmt: skip


# Token parts exactly equal to the totals: the record loads.
LITELLM_EDGE = usage(cache_read_input_tokens=60, cache_creation_input_tokens=40,
                     completion_tokens_details={"reasoning_tokens": 50})  # fmt: skip


@pytest.mark.parametrize(("metadata", "field", "reason"), with_ids(LITELLM_TOKEN_CASES))
def test_litellm_request_with_impossible_token_parts_is_quarantined(
    metadata: dict, field: str, reason: str, tmp_path: Path
) -> None:
    records = [
        litellm_record("good-1"),
        litellm_record("bad", metadata=metadata),
        litellm_record("edge", metadata=LITELLM_EDGE),
    ]
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (folder(tmp_path, LITELLM) / "spend.jsonl").write_text(lines, "utf-8")

    con = run(tmp_path, LITELLM)

    assert_only_line_2_quarantined(con, LITELLM, "spend.jsonl", field, reason)


OTEL_TOKEN_CASES = [
    ("cache-read-exceeds", {"gen_ai.usage.cache_read.input_tokens": 101},
     "gen_ai.usage.input_tokens",
     "cache read (101) + cache creation (0) tokens exceed gen_ai.usage.input_tokens (100)"),
    ("read-plus-creation-exceed", {"gen_ai.usage.cache_read.input_tokens": 70,
                                   "gen_ai.usage.cache_creation.input_tokens": 31},
     "gen_ai.usage.input_tokens",
     "cache read (70) + cache creation (31) tokens exceed gen_ai.usage.input_tokens (100)"),
    ("reasoning-exceeds", {"gen_ai.usage.reasoning.output_tokens": 51},
     "gen_ai.usage.output_tokens",
     "gen_ai.usage.reasoning.output_tokens (51) exceeds gen_ai.usage.output_tokens (50)"),
    ("negative-cache-creation", {"gen_ai.usage.cache_creation.input_tokens": -3},
     "gen_ai.usage.cache_creation.input_tokens",
     "not a non-negative integer: gen_ai.usage.cache_creation.input_tokens"),
]  # fmt: skip


# The same edge in a span: it loads.
OTEL_EDGE = {"gen_ai.usage.cache_read.input_tokens": 50,
             "gen_ai.usage.cache_creation.input_tokens": 50,
             "gen_ai.usage.reasoning.output_tokens": 50}  # fmt: skip


@pytest.mark.parametrize(("attributes", "field", "reason"), with_ids(OTEL_TOKEN_CASES))
def test_otel_span_with_impossible_token_parts_is_quarantined(
    attributes: dict, field: str, reason: str, tmp_path: Path
) -> None:
    spans = [otel_span("good-1"), otel_span("bad", **attributes), otel_span("edge", **OTEL_EDGE)]
    (folder(tmp_path, OTEL) / "spans.json").write_text(json.dumps(otel_document(*spans)), "utf-8")

    con = run(tmp_path, OTEL)

    assert_only_line_2_quarantined(con, OTEL, "spans.json", field, reason)
