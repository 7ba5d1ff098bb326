"""The same dbt project on Spark (README, "Running on Spark").

The comparison itself (dagster_project/transform/spark_compare.py) is tested on relations with
planted differences: one unit of 10^-10 in a money column, a changed text, a row missing, a
null on one side. The `spark` test builds the small demo's warehouse on a local Spark session
and compares every relation with the DuckDB build. Needs Java (scripts/setup_java.sh, run by
`make test`); without it that test skips, except under CI=true, where it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.transform.spark_compare import compare_relation, format_table
from tests.spark_java import java_or_skip

REFERENCE_ROWS = """
    select * from (values
        ('openai', 'team_a', timestamptz '2026-07-20 10:00:00+00', 12::bigint,
         1.2345678901::decimal(38, 10), 0.25::double),
        ('openai', 'team_b', timestamptz '2026-07-20 11:00:00+00', 7::bigint,
         0.0000000001::decimal(38, 10), 0.5::double),
        ('anthropic', 'team_a', timestamptz '2026-07-21 00:00:00+00', 0::bigint,
         100.0000000000::decimal(38, 10), null::double),
        ('anthropic', 'team_a', timestamptz '2026-07-21 00:00:00+00', 0::bigint,
         100.0000000000::decimal(38, 10), null::double)
    ) as t(provider_id, team_id, charged_at, tokens, billed_cost, share)
"""


def _compare(tmp_path: Path, change: str | None):
    """The reference rows in DuckDB against a Parquet copy (as Spark's output is read), with
    `change` (an UPDATE / DELETE over table t) applied to the copy."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create table reference_rows as {REFERENCE_ROWS}")
    con.execute(f"create table t as {REFERENCE_ROWS}")
    if change:
        con.execute(change)
    copy = tmp_path / "copy.parquet"
    con.execute(f"copy t to '{copy}' (format parquet)")
    return compare_relation(con, "marts.example", "reference_rows", f"read_parquet('{copy}')")


def test_identical_relations_compare_equal_in_any_row_order(tmp_path: Path) -> None:
    comparison = _compare(tmp_path, None)
    assert comparison.ok, comparison.status
    assert (comparison.rows_duckdb, comparison.rows_spark) == (4, 4)
    assert comparison.max_money_difference == 0


def test_one_unit_of_ten_to_the_minus_ten_in_money_differs(tmp_path: Path) -> None:
    comparison = _compare(
        tmp_path, "update t set billed_cost = billed_cost + 0.0000000001 where team_id = 'team_b'"
    )
    assert not comparison.ok
    assert comparison.max_money_difference == Decimal("1E-10")
    assert "billed_cost differs" in comparison.status
    assert "DIFFERS" in format_table([comparison])


def test_a_changed_text_a_missing_row_and_a_null_each_differ(tmp_path: Path) -> None:
    renamed = _compare(tmp_path, "update t set team_id = 'team_c' where team_id = 'team_b'")
    assert not renamed.ok and "rows without an equal row" in renamed.status
    missing = _compare(tmp_path, "delete from t where provider_id = 'openai' and tokens = 7")
    assert not missing.ok and "row counts 4 / 3" in missing.status
    nulled = _compare(tmp_path, "update t set tokens = null where team_id = 'team_b'")
    assert not nulled.ok and "tokens: null on one side" in nulled.status
    ratio = _compare(tmp_path, "update t set share = 0.2500001 where team_id = 'team_a'")
    assert not ratio.ok and "share differs" in ratio.status


@pytest.mark.spark
@pytest.mark.integration
def test_spark_build_equals_duckdb_build(tmp_path: Path) -> None:
    """The whole project, as `make spark-compare` runs it: the small demo on DuckDB, raw as
    Parquet, seed + run + test on a local Spark session; every relation equal, every dbt test
    passing on Spark. Its own process, with none of the AIFINOPS_* / DBT_* settings earlier
    tests of this session leave behind (another company's seed folder would build another
    company on Spark)."""
    java_or_skip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIFINOPS_", "DBT_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster_project.transform.spark_compare",
            "--work-dir",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    summary = [line for line in done.stdout.splitlines() if "WARN" not in line][-80:]
    assert done.returncode == 0, "\n".join(summary) + done.stderr[-2000:]
    assert "0 dbt tests failed on spark" in done.stdout
