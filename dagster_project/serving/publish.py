"""Publishing the marts for BI tools: a separate DuckDB file, swapped in atomically.

BI tools never open the pipeline's working file (DuckDB allows one writer, and a reader would
block or be blocked by the next run). After a run's checks pass, the marts and reference
tables are copied into a new file beside the published one, which then replaces it with
`os.replace` (atomic on POSIX). A reader that has the old file open keeps reading the old
snapshot; the next connection sees the new one. A run killed before the swap leaves the
previous file untouched.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dagster_project import db

PUBLISHED_NAME = "ai_finops.duckdb"
PUBLISHED_SCHEMAS = ("marts", "reference")


def published_path(publish_dir: Path) -> Path:
    return publish_dir / PUBLISHED_NAME


def publish(warehouse_path: Path, publish_dir: Path) -> dict[str, object]:
    publish_dir.mkdir(parents=True, exist_ok=True)
    target = published_path(publish_dir)
    staging = publish_dir / f".{PUBLISHED_NAME}.{uuid.uuid4().hex}.tmp"
    tables: dict[str, int] = {}
    try:
        with db.connect(staging) as con:
            con.execute(f"attach '{warehouse_path}' as source (read_only)")
            rows = con.execute(
                """select schema_name, table_name from duckdb_tables()
                   where database_name = 'source' and list_contains(?, schema_name)
                   order by 1, 2""",
                [list(PUBLISHED_SCHEMAS)],
            ).fetchall()
            for schema, table in rows:
                con.execute(f"create schema if not exists {schema}")
                con.execute(
                    f"create table {schema}.{table} as select * from source.{schema}.{table}"
                )
                tables[f"{schema}.{table}"] = con.execute(
                    f"select count(*) from {schema}.{table}"
                ).fetchone()[0]
            published_at = datetime.now(UTC).isoformat()
            con.execute(
                "create table marts._publication as select ? as published_at, ? as tables",
                [published_at, json.dumps(tables)],
            )
            con.execute("detach source")
            con.execute("checkpoint")
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return {"path": str(target), "published_at": published_at, "tables": len(tables),
            "rows": sum(tables.values())}  # fmt: skip
