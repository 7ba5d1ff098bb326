"""The same dbt project on Spark, checked against the DuckDB build (`make spark-compare`;
README, "Running on Spark").

1. DuckDB: a small demo through the real pipeline (or an existing warehouse, --warehouse).
2. The raw layer as Parquet (spark_raw), registered as Spark tables `raw.*`.
3. Spark: `dbt seed`, `dbt run`, `dbt test` on the `spark` target, in this process (one JVM;
   Python models run in its session: spark_session).
4. Every model relation of the DuckDB build (schemas staging, intermediate, marts) read back
   from Spark and compared: same columns, same rows (order-independent), every decimal and
   integer column equal to the 10^-10 unit, every double (ratios) to 1e-9 relative. A relation
   Spark did not build is reported with dbt's status. Prints one line per relation; exits 1
   when any relation differs or is missing, or a dbt test failed on Spark.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.config import DBT_PROJECT_DIR, data_dir_env, environment
from dagster_project.db import sql_literal
from dagster_project.extract.landing import quote_ident
from dagster_project.transform.spark_raw import export_raw_parquet
from dagster_project.transform.spark_session import run_dbt

# Small: crosses a month boundary; the Spark build of it is JVM start-up and per-model
# overhead, not data.
SPARK_DEMO_DAYS = 10
SPARK_DEMO_START = date(2026, 7, 26)
SPARK_DEMO_REQUESTS_PER_DAY = 120
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
MONEY_TOLERANCE = Decimal("1e-10")  # a difference must be below one unit of 10^-10
RATIO_TOLERANCE = 1e-9  # relative, for double columns (ratios of counts)
_EXACT_TYPES = ("DECIMAL", "HUGEINT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass
class Comparison:
    relation: str
    rows_duckdb: int
    rows_spark: int | None = None
    max_money_difference: Decimal | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        return "ok" if self.ok else "DIFFERS: " + "; ".join(self.problems)


def spark_env(work_dir: Path) -> dict[str, str]:
    """The profile's AIFINOPS_SPARK_* variables, pointing into work_dir."""
    return {
        "AIFINOPS_SPARK_WAREHOUSE_DIR": str(work_dir / "spark" / "warehouse"),
        "AIFINOPS_SPARK_METASTORE_DIR": str(work_dir / "spark" / "metastore"),
        # dbt threads share the one local session: Spark runs their queries side by side
        # while dbt spends its own time per node in Python
        "AIFINOPS_SPARK_THREADS": os.environ.get("AIFINOPS_SPARK_THREADS", "4"),
        # a local session: no host name lookup (and no warning about a loopback address)
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }


def build_duckdb_demo(work_dir: Path) -> Path:
    """The small demo through the real pipeline (aifinops-run) into work_dir/duckdb."""
    from dagster_project.demo.generator import DemoConfig, generate
    from dagster_project.run import main as run_pipeline

    data_dir = work_dir / "duckdb"
    generate(
        DemoConfig(
            seed=7,
            start=SPARK_DEMO_START,
            days=SPARK_DEMO_DAYS,
            requests_per_day=SPARK_DEMO_REQUESTS_PER_DAY,
        ),
        data_dir / "landing",
    )
    env = {**data_dir_env(data_dir), "AIFINOPS_PSEUDONYM_KEY": "spark-compare-pseudonym-key"}
    with environment(env):
        code = run_pipeline([])
    # governance checks may warn (exit code 1 with alerts); the warehouse is what matters
    warehouse = data_dir / "warehouse.duckdb"
    if not warehouse.exists():
        raise RuntimeError(f"the DuckDB pipeline built no warehouse (exit code {code})")
    return warehouse


def _dbt(args: list[str], work_dir: Path) -> dict[str, tuple[str, str]]:
    """dbt on the spark target; {node name: (status, first line of its message)}."""
    common = [
        "--target",
        "spark",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "dbt_target"),
    ]
    result = run_dbt([*args, *common])
    if result.exception is not None:
        raise RuntimeError(f"dbt {args[0]} on spark: {result.exception}")
    if args[0] == "run-operation":
        if not result.success:
            raise RuntimeError(f"dbt {' '.join(args[:2])} on spark failed (see its log above)")
        return {}
    statuses = {}
    for node_result in getattr(result.result, "results", None) or []:
        message = str(node_result.message or "").strip().splitlines()
        statuses[node_result.node.name] = (str(node_result.status), message[0] if message else "")
    return statuses


