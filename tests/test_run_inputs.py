"""A run with nothing new is skipped, and only then (dagster_project/run_inputs.py): every input
a run reads changes the fingerprint, every output touched since the last run makes the next run
a real one, and the runs that must always run do."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from dagster_project import run_inputs
from dagster_project.run import _must_run
from dagster_project.run_inputs import RunInputs
from tests.conftest import run_pipeline


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunInputs:
    """A landing folder with one file, a code folder standing in for the repository's, outputs."""
    for name in ("landing/litellm", "code", "published", "exports", "seeds"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "landing" / "litellm" / "day1.jsonl").write_text('{"id": 1}\n')
    (tmp_path / "code" / "model.sql").write_text("select 1\n")
    (tmp_path / "seeds" / "org_teams.csv").write_text("team_id\na\n")
    (tmp_path / "warehouse.duckdb").write_bytes(b"warehouse")
    (tmp_path / "published" / "ai_finops.duckdb").write_bytes(b"published")
    monkeypatch.setattr(run_inputs, "CODE_FOLDERS", (tmp_path / "code",))
    return RunInputs(
        tmp_path / "warehouse.duckdb", tmp_path / "published", tmp_path / "exports",
        tmp_path / "landing", tmp_path / "seeds",
    )  # fmt: skip


def _later(path: Path) -> None:
    """Move a file's modification time on, as a later write does even within one clock tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


CHANGES = {
    "a new landing file": lambda root: (root / "landing/litellm/day2.jsonl").write_text("{}\n"),
    "a landing file rewritten": lambda root: _later(root / "landing/litellm/day1.jsonl"),
    "a landing file removed (retracted)": lambda root: (
        root / "landing/litellm/day1.jsonl"
    ).unlink(),
    "a model's code": lambda root: (root / "code/model.sql").write_text("select 2\n"),
    "a new code file": lambda root: (root / "code/macro.sql").write_text("{% macro m() %}"),
    "the company's seeds": lambda root: (root / "seeds/org_teams.csv").write_text("team_id\nb\n"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_input_changes_the_fingerprint(folders: RunInputs, change: str) -> None:
    before = folders.fingerprint()
    assert folders.fingerprint() == before  # nothing changed: the same
    CHANGES[change](folders.landing_dir.parent)
    assert folders.fingerprint() != before


@pytest.mark.parametrize(
    "variable", ["AIFINOPS_REPORTING_CURRENCY", "DBT_TARGET_PATH", "DAGSTER_HOME"]
)
def test_a_setting_changes_the_fingerprint(
    folders: RunInputs, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "one")
    before = folders.fingerprint()
    monkeypatch.setenv(variable, "two")
    assert folders.fingerprint() != before


def test_a_new_utc_day_changes_the_fingerprint(
    folders: RunInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model prices "current" catalog entries from today's date: a new day is a real run."""
    before = folders.fingerprint()

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2099, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(run_inputs, "datetime", Tomorrow)
    assert folders.fingerprint() != before


def test_the_secret_values_are_not_written_down(
    folders: RunInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFINOPS_PSEUDONYM_KEY", "very-secret-key-value")
    folders.record(folders.fingerprint())
    assert "very-secret-key-value" not in folders.record_path.read_text()


OUTPUT_CHANGES = {
    "the warehouse written": lambda root: (root / "warehouse.duckdb").write_bytes(b"other"),
    "the warehouse deleted": lambda root: (root / "warehouse.duckdb").unlink(),
    "the published file deleted": lambda root: (root / "published/ai_finops.duckdb").unlink(),
    "an export added": lambda root: (root / "exports/focus.parquet").write_bytes(b"x"),
}


def test_unchanged_since_the_recorded_run(folders: RunInputs) -> None:
    fingerprint = folders.fingerprint()
    assert folders.unchanged_since(fingerprint) is None  # no run recorded yet
    folders.record(fingerprint)
    assert folders.unchanged_since(folders.fingerprint()) is not None
    folders.forget()  # a run that starts and does not finish leaves no record
    assert folders.unchanged_since(fingerprint) is None


@pytest.mark.parametrize("change", OUTPUT_CHANGES, ids=list(OUTPUT_CHANGES))
def test_an_output_touched_since_the_last_run_makes_a_real_run(
    folders: RunInputs, change: str
) -> None:
    fingerprint = folders.fingerprint()
    folders.record(fingerprint)
    OUTPUT_CHANGES[change](folders.landing_dir.parent)
    assert folders.unchanged_since(fingerprint) is None


def test_a_damaged_record_makes_a_real_run(folders: RunInputs) -> None:
    fingerprint = folders.fingerprint()
    folders.record(fingerprint)
    folders.record_path.write_text("{not json")
    assert folders.unchanged_since(fingerprint) is None


def _args(**flags) -> argparse.Namespace:
    return argparse.Namespace(**{"force": False, "full_refresh": False, "backfill_from": None,
                                 **flags})  # fmt: skip


def test_runs_that_must_always_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIFINOPS_LITELLM_DATABASE_URL", raising=False)
    assert not _must_run(_args())
    assert _must_run(_args(force=True))
    assert _must_run(_args(full_refresh=True))
    assert _must_run(_args(backfill_from="2026-07-01"))
    # a database source: its new rows cannot be seen without reading it
    monkeypatch.setenv("AIFINOPS_LITELLM_DATABASE_URL", "postgresql://u@localhost:1/db")
    assert _must_run(_args())


@pytest.mark.integration
def test_a_second_run_on_the_same_files_runs_nothing_and_says_so(
    built_warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    """The session's warehouse: a second `aifinops-run` on the same folder starts no Dagster
    run, leaves every output as it was and prints the summary."""
    assert built_warehouse.run_exit_code == 0
    outputs = _written(built_warehouse.data_dir)
    instance_dir = built_warehouse.data_dir / ".dagster"
    with dg.instance_for_test(temp_dir=str(instance_dir)) as instance:
        runs_before = len(instance.get_run_records())
    capsys.readouterr()
    assert run_pipeline(built_warehouse.data_dir) == 0
    printed = capsys.readouterr().out
    assert "nothing changed since the run that finished" in printed
    assert "billed total" in printed  # the summary, read from the warehouse
    with dg.instance_for_test(temp_dir=str(instance_dir)) as instance:
        assert len(instance.get_run_records()) == runs_before
    assert _written(built_warehouse.data_dir) == outputs


def _written(data_dir: Path) -> list[tuple[str, int]]:
    """Every file of a run's data folder with its modification time (not Dagster's or logs)."""
    return sorted(
        (str(path), path.stat().st_mtime_ns)
        for path in data_dir.rglob("*")
        if path.is_file() and not {".dagster", "logs"} & set(path.parts)
    )
