"""Every DuckDB connection the pipeline opens, in one place: the session time zone is UTC, so a
`timestamptz` cast to a date, truncated to a month or printed gives the same answer on a
machine in any time zone (the dbt profile sets the same through `settings:`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

TIME_ZONE = "UTC"


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `TimeZone = 'UTC'`; no path (or ":memory:") is in memory."""
    database = ":memory:" if path is None else str(path)
    con = duckdb.connect(database, read_only=read_only)
    try:
        con.execute(f"set TimeZone = '{TIME_ZONE}'")
    except BaseException:
        con.close()
        raise
    return con
