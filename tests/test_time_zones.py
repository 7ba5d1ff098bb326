"""One answer in every time zone (issue 8, part 4): the same landing files built by
`aifinops-run` on a machine in Los Angeles and on one in Kolkata publish identical marts.

Each run is a subprocess with its own TZ, so the operating system's local time zone differs
as it would between two machines; the dbt profile and every Python DuckDB connection set the
session time zone to UTC (dagster_project.db)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dagster_project import db
from dagster_project.config import REPO_ROOT
from dagster_project.demo.generator import DemoConfig, generate
from dagster_project.serve.publish import published_path
from tests.conftest import pipeline_env

# Crosses a month boundary: a day or month cut in local time moves rows across it.
TZ_DEMO = DemoConfig(seed=5, start=date(2026, 7, 28), days=6, requests_per_day=60)
TIME_ZONES = ("America/Los_Angeles", "Asia/Kolkata")
# Columns that record when the run happened, not what the data says.
RUN_TIME_COLUMNS = {"loaded_at", "published_at"}


def mart_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every published mart table (rows in a fixed order)."""
    fingerprints: dict[str, tuple[int, str]] = {}
    with db.connect(path, read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' "
            "and not starts_with(table_name, '_') order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'marts' "
                    "and table_name = ? order by column_index",
                    [table],
                ).fetchall()
                if name not in RUN_TIME_COLUMNS
            ]
            select = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            quoted = '"' + table.replace('"', '""') + '"'
            rows = con.execute(f"select {select} from marts.{quoted} order by all").fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            fingerprints[table] = (len(rows), digest)
    return fingerprints


def test_same_files_in_two_time_zones_publish_identical_marts(
    tmp_path_factory: pytest.TempPathFactory,
):
    landing = tmp_path_factory.mktemp("tz_landing") / "landing"
    generate(TZ_DEMO, landing)
    results = {}
    for zone in TIME_ZONES:
        data_dir = tmp_path_factory.mktemp(zone.replace("/", "_"))
        env = {
            **os.environ,
            **pipeline_env(data_dir, one_warehouse_path=True),  # dbt parses once
            # the very same files (lineage columns name the file's path)
            "AIFINOPS_LANDING_DIR": str(landing),
            "TZ": zone,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        run = subprocess.run(
            [sys.executable, "-m", "dagster_project.run"],
            env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert run.returncode == 0, (zone, run.stdout[-4000:], run.stderr[-4000:])
        results[zone] = mart_fingerprints(published_path(data_dir / "published"))

    la, kolkata = (results[zone] for zone in TIME_ZONES)
    assert la, "no mart was published"
    assert la["fct_allocated_costs"][0] > 0 and la["fct_llm_requests"][0] > 0
    differing = sorted(t for t in la.keys() | kolkata.keys() if la.get(t) != kolkata.get(t))
    assert not differing, f"marts differ between {TIME_ZONES}: {differing}"


def test_every_pipeline_connection_is_in_utc(tmp_path: Path):
    """Contract C4: dagster_project.db.connect and the warehouse resource set the session time
    zone whatever the machine's (here Kolkata, in a fresh process): a timestamp late on 31 July
    UTC is still 31 July."""
    script = f"""
from dagster_project import db
from dagster_project.resources import WarehouseResource
resource = WarehouseResource(warehouse_path={str(tmp_path / "w.duckdb")!r}, landing_dir=".")
sql = "select current_setting('TimeZone'), cast(timestamptz '2026-07-31 23:30:00+00' as date)"
with db.connect() as memory, resource.connect() as warehouse:
    for con in (memory, warehouse):
        zone, day = con.execute(sql).fetchone()
        print(zone, day)
"""
    env = {
        **os.environ,
        "TZ": "Asia/Kolkata",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split("\n")[:2] == ["UTC 2026-07-31", "UTC 2026-07-31"]
