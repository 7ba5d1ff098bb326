"""Every DuckDB connection the pipeline opens, in one place: the session time zone is UTC, so a
`timestamptz` cast to a date, truncated to a month or printed gives the same answer on a
machine in any time zone (the dbt profile sets the same through `settings:`); memory, spill
folder and threads come from configuration (config.DuckDBSettings: AIFINOPS_DUCKDB_*), as dbt's.

Insertion order stays preserved here (DuckDB's default): the extract numbers rows in file order
(`row_number() over (partition by filename)`), which relies on it. dbt's set-based models turn
it off (profiles.yml)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.config import DuckDBSettings

TIME_ZONE = "UTC"


def connect(
    path: str | Path | None = None,
    read_only: bool = False,
    settings: DuckDBSettings | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `TimeZone = 'UTC'` and the configured memory limit, temp
    directory and threads (`settings`, default from the environment); no path (or
    ":memory:") is in memory."""
    settings = settings or DuckDBSettings.from_env()
    # DuckDB creates the spill folder when it first spills, but not its parents
    settings.temp_directory.mkdir(parents=True, exist_ok=True)
    database = ":memory:" if path is None else str(path)
    # Given when the database opens, not SET per connection: DuckDB refuses to set
    # temp_directory again once it has spilled there, and a second connection to an open file
    # shares its database (values checked by DuckDBSettings).
    config: dict[str, str | int] = {
        "memory_limit": settings.memory_limit,
        "temp_directory": str(settings.temp_directory),
    }
    if settings.threads is not None:
        config["threads"] = int(settings.threads)
    con = duckdb.connect(database, read_only=read_only, config=config)
    try:
        con.execute(f"set TimeZone = '{TIME_ZONE}'")
    except BaseException:
        con.close()
        raise
    return con


def sql_literal(text: str) -> str:
    """A SQL string literal for a constant of the code or a configured path (never for file
    content: bind that)."""
    return "'" + text.replace("'", "''") + "'"
