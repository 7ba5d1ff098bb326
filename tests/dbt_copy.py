"""A copy of the dbt project and seeds (same layout as the repository) with a warehouse whose raw
tables exist but are empty: tests edit seeds and insert raw rows there, then run dbt alone."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

from dagster_project import db
from dagster_project.config import DBT_PROJECT_DIR, SEEDS_DIR
from dagster_project.extract.landing import create_raw_tables
from dagster_project.extract.sources import SOURCES
from dagster_project.transform.dbt_project import DBT_EXECUTABLE


class DbtCopy:
    """The dbt project and seeds copied under `root` (same layout as the repository), with an
    empty warehouse: every raw table the pipeline creates, with no rows."""

    def __init__(self, root: Path):
        self.project = root / "dbt_models"
        self.seeds = root / "seeds"
        self.warehouse = root / "warehouse.duckdb"
        shutil.copytree(
            DBT_PROJECT_DIR, self.project, ignore=shutil.ignore_patterns("target", "logs")
        )
        shutil.copytree(SEEDS_DIR, self.seeds)
        with db.connect(self.warehouse) as con:
            for source in SOURCES:
                create_raw_tables(con, source.name, source.table, source.ddl,
                                  bills=source.deliveries is not None)  # fmt: skip

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "AIFINOPS_DUCKDB_PATH": str(self.warehouse)}
        command = [DBT_EXECUTABLE, *args, "--project-dir", str(self.project)]
        command += ["--profiles-dir", str(self.project)]
        return subprocess.run(
            command, cwd=self.project, env=env, capture_output=True, text=True, timeout=600
        )

    def write_seed(self, name: str, rows: list[list[str]]) -> None:
        with open(self.seeds / f"{name}.csv", "w", newline="") as handle:
            csv.writer(handle).writerows(rows)

    def read_seed(self, name: str) -> list[list[str]]:
        with open(self.seeds / f"{name}.csv", newline="") as handle:
            return list(csv.reader(handle))

    def query(self, sql: str) -> list[tuple]:
        with db.connect(self.warehouse, read_only=True) as con:
            return con.execute(sql).fetchall()
