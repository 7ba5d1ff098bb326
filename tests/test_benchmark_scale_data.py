"""The benchmark's scale generator writes files the pipeline's own parsers load whole: every
request and every bill line lands in `raw`, none in the quarantine."""

from __future__ import annotations

from pathlib import Path

from benchmarks import yardstick
from benchmarks.scale_data import generate, write_late_file
from dagster_project import db
from dagster_project.extract.sources import SOURCES_BY_NAME, extract

SOURCES = ("litellm_spend_logs", "otel_genai_spans", "openai_costs", "anthropic_cost_report",
           "focus_billing")  # fmt: skip


def _load(landing: Path, warehouse: Path) -> dict[str, int]:
    loaded = {}
    with db.connect(warehouse) as con:
        for name in SOURCES:
            summary = extract(con, SOURCES_BY_NAME[name], landing)
            assert summary.files_seen > 0, name
            assert summary.rows_quarantined == summary.files_failed == 0, summary.messages
            loaded[name] = summary.rows_loaded
        assert con.execute("select count(*) from raw._quarantine").fetchone()[0] == 0
    return loaded


def test_scale_data_loads_with_no_quarantine_row(tmp_path: Path):
    landing = tmp_path / "landing"
    stats = generate(landing, 1000, 2)  # 2 days x 500 requests
    assert stats.requests == 1000
    loaded = _load(landing, tmp_path / "w.duckdb")
    assert loaded["litellm_spend_logs"] + loaded["otel_genai_spans"] == 1000
    assert loaded["litellm_spend_logs"] > 0 and loaded["otel_genai_spans"] > 0
    # token lines for every provider, plus the first-of-month platform fee
    bills = loaded["openai_costs"] + loaded["anthropic_cost_report"] + loaded["focus_billing"]
    assert bills == stats.bill_lines + 1


def test_next_day_and_late_file_add_only_their_rows(tmp_path: Path):
    landing = tmp_path / "landing"
    generate(landing, 1000, 2)
    warehouse = tmp_path / "w.duckdb"
    _load(landing, warehouse)
    generate(landing, 1000, 2, first_day=2, day_count=1)  # day 3 of the history
    write_late_file(landing, 0, 50)
    _load(landing, warehouse)
    with db.connect(warehouse, read_only=True) as con:
        (requests,) = con.execute(
            "select (select count(*) from raw.litellm_spend_logs)"
            " + (select count(*) from raw.otel_genai_spans)"
        ).fetchone()
    assert requests == 1000 + 500 + 50


def test_zstd_logs_load_the_same_rows_and_the_yardstick_reads_them(tmp_path: Path):
    """`--zstd` (the 10M and 100M runs): the same requests, compressed; the pipeline's parsers
    and the yardstick read them to the same rows and the same billed total per team."""
    plain, packed = tmp_path / "plain", tmp_path / "zstd"
    generate(plain, 1000, 2)
    generate(packed, 1000, 2, zstd=True)
    write_late_file(packed, 0, 50, zstd=True)
    write_late_file(plain, 0, 50)
    logs = [*(packed / "litellm").iterdir(), *(packed / "otel").iterdir()]
    assert logs and all(path.name.endswith(".zst") for path in logs)
    assert _load(plain, tmp_path / "plain.duckdb") == _load(packed, tmp_path / "zstd.duckdb")
    by_hand = yardstick.run(plain), yardstick.run(packed)
    assert by_hand[0]["requests"] == by_hand[1]["requests"] == 1050
    assert by_hand[0]["billed_by_team"] == by_hand[1]["billed_by_team"]
