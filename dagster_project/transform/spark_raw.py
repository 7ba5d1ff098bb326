"""The raw layer as Parquet, for the same dbt project on Spark (README, "Running on Spark").

Every table the DuckDB pipeline loaded into schema `raw` is written with DuckDB's
`COPY ... TO` as Parquet: request logs partitioned by their UTC day (one folder per day,
`request_day=YYYY-MM-DD`), the small bill and reference tables as one file each. The dbt
macro `register_raw_tables` (dbt_models/macros/spark_raw_tables.sql) registers the folders as
Spark tables `raw.<name>`, the names the dbt sources resolve to on the spark target.

Types: DuckDB types that Parquet or Spark do not read the same are cast on the way out (JSON
and UUID as text, HUGEINT as decimal(38, 0), unsigned integers one size up); decimals, dates
and UTC timestamps keep their types.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.db import sql_literal
from dagster_project.extract.landing import quote_ident

RAW_SCHEMA = "raw"
# request logs: partitioned by the UTC day of this timestamp column
DAY_PARTITIONED = {"litellm_spend_logs": "start_time", "otel_genai_spans": "start_time"}
DAY_PARTITION_COLUMN = "request_day"

_CASTS = {
    "JSON": "varchar",
    "UUID": "varchar",
    "HUGEINT": "decimal(38, 0)",
    "UHUGEINT": "decimal(38, 0)",
    "UBIGINT": "decimal(20, 0)",
    "UINTEGER": "bigint",
    "USMALLINT": "integer",
    "UTINYINT": "smallint",
}


@dataclass(frozen=True)
class RawTable:
    name: str
    location: str
    partitioned_by: str | None
    rows: int

    def as_macro_arg(self) -> dict:
        return {"name": self.name, "location": self.location, "partitioned_by": self.partitioned_by}


def raw_table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _select_list(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [RAW_SCHEMA, table],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        cast_to = _CASTS.get(str(data_type).upper())
        column = quote_ident(name)
        parts.append(f"cast({column} as {cast_to}) as {column}" if cast_to else column)
    return ", ".join(parts)


def export_raw_parquet(warehouse: Path, out_dir: Path) -> list[RawTable]:
    """Write every raw table of the DuckDB file `warehouse` under `out_dir` (replaced)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    exported = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for table in raw_table_names(con):
            relation = f"{quote_ident(RAW_SCHEMA)}.{quote_ident(table)}"
            select = f"select {_select_list(con, table)} from {relation}"
            target = out_dir / table
            (rows,) = con.execute(f"select count(*) from {relation}").fetchone()
            # an empty table is one file: Spark reads its columns from it (no day folders)
            day_column = DAY_PARTITIONED.get(table) if rows else None
            if day_column:
                day = f"cast({quote_ident(day_column)} as date)"
                con.execute(
                    f"copy (select *, {day} as {DAY_PARTITION_COLUMN} from ({select}))"
                    f" to {sql_literal(str(target))}"
                    f" (format parquet, partition_by ({DAY_PARTITION_COLUMN}))"
                )
            else:
                target.mkdir()
                data_file = sql_literal(str(target / "data.parquet"))
                con.execute(f"copy ({select}) to {data_file} (format parquet)")
            exported.append(
                RawTable(table, str(target), DAY_PARTITION_COLUMN if day_column else None, rows)
            )
    return exported
