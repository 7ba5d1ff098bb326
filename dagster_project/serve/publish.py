"""Publishing the marts for BI tools: a separate DuckDB file, swapped in atomically.

BI tools never open the pipeline's working file (DuckDB allows one writer, and a reader would
block or be blocked by the next run). After a run's checks pass, the marts and reference
tables are copied into a new file beside the published one, which then replaces it with
`os.replace` (atomic on POSIX; dagster_project.atomic). A reader that has the old file open
keeps reading the old snapshot; the next connection sees the new one. A run killed before the
swap leaves the previous file untouched.

The published file is written in the storage format of DuckDB 1.0 (`STORAGE_VERSION`): the
DuckDB drivers BI tools bundle (Metabase, ODBC, DBeaver, duckdb-engine pins) are often 1.x,
and DuckDB 1.x cannot open a file in 2.0's own format. Every 1.x and 2.x release reads the 1.0
format; what it gives up (newer compression methods) costs file size, not data.
`tests/test_publish.py` opens the file from a separate virtualenv with an older duckdb
(`scripts/setup_old_duckdb.sh`).

`CREATE TABLE AS` drops comments, so the table and column comments dbt wrote into the
warehouse (persist_docs) are applied again in the published file. HUGEINT, which many BI
drivers cannot map, fails the publication naming the column (the marts cast counts to BIGINT).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from dagster_project import db
from dagster_project.atomic import replacing
from dagster_project.db import sql_literal as _literal
from dagster_project.extract.landing import quote_ident

PUBLISHED_NAME = "ai_finops.duckdb"
PUBLISHED_SCHEMAS = ("marts", "reference")
# The oldest storage format DuckDB 1.x reads (1.0 reads storage 64, which this writes).
STORAGE_VERSION = "v1.0.0"
# Types many BI drivers (JDBC, ODBC, Arrow-less clients) cannot map to one of their own.
FORBIDDEN_TYPES = ("HUGEINT", "UHUGEINT")

PUBLICATION_TABLE_COMMENT = "When this file was published and how many rows each table held."
PUBLICATION_COLUMN_COMMENTS = {
    "published_at": "When the file was published (ISO 8601, UTC).",
    "tables": "JSON text: each published schema.table and its row count.",
}


class PublishError(RuntimeError):
    """The warehouse cannot be published as it is; the previous published file is kept."""


def published_path(publish_dir: Path) -> Path:
    return publish_dir / PUBLISHED_NAME


def _name(schema: str, table: str, column: str | None = None) -> str:
    parts = ["published", schema, table] + ([column] if column is not None else [])
    return ".".join(quote_ident(part) for part in parts)


def forbidden_type_columns(con, database: str = "published") -> list[str]:
    """`schema.table.column (TYPE)` of every column whose type is (or nests) a forbidden one."""
    rows = con.execute(
        """select schema_name, table_name, column_name, data_type from duckdb_columns()
           where database_name = ? order by 1, 2, column_index""",
        [database],
    ).fetchall()
    return [
        f"{schema}.{table}.{column} ({data_type})"
        for schema, table, column, data_type in rows
        if any(word in FORBIDDEN_TYPES for word in _type_words(data_type))
    ]


def _type_words(data_type: str) -> list[str]:
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else " " for ch in data_type.upper())
    return cleaned.split()


def _copy_comments(con) -> None:
    tables = con.execute(
        """select schema_name, table_name, comment from duckdb_tables()
           where database_name = 'source' and list_contains(?, schema_name)
             and coalesce(comment, '') <> ''""",
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    for schema, table, comment in tables:
        con.execute(f"comment on table {_name(schema, table)} is {_literal(comment)}")
    columns = con.execute(
        """select schema_name, table_name, column_name, comment from duckdb_columns()
           where database_name = 'source' and list_contains(?, schema_name)
             and coalesce(comment, '') <> ''""",
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    for schema, table, column, comment in columns:
        con.execute(f"comment on column {_name(schema, table, column)} is {_literal(comment)}")


def publish(warehouse_path: Path, publish_dir: Path) -> dict[str, object]:
    publish_dir.mkdir(parents=True, exist_ok=True)
    target = published_path(publish_dir)
    tables: dict[str, int] = {}
    with replacing(target) as (staging,):
        try:
            with db.connect() as con:
                con.execute(
                    f"attach {_literal(str(staging))} as published "
                    f"(storage_version {_literal(STORAGE_VERSION)})"
                )
                con.execute(f"attach {_literal(str(warehouse_path))} as source (read_only)")
                rows = con.execute(
                    """select schema_name, table_name from duckdb_tables()
                       where database_name = 'source' and list_contains(?, schema_name)
                       order by 1, 2""",
                    [list(PUBLISHED_SCHEMAS)],
                ).fetchall()
                for schema, table in rows:
                    con.execute(f"create schema if not exists published.{quote_ident(schema)}")
                    source = ".".join(quote_ident(part) for part in ("source", schema, table))
                    con.execute(f"create table {_name(schema, table)} as select * from {source}")
                    tables[f"{schema}.{table}"] = con.execute(
                        f"select count(*) from {_name(schema, table)}"
                    ).fetchone()[0]
                _copy_comments(con)
                published_at = datetime.now(UTC).isoformat()
                con.execute(
                    f"create table {_name('marts', '_publication')} as "
                    "select cast(? as varchar) as published_at, cast(? as varchar) as tables",
                    [published_at, json.dumps(tables)],
                )
                con.execute(
                    f"comment on table {_name('marts', '_publication')} "
                    f"is {_literal(PUBLICATION_TABLE_COMMENT)}"
                )
                for column, comment in PUBLICATION_COLUMN_COMMENTS.items():
                    con.execute(
                        f"comment on column {_name('marts', '_publication', column)} "
                        f"is {_literal(comment)}"
                    )
                bad = forbidden_type_columns(con)
                if bad:
                    raise PublishError(
                        "BI tools cannot read these column types; cast them in the mart (counts to "
                        "BIGINT) before publishing: " + ", ".join(bad)
                    )
                con.execute("detach source")
                con.execute("checkpoint published")
                con.execute("detach published")
        finally:
            # the staging file's write-ahead log, if a failure left one
            staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return {"path": str(target), "published_at": published_at, "tables": len(tables),
            "rows": sum(tables.values()), "storage_version": STORAGE_VERSION}  # fmt: skip
