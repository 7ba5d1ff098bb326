"""Throughput of the pipeline's stages at a chosen scale; prints figures, asserts nothing.

    .venv/bin/python benchmarks/run_benchmarks.py --days 30 --requests-per-day 20000

Stages are timed one by one, in the order the Dagster job runs them: demo generation,
extraction per source (bulk DuckDB parsing), `dbt build` (models and tests), publishing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.demo.generator import DemoConfig, generate
from dagster_project.extract.sources import SOURCES, extract
from dagster_project.serve.publish import publish


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests-per-day", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="aifinops-bench-"))
    landing, warehouse = work / "landing", work / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    rows: list[tuple[str, float, str]] = []

    began = time.perf_counter()
    truth = generate(DemoConfig(start=date(2026, 7, 1), days=args.days,
                                requests_per_day=args.requests_per_day), landing)  # fmt: skip
    rows.append(
        ("generate demo data", time.perf_counter() - began, f"{truth['requests']:,} requests")
    )
    size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6

    with duckdb.connect(str(warehouse)) as con:
        for source in SOURCES:
            began = time.perf_counter()
            summary = extract(con, source, landing)
            elapsed = time.perf_counter() - began
            rate = summary.rows_read / elapsed if elapsed else 0
            rows.append((f"extract {source.name}", elapsed,
                         f"{summary.rows_loaded:,} rows, {rate:,.0f} rows/s"))  # fmt: skip
        began = time.perf_counter()
        again = sum(extract(con, s, landing).files_skipped_unchanged for s in SOURCES)
        rows.append(("re-extract unchanged files", time.perf_counter() - began,
                     f"{again} files skipped"))  # fmt: skip

    env = {**os.environ, "AIFINOPS_DUCKDB_PATH": str(warehouse)}
    dbt = str(Path(sys.executable).parent / "dbt")
    began = time.perf_counter()
    command = [dbt, "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path",
               str(work / "target"), "--quiet"]  # fmt: skip
    result = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    rows.append(("dbt build (models + tests)", time.perf_counter() - began,
                 "ok" if result.returncode == 0 else "FAILED"))  # fmt: skip
    if result.returncode != 0:
        print(result.stdout[-3000:])

    began = time.perf_counter()
    published = publish(warehouse, work / "published")
    elapsed = time.perf_counter() - began
    rows.append(("publish marts", elapsed, f"{published['rows']:,} rows"))

    total = sum(seconds for _, seconds, _ in rows)
    warehouse_mb = warehouse.stat().st_size / 1e6
    print(f"\nscale: {args.days} days x ~{args.requests_per_day:,} requests/day, "
          f"landing {size_mb:,.0f} MB, warehouse {warehouse_mb:,.0f} MB")  # fmt: skip
    print(f"{'stage':<36}{'seconds':>10}  detail")
    for name, seconds, detail in rows:
        print(f"{name:<36}{seconds:>10.1f}  {detail}")
    print(f"{'total':<36}{total:>10.1f}  {truth['requests'] / total:,.0f} requests/s end to end")
    if not args.keep:
        shutil.rmtree(work)
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
