"""Nothing lost, nothing double-counted: re-runs, late files, a killed run and a BI reader
holding the published file open during a refresh."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.demo.generator import DemoConfig, generate
from dagster_project.serve.publish import published_path
from tests.conftest import pipeline_env, run_pipeline

pytestmark = pytest.mark.integration

SMALL = DemoConfig(seed=11, start=date(2026, 7, 12), days=24, requests_per_day=120)
LATE_DAY = "2026-07-28"
MART_TABLES = (
    "fct_allocated_costs",
    "fct_llm_requests",
    "rpt_allocation_reconciliation",
    "rpt_cost_per_outcome_monthly",
    "rpt_unpriced_models",
)


def table_digest(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> str:
    """Order-independent content hash of a table (or of the rows matching `where`)."""
    return con.execute(
        f"""select coalesce(md5(string_agg(h, '' order by h)), 'empty')
            from (select md5(cast(t as varchar)) as h from {table} as t where {where})"""
    ).fetchone()[0]


def mart_digests(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: table_digest(con, f"marts.{name}") for name in MART_TABLES}


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo whose litellm file for LATE_DAY is held back (it arrives a week late)."""
    data_dir = tmp_path_factory.mktemp("resilience")
    generate(SMALL, data_dir / "landing")
    late = data_dir / "landing" / "litellm" / f"spend_logs_{LATE_DAY}.jsonl"
    shutil.move(late, data_dir / "held_back.jsonl")
    assert run_pipeline(data_dir) == 0
    return data_dir


READER = """
import os, sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)   # held open across the refresh
errors, reads = 0, 0
while not os.path.exists(stop):  # until the refresh has finished
    try:
        con.execute("select count(*), sum(billed_cost) from marts.fct_allocated_costs").fetchone()
        fresh = duckdb.connect(path, read_only=True)  # a new BI connection mid-refresh
        fresh.execute("select count(*) from marts.fct_llm_requests").fetchone()
        fresh.close()
        reads += 1
    except Exception as error:
        errors += 1
        print("ERROR", error, flush=True)
    time.sleep(0.05)
print(f"reads={reads} errors={errors}", flush=True)
"""


@dataclass(frozen=True)
class Rerun:
    before: dict[str, str]  # the marts' digests after the first run
    warehouse: dict[str, str]  # ... after the rerun, in the warehouse
    published: dict[str, str]  # ... and in the published file
    reader_output: str  # what a BI reader holding the published file open saw meanwhile


@pytest.fixture(scope="module")
def rerun(pipeline_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    """A second run on the same files, with a BI reader holding the published file open (and
    opening it anew) from before the run until after it: one run serves both tests."""
    warehouse, published = (
        pipeline_dir / "warehouse.duckdb",
        published_path(pipeline_dir / "published"),
    )
    before = mart_digests(warehouse)
    stop = tmp_path_factory.mktemp("reader") / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # nothing changed: --force, so it rebuilds and re-publishes meanwhile
        assert run_pipeline(pipeline_dir, args=("--force",)) == 0
        stop.touch()
        output, _ = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    return Rerun(before, mart_digests(warehouse), mart_digests(published), output)


def test_rerun_on_the_same_files_leaves_every_mart_identical(rerun: Rerun):
    assert rerun.warehouse == rerun.before
    assert rerun.published == rerun.before


def test_a_late_file_changes_only_the_periods_it_covers(pipeline_dir: Path):
    warehouse = pipeline_dir / "warehouse.duckdb"
    others = f"charge_date <> date '{LATE_DAY}'"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        other_days = table_digest(con, "marts.fct_allocated_costs", others)
        late_day = table_digest(con, "marts.fct_allocated_costs", f"not ({others})")
        unallocated_before = con.execute(
            f"""select sum(billed_cost) from marts.fct_allocated_costs
                where is_unallocated and charge_date = date '{LATE_DAY}'"""
        ).fetchone()[0]
    shutil.copyfile(
        pipeline_dir / "held_back.jsonl",
        pipeline_dir / "landing" / "litellm" / f"spend_logs_{LATE_DAY}.jsonl",
    )
    assert run_pipeline(pipeline_dir) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert table_digest(con, "marts.fct_allocated_costs", others) == other_days
        assert table_digest(con, "marts.fct_allocated_costs", f"not ({others})") != late_day
        unallocated_after = con.execute(
            f"""select coalesce(sum(billed_cost), 0) from marts.fct_allocated_costs
                where is_unallocated and charge_date = date '{LATE_DAY}'"""
        ).fetchone()[0]
        loaded = con.execute(
            """select count(*) from raw._load_files
               where source_file like ? and status = 'loaded'""",
            [f"%litellm/spend_logs_{LATE_DAY}.jsonl"],  # not litellm/cloud_ai/spend_logs_...
        ).fetchone()[0]
    # the day's gateway bills found their logs: less (here: none) sits unallocated
    assert unallocated_after < unallocated_before
    assert loaded == 1


def _start_pipeline(data_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, **pipeline_env(data_dir, one_warehouse_path=True)}
    return subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run"],
        env=env,
        stdout=open(log, "w"),  # the child process owns the handle
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: dbt dies with it
    )


def _wait_for(log: Path, text: str, process: subprocess.Popen, timeout: float) -> None:
    """Wait until `text` is in the run's full log (its path is the `log:` line on stdout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stdout = log.read_text(errors="replace")
        full_logs = [Path(line.split(":", 1)[1].strip()) for line in stdout.splitlines()
                     if line.startswith("log:")]  # fmt: skip
        if full_logs and full_logs[0].exists() and text in full_logs[0].read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"pipeline exited before '{text}':\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"'{text}' not seen within {timeout}s")


def test_a_run_killed_during_dbt_build_leaves_the_published_data_intact(
    pipeline_dir: Path, tmp_path: Path
):
    data_dir = tmp_path / "killed"
    shutil.copytree(pipeline_dir, data_dir, ignore=shutil.ignore_patterns(".dagster"))
    published = published_path(data_dir / "published")
    before = mart_digests(published)
    # new data, so the run has work to do (and a reason to publish) when it is killed
    (data_dir / "landing" / "business" / "drivers_extra.csv").write_text(
        "date,driver,product,team,value,unit\n2026-07-30,revenue,helpdesk,partner_channel,1.00,USD\n"
    )
    log = tmp_path / "run.log"
    process = _start_pipeline(data_dir, log)
    try:
        _wait_for(log, "Running dbt command", process, timeout=240)
        time.sleep(1.5)  # mid-build
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert mart_digests(published) == before  # still readable, still the previous snapshot
    # the working file recovers and the next run completes and publishes the new data
    assert run_pipeline(data_dir) == 0
    with duckdb.connect(str(published), read_only=True) as con:
        revenue = con.execute(
            """select sum(driver_value) from marts.rpt_cost_per_outcome_monthly
               where product = 'helpdesk' and driver = 'revenue'
               and month_start = date '2026-07-01'"""
        ).fetchone()[0]
    with duckdb.connect(str(pipeline_dir / "published" / "ai_finops.duckdb"), read_only=True) as c:
        old_revenue = c.execute(
            """select sum(driver_value) from marts.rpt_cost_per_outcome_monthly
               where product = 'helpdesk' and driver = 'revenue'
               and month_start = date '2026-07-01'"""
        ).fetchone()[0]
    assert revenue == old_revenue + 1


def test_a_reader_holding_the_published_file_open_gets_no_lock_error(rerun: Rerun):
    output = rerun.reader_output
    assert "errors=0" in output, output[-2000:]
    reads = int(output.split("reads=")[1].split()[0])
    assert reads > 10
