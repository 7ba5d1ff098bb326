"""Deliveries, revisions and retraction (issue 8, parts 1 and 2): a bill line delivered again is
superseded by the latest delivery, never added; a deleted landing file retracts what it loaded;
every landing file ends in one recorded state; compressed files are read; an unreadable bill
stops publication.

Until staging filters on `superseded_by`, the money in force is checked at the raw layer: the
rows with `superseded_by is null`."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import zstandard

from dagster_project.extract.live_pull import stamp_pull_time
from dagster_project.extract.sources import SOURCES_BY_NAME, extract

OPENAI = SOURCES_BY_NAME["openai_costs"]
ANTHROPIC = SOURCES_BY_NAME["anthropic_cost_report"]
FOCUS = SOURCES_BY_NAME["focus_billing"]
LITELLM = SOURCES_BY_NAME["litellm_spend_logs"]
DAY = 86_400
JULY_1 = int(datetime(2026, 7, 1, tzinfo=UTC).timestamp())


# --- landing files, written the way the vendors write them ---------------------------------


def openai_page(*buckets: tuple[int, list[dict]]) -> bytes:
    """A Costs API page: buckets of (day offset from 1 July, results)."""
    data = [
        {
            "object": "bucket",
            "start_time": JULY_1 + d * DAY,
            "end_time": JULY_1 + (d + 1) * DAY,
            "results": results,
        }
        for d, results in buckets
    ]
    return json.dumps({"object": "page", "data": data, "has_more": False}).encode()


def openai_line(value: str, project: str = "proj_a", line_item: str = "model-x, input") -> dict:
    # amounts as JSON numbers, exactly as written (the parser keeps them as decimals)
    return {
        "object": "organization.costs.result",
        "amount": {"value": float(value), "currency": "usd"},
        "line_item": line_item,
        "project_id": project,
    }


def anthropic_page(*buckets: tuple[int, list[dict]]) -> bytes:
    data = [
        {
            "starting_at": f"2026-07-{d + 1:02d}T00:00:00Z",
            "ending_at": f"2026-07-{d + 2:02d}T00:00:00Z",
            "results": results,
        }
        for d, results in buckets
    ]
    return json.dumps({"data": data, "has_more": False, "next_page": None}).encode()


def anthropic_line(cents: str, context_window: str = "0-200k") -> dict:
    return {
        "amount": cents,
        "currency": "USD",
        "cost_type": "tokens",
        "description": "model-y",
        "model": "model-y",
        "token_type": "uncached_input_tokens",
        "service_tier": "standard",
        "context_window": context_window,
        "workspace_id": "wrk_1",
    }


FOCUS_HEADER = [
    "BillingAccountId",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "BillingCurrency",
    "ChargeDescription",
]


def focus_row(period: str, cost: str, what: str = "GPU hours") -> list[str]:
    start = f"{period}-01T00:00:00Z"
    return [
        "acct-1",
        start,
        "2026-08-01T00:00:00Z",
        start,
        f"{period}-02T00:00:00Z",
        cost,
        "USD",
        what,
    ]


def focus_csv(*rows: list[str]) -> bytes:
    lines = [",".join(FOCUS_HEADER), *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode()


def write(path: Path, body: bytes, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def in_force(con: duckdb.DuckDBPyConnection, table: str, amount: str) -> tuple[int, Decimal]:
    return con.execute(
        f"select count(*), sum({amount}) from {table} where superseded_by is null"
    ).fetchone()


def states(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    rows = con.execute("select source_file, state, reason from raw._landing_files").fetchall()
    assert len(rows) == len({r[0] for r in rows}), "a file has more than one recorded state"
    return {Path(f).name: (state, reason) for f, state, reason in rows}


# --- 1. revisions replace, never add --------------------------------------------------------


def test_openai_line_revised_and_repulled_under_another_name_counts_once(con, landing):
    folder = landing / OPENAI.folder
    write(
        folder / "page_0001.json",
        openai_page((0, [openai_line("10.25")]), (1, [openai_line("3.5")])),
        mtime=1_000,
    )
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (2, Decimal("13.75"))

    # days later the line of 1 July is revised and re-pulled under another name
    later = write(
        folder / "export_after_revision.json", openai_page((0, [openai_line("12.40")])), mtime=2_000
    )
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (2, Decimal("15.90"))
    superseded = con.execute(
        "select amount_value, superseded_by from raw.openai_costs where superseded_by is not null"
    ).fetchall()
    assert superseded == [(Decimal("10.25"), str(later))]  # lineage: the old line stays
    # a page only part of whose lines were superseded stays loaded, and says so
    assert states(con)["page_0001.json"][0] == "unchanged"
    assert "1 of 2 row(s) superseded" in states(con)["page_0001.json"][1]


def test_a_line_differing_in_any_grouping_field_is_another_line(con, landing):
    folder = landing / OPENAI.folder
    write(folder / "a.json", openai_page((0, [openai_line("1", project="proj_a")])), mtime=1_000)
    write(
        folder / "b.json",
        openai_page(
            (0, [openai_line("2", project="proj_b"), openai_line("4", line_item="model-x, output")])
        ),
        mtime=2_000,
    )
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (3, Decimal("7"))


def test_pull_time_in_the_page_decides_before_mtime_and_name(con, landing):
    folder = landing / OPENAI.folder
    pulled = datetime(2026, 8, 2, 6, 0, tzinfo=UTC)
    # the later pull has the earlier name and the older modification time
    write(
        folder / "a_pulled_later.json",
        stamp_pull_time(openai_page((0, [openai_line("7")])), pulled),
        mtime=1_000,
    )
    write(
        folder / "z_pulled_earlier.json",
        stamp_pull_time(openai_page((0, [openai_line("5")])), pulled.replace(hour=1)),
        mtime=9_000,
    )
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (1, Decimal("7"))
    assert states(con)["z_pulled_earlier.json"][0] == "superseded"
    assert "a_pulled_later.json" in states(con)["z_pulled_earlier.json"][1]


def test_anthropic_overlapping_windows_count_the_overlap_once(con, landing):
    folder = landing / ANTHROPIC.folder
    two_windows = [anthropic_line("100", "0-200k"), anthropic_line("250", "200k-1M")]
    # pull 1: 1-2 July; pull 2: 2-3 July, with 2 July revised; on 2 July two lines that
    # differ only in context_window
    write(
        folder / "pull_07-01_07-03.json",
        anthropic_page((0, [anthropic_line("40")]), (1, two_windows)),
        mtime=1_000,
    )
    write(
        folder / "pull_07-02_07-04.json",
        anthropic_page(
            (1, [anthropic_line("110", "0-200k"), anthropic_line("250", "200k-1M")]),
            (2, [anthropic_line("60")]),
        ),
        mtime=2_000,
    )
    extract(con, ANTHROPIC, landing)
    # 40 (1 July) + 110 + 250 (2 July, both context windows, once) + 60 (3 July)
    assert in_force(con, ANTHROPIC.table, "amount_cents") == (4, Decimal("460"))
    windows = con.execute(
        """select context_window, amount_cents from raw.anthropic_cost_report
           where superseded_by is null and bucket_starting_at = '2026-07-02T00:00:00Z'
           order by 1"""
    ).fetchall()
    assert windows == [("0-200k", Decimal("110")), ("200k-1M", Decimal("250"))]


def test_focus_period_restated_in_a_newer_delivery_folder_replaces_it(con, landing):
    period = landing / FOCUS.folder / "aws" / "data" / "BILLING_PERIOD=2026-07"
    write(
        period / "run-1" / "part-0.csv",
        focus_csv(focus_row("2026-07", "100.00"), focus_row("2026-06", "7.00")),
        mtime=1_000,
    )
    extract(con, FOCUS, landing)
    # the re-statement: two part files in one folder (they add up)
    write(period / "run-2" / "part-0.csv", focus_csv(focus_row("2026-07", "60.00")), mtime=2_000)
    write(period / "run-2" / "part-1.csv", focus_csv(focus_row("2026-07", "45.50")), mtime=2_100)
    extract(con, FOCUS, landing)
    cost = 'cast("BilledCost" as decimal(38, 10))'
    # July: 60 + 45.50 from run-2; June (not re-stated) stays from run-1
    assert in_force(con, FOCUS.table, cost) == (3, Decimal("112.50"))
    stale = con.execute(
        'select "BilledCost", superseded_by from raw.focus_billing where superseded_by is not null'
    ).fetchall()
    assert stale == [("100.00", str(period / "run-2"))]
    # the delivery's time is the newest of its files
    times = con.execute(
        "select distinct delivery_id, epoch(delivered_at) from raw.focus_billing order by 1"
    ).fetchall()
    assert times == [(str(period / "run-1"), 1_000), (str(period / "run-2"), 2_100)]


def test_identical_rows_in_one_focus_file_are_two_charges(con, landing):
    row = focus_row("2026-07", "12.34")
    write(landing / FOCUS.folder / "azure" / "july.csv", focus_csv(row, row))
    extract(con, FOCUS, landing)
    assert in_force(con, FOCUS.table, 'cast("BilledCost" as decimal(38, 10))') == (
        2,
        Decimal("24.68"),
    )


def test_a_table_from_before_bill_keys_is_upgraded_and_reloaded(con, landing):
    write(landing / OPENAI.folder / "p.json", openai_page((0, [openai_line("2.5")])))
    extract(con, OPENAI, landing)
    for column in ("bill_key", "delivery_id", "delivered_at", "superseded_by"):
        con.execute(f"alter table raw.openai_costs drop column {column}")
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (1, Decimal("2.5"))
    assert (
        con.execute("select count(*) from raw.openai_costs where bill_key is null").fetchone()[0]
        == 0
    )


# --- retraction -----------------------------------------------------------------------------


def test_deleting_a_file_retracts_what_it_loaded(con, landing):
    folder = landing / OPENAI.folder
    old = write(folder / "old.json", openai_page((0, [openai_line("10")])), mtime=1_000)
    new = write(
        folder / "new.json",
        openai_page((0, [openai_line("12")]), (1, [{"amount": "bad"}])),
        mtime=2_000,
    )
    extract(con, OPENAI, landing)
    assert in_force(con, OPENAI.table, "amount_value") == (1, Decimal("12"))
    assert con.execute("select count(*) from raw._quarantine").fetchone()[0] == 1

    new.unlink()
    extract(con, OPENAI, landing)
    # its rows and its quarantine row are gone; the line it had superseded is in force again
    assert in_force(con, OPENAI.table, "amount_value") == (1, Decimal("10"))
    assert con.execute("select count(*) from raw._quarantine").fetchone()[0] == 0
    assert con.execute(
        "select status from raw._load_files where source_file = ?", [str(new)]
    ).fetchall() == [("retracted",)]
    assert states(con) == {
        "old.json": ("unchanged", None),
        "new.json": ("retracted", "no longer in the landing folder: retracted, 1 row(s) removed"),
    }
    extract(con, OPENAI, landing)  # the retraction stays on record
    assert states(con)["new.json"][0] == "retracted"
    files = con.execute("select source_file from raw.openai_costs").fetchall()
    assert files == [(str(old),)]


def test_a_duplicate_of_a_deleted_file_loads_in_its_place(con, landing):
    folder = landing / LITELLM.folder
    line = json.dumps(
        {
            "request_id": "r-1",
            "startTime": "2026-07-01T10:00:00Z",
            "model": "model-x",
            "prompt_tokens": 10,
            "completion_tokens": 2,
        }
    )
    first = write(folder / "a.jsonl", (line + "\n").encode())
    second = write(folder / "b.jsonl", (line + "\n").encode())
    extract(con, LITELLM, landing)
    assert states(con)["b.jsonl"] == ("duplicate", f"same content as {first}; not loaded")
    first.unlink()
    extract(con, LITELLM, landing)
    assert con.execute("select source_file from raw.litellm_spend_logs").fetchall() == [
        (str(second),)
    ]
    assert states(con)["b.jsonl"][0] == "loaded"
    assert states(con)["a.jsonl"][0] == "retracted"


# --- 2. every file ends in one recorded state; compressed files are read ---------------------


def test_gzip_and_zstd_files_are_read_with_the_original_as_lineage(con, landing):
    line = json.dumps(
        {
            "request_id": "r-gz",
            "startTime": "2026-07-01T10:00:00Z",
            "model": "model-x",
            "prompt_tokens": 10,
            "completion_tokens": 2,
        }
    )
    logs = write(landing / LITELLM.folder / "spend.jsonl.gz", gzip.compress((line + "\n").encode()))
    focus = write(
        landing / FOCUS.folder / "gcp" / "july.csv.gz",
        gzip.compress(focus_csv(focus_row("2026-07", "3.21"))),
    )
    page = write(
        landing / OPENAI.folder / "page.json.zst",
        zstandard.ZstdCompressor().compress(openai_page((0, [openai_line("0.75")]))),
    )
    for source in (LITELLM, FOCUS, OPENAI):
        extract(con, source, landing)
    assert con.execute("select source_file from raw.litellm_spend_logs").fetchall() == [
        (str(logs),)
    ]
    assert con.execute(
        'select source_file, export_name, "BilledCost" from raw.focus_billing'
    ).fetchall() == [(str(focus), "gcp", "3.21")]
    assert con.execute("select source_file, amount_value from raw.openai_costs").fetchall() == [
        (str(page), Decimal("0.75"))
    ]
    assert {name: s for name, (s, _) in states(con).items()} == {
        "spend.jsonl.gz": "loaded",
        "july.csv.gz": "loaded",
        "page.json.zst": "loaded",
    }


def test_a_corrupt_compressed_bill_fails_with_the_reason(con, landing):
    write(landing / OPENAI.folder / "page.json.gz", gzip.compress(b'{"data": []}')[:-6])
    extract(con, OPENAI, landing)
    state, reason = states(con)["page.json.gz"]
    assert state == "failed" and "cannot be decompressed" in reason


def test_every_landing_file_gets_exactly_one_state(con, landing):
    write(landing / OPENAI.folder / "page.json", openai_page((0, [openai_line("1")])))
    write(landing / OPENAI.folder / "page.json.bak", b"old")
    write(landing / OPENAI.folder / "_notes.json", b"{}")
    write(landing / FOCUS.folder / "aws" / "manifest.yaml", b"x: 1")
    write(landing / "mistral" / "usage" / "usage.json", b"{}")  # a vendor no source reads
    write(landing / "README.txt", b"hello")
    for source in SOURCES_BY_NAME.values():
        extract(con, source, landing)
    recorded = con.execute("select source_file, source, state, reason from raw._landing_files")
    by_name = {
        Path(f).name: (source, state, reason) for f, source, state, reason in recorded.fetchall()
    }
    on_disk = sorted(p.name for p in landing.rglob("*") if p.is_file())
    assert sorted(by_name) == on_disk
    assert by_name["page.json"][:2] == ("openai_costs", "loaded")
    assert by_name["page.json.bak"][:2] == ("openai_costs", "not_read")
    assert "unknown file type" in by_name["page.json.bak"][2]
    assert by_name["_notes.json"] == (
        "openai_costs",
        "not_read",
        "not data (name starts with _ or .)",
    )
    assert by_name["manifest.yaml"][:2] == ("focus_billing", "not_read")
    assert by_name["usage.json"][:2] == (None, "not_read")
    assert "no source reads this folder" in by_name["usage.json"][2]
    assert by_name["README.txt"][:2] == (None, "not_read")


# --- an unreadable bill stops publication (one whole-pipeline run) --------------------------


@pytest.mark.integration
def test_an_unreadable_bill_file_fails_the_check_and_blocks_publication(tmp_path, capsys):
    from dagster_project.demo.generator import DemoConfig, generate
    from tests.conftest import run_pipeline

    landing = tmp_path / "landing"
    generate(DemoConfig(seed=3, start=date(2026, 7, 20), days=6, requests_per_day=60), landing)
    broken = write(
        landing / "focus" / "aws" / "billing_period=2026-07" / "focus-00002.snappy.parquet",
        b"PAR1 truncated",
    )
    assert run_pipeline(tmp_path) != 0
    out = capsys.readouterr().out
    assert "FAILED CHECK raw_focus_billing: every_bill_file_read" in out
    assert str(broken) in out
    assert not (tmp_path / "published").exists() or not any((tmp_path / "published").iterdir())


def test_summary_sets_the_bills_in_force_beside_the_marts(con, landing):
    from dagster_project.serve.summary import billed_per_source

    folder = landing / OPENAI.folder
    write(folder / "a.json", openai_page((0, [openai_line("10.25")])), mtime=1_000)
    later = write(folder / "b.json", openai_page((0, [openai_line("12.40")])), mtime=2_000)
    for source in (OPENAI, ANTHROPIC, FOCUS):
        extract(con, source, landing)
    con.execute("create schema marts")
    con.execute(
        """create table marts.fct_allocated_costs
           (billing_currency varchar, billed_cost decimal(38, 10), source_file varchar)"""
    )
    # the marts hold half of the revised line twice (two owners) and the superseded line once
    con.execute(
        "insert into marts.fct_allocated_costs values ('USD', 6.20, ?), ('USD', 6.20, ?)",
        [str(later), str(later)],
    )
    assert billed_per_source(con) == [("openai_costs", "USD", Decimal("12.40"), Decimal("12.40"))]
    con.execute(
        "insert into marts.fct_allocated_costs values ('USD', 10.25, ?)", [str(folder / "a.json")]
    )
    assert billed_per_source(con) == [("openai_costs", "USD", Decimal("12.40"), Decimal("22.65"))]