def build_spark(warehouse: Path, work_dir: Path) -> tuple[dict, dict]:
    """Raw as Parquet, registered; dbt seed, run and test on Spark. Returns the run's and the
    tests' statuses by node name."""
    tables = export_raw_parquet(warehouse, work_dir / "raw_parquet")
    print(f"raw layer: {len(tables)} tables as Parquet ({sum(t.rows for t in tables):,} rows)")
    for stale in ("warehouse", "metastore"):
        shutil.rmtree(work_dir / "spark" / stale, ignore_errors=True)
    (work_dir / "spark").mkdir(parents=True, exist_ok=True)
    seeded = _dbt(["seed"], work_dir)
    failed_seeds = {name: s for name, s in seeded.items() if s[0] != "success"}
    if failed_seeds:
        print(f"seeds that failed on Spark: {failed_seeds}")
    args = json.dumps({"tables": [table.as_macro_arg() for table in tables]})
    _dbt(["run-operation", "register_raw_tables", "--args", args], work_dir)
    run = _dbt(["run"], work_dir)
    # the tests of what was built (a relation Spark did not build is reported as missing)
    built = [name for name, (status, _) in {**seeded, **run}.items() if status == "success"]
    tests = _dbt(["test", "--indirect-selection", "cautious", "--select", *built], work_dir)
    return run, tests


def duckdb_relations(warehouse: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({', '.join('?' for _ in COMPARED_SCHEMAS)})"
            " and table_name not like '\\_%' escape '\\'"
            " order by table_schema, table_name",
            list(COMPARED_SCHEMAS),
        ).fetchall()
    return [(schema, name) for schema, name in rows]


def export_spark_relations(relations: list[tuple[str, str]], out_dir: Path) -> set[str]:
    """Each relation Spark has, written as Parquet under out_dir/<schema>.<name>."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    exported = set()
    for schema, name in relations:
        if not spark.catalog.tableExists(f"{schema}.{name}"):
            continue
        spark.table(f"{schema}.{name}").write.mode("overwrite").parquet(
            str(out_dir / f"{schema}.{name}")
        )
        exported.add(f"{schema}.{name}")
    return exported


def _columns(con: duckdb.DuckDBPyConnection, relation_sql: str) -> dict[str, str]:
    described = con.execute(f"describe select * from {relation_sql}").fetchall()
    return {str(row[0]).lower(): str(row[1]).upper() for row in described}


def compare_relation(
    con: duckdb.DuckDBPyConnection, name: str, duckdb_sql: str, spark_sql: str
) -> Comparison:
    """Compare two relations (SQL relation expressions readable by `con`) row for row,
    order-independently: rows are matched on every non-numeric column and, within equal
    keys, by rank of their numeric values."""
    (rows_duckdb,) = con.execute(f"select count(*) from {duckdb_sql}").fetchone()
    (rows_spark,) = con.execute(f"select count(*) from {spark_sql}").fetchone()
    comparison = Comparison(name, rows_duckdb, rows_spark)
    left, right = _columns(con, duckdb_sql), _columns(con, spark_sql)
    if set(left) != set(right):
        only_left, only_right = sorted(set(left) - set(right)), sorted(set(right) - set(left))
        comparison.problems.append(
            f"columns only in duckdb {only_left}, only in spark {only_right}"
        )
    if rows_duckdb != rows_spark:
        comparison.problems.append(f"row counts {rows_duckdb} / {rows_spark}")
    shared = [column for column in left if column in right]
    exact = [c for c in shared if left[c].startswith(_EXACT_TYPES)]
    floats = [c for c in shared if left[c].startswith(_FLOAT_TYPES)]
    keys = [c for c in shared if c not in exact and c not in floats]

    def key_sql(column: str) -> str:
        value = quote_ident(column)
        if "TIMESTAMP" in left[column] or "TIMESTAMP" in right[column]:
            value = f"cast({value} as timestamptz)"
        return f"coalesce(cast({value} as varchar), '\\N') as k_{len(key_list)}"

    key_list: list[str] = []
    for column in keys:
        key_list.append(key_sql(column))
    numeric = exact + floats
    numbered = [f"{quote_ident(c)} as n_{i}" for i, c in enumerate(numeric)]
    order = ", ".join(f"n_{i}" for i in range(len(numeric))) or "1"
    partition = ", ".join(f"k_{i}" for i in range(len(keys))) or "1"
    select = ", ".join(key_list + numbered) or "1 as k_none"

    def side(relation_sql: str) -> str:
        return (
            f"select *, row_number() over (partition by {partition} order by {order}) as rn"
            f" from (select {select} from {relation_sql})"
        )

    join = " and ".join([f"d.k_{i} = s.k_{i}" for i in range(len(keys))] + ["d.rn = s.rn"])
    measures = ["count(*) filter (where d.rn is null or s.rn is null) as unmatched"]
    for i, column in enumerate(numeric):
        if column in exact:
            measures.append(
                f"max(abs(cast(d.n_{i} as decimal(38, 12)) - cast(s.n_{i} as decimal(38, 12))))"
                f" filter (where d.rn is not null and s.rn is not null) as diff_{i}"
            )
            measures.append(
                f"count(*) filter (where (d.n_{i} is null) <> (s.n_{i} is null)) as nulls_{i}"
            )
        else:
            measures.append(
                f"max(abs(d.n_{i} - s.n_{i}) / greatest(abs(d.n_{i}), abs(s.n_{i}), 1e-300))"
                f" filter (where d.rn is not null and s.rn is not null) as diff_{i}"
            )
            measures.append(
                f"count(*) filter (where (d.n_{i} is null) <> (s.n_{i} is null)) as nulls_{i}"
            )
    result = con.execute(
        f"with d as ({side(duckdb_sql)}), s as ({side(spark_sql)})"
        f" select {', '.join(measures)} from d full join s on {join}"
    ).fetchone()
    unmatched, measured = result[0], result[1:]
    if unmatched:
        comparison.problems.append(f"{unmatched} rows without an equal row on the other side")
    money_diffs = []
    for i, column in enumerate(numeric):
        difference, null_mismatches = measured[2 * i], measured[2 * i + 1]
        if null_mismatches:
            comparison.problems.append(f"{column}: null on one side in {null_mismatches} rows")
        if difference is None:
            continue
        if column in exact:
            if left[column].startswith("DECIMAL"):
                money_diffs.append(Decimal(difference))
            if Decimal(difference) >= MONEY_TOLERANCE:
                comparison.problems.append(f"{column} differs by up to {difference}")
        elif difference > RATIO_TOLERANCE:
            comparison.problems.append(f"{column} differs by up to {difference:.3g} (relative)")
    comparison.max_money_difference = max(money_diffs) if money_diffs else None
    return comparison


def compare_builds(
    warehouse: Path,
    spark_dir: Path,
    relations: list[tuple[str, str]],
    exported: set[str],
    run_statuses: dict[str, tuple[str, str]],
) -> list[Comparison]:
    comparisons = []
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach {sql_literal(str(warehouse))} as duck (read_only)")
    for schema, name in relations:
        relation = f"{schema}.{name}"
        duckdb_sql = f"duck.{quote_ident(schema)}.{quote_ident(name)}"
        if relation not in exported:
            (rows,) = con.execute(f"select count(*) from {duckdb_sql}").fetchone()
            status, message = run_statuses.get(name, ("not built", ""))
            comparison = Comparison(relation, rows)
            comparison.problems.append(f"missing on spark (dbt: {status}) {message}"[:160])
            comparisons.append(comparison)
            continue
        files = sql_literal(str(spark_dir / relation / "*.parquet"))
        comparisons.append(compare_relation(con, relation, duckdb_sql, f"read_parquet({files})"))
    con.close()
    return comparisons


def format_table(comparisons: list[Comparison]) -> str:
    width = max([len(c.relation) for c in comparisons] + [8])
    header = f"{'rows duckdb':>11}  {'rows spark':>10}  {'max money diff':>14}  status"
    lines = [f"{'relation':<{width}}  {header}"]
    for c in comparisons:
        spark_rows = "-" if c.rows_spark is None else f"{c.rows_spark:,}"
        diff = "-" if c.max_money_difference is None else f"{c.max_money_difference:.3g}"
        lines.append(
            f"{c.relation:<{width}}  {c.rows_duckdb:>11,}  {spark_rows:>10}  {diff:>14}  {c.status}"
        )
    return "\n".join(lines)


@dataclass
class SparkComparison:
    comparisons: list[Comparison]
    failed_tests: dict[str, tuple[str, str]]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons) and not self.failed_tests


def run_comparison(work_dir: Path, warehouse: Path | None = None) -> SparkComparison:
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if warehouse is None:
        print("DuckDB: the small demo through the pipeline ...")
        warehouse = build_duckdb_demo(work_dir)
    print(f"DuckDB warehouse: {warehouse} ({time.monotonic() - started:.0f}s)")
    with environment(spark_env(work_dir)):
        run, tests = build_spark(warehouse, work_dir)
        print(f"Spark build done ({time.monotonic() - started:.0f}s)")
        # the dbt models only (marts.rpt_alerts, say, is written by a Dagster asset)
        relations = [r for r in duckdb_relations(warehouse) if r[1] in run]
        exported = export_spark_relations(relations, work_dir / "spark_out")
    comparisons = compare_builds(warehouse, work_dir / "spark_out", relations, exported, run)
    failed_tests = {name: s for name, s in tests.items() if s[0] not in ("pass", "success")}
    print(f"compared ({time.monotonic() - started:.0f}s)")
    return SparkComparison(comparisons, failed_tests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, default=Path("data/spark_compare"))
    parser.add_argument(
        "--warehouse", type=Path, help="compare against this DuckDB build (skip the demo run)"
    )
    args = parser.parse_args(argv)
    result = run_comparison(args.work_dir.resolve(), args.warehouse)
    print(format_table(result.comparisons))
    for name, (status, message) in sorted(result.failed_tests.items()):
        print(f"dbt test on spark {status}: {name} {message}"[:200])
    differing = sum(not c.ok for c in result.comparisons)
    print(
        f"{len(result.comparisons) - differing}/{len(result.comparisons)} relations equal,"
        f" {len(result.failed_tests)} dbt tests failed on spark"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
