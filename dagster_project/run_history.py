"""Dagster's run history (DAGSTER_HOME's SQLite files) written without an fsync per event.

Dagster stores every event of a run (a step starting, each asset and each of the ~400 asset
checks planned, then materialised and evaluated) in its own SQLite transaction on a new
connection; with SQLite's default `synchronous=FULL` each one waits for the disk. Measured on
the demo (2 cores, shared disk): 20-33 s before the first step starts, as much again during the
run, against 4.5 s with `synchronous=OFF`. OFF is safe when the process crashes or is killed
(SQLite's journal still makes each transaction atomic); only an operating-system crash or a
power cut in the middle of a write can damage the history file. It is run history, not data:
the warehouse (DuckDB) is untouched. AIFINOPS_RUN_HISTORY_FSYNC=on keeps Dagster's default."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FSYNC_VAR = "AIFINOPS_RUN_HISTORY_FSYNC"


def fsync_wanted() -> bool:
    return os.environ.get(FSYNC_VAR, "").strip().lower() in ("on", "1", "true", "yes")


@contextlib.contextmanager
def without_fsync(dagster_home: str | os.PathLike) -> Iterator[None]:
    """While open, every SQLite connection this process opens on a file under `dagster_home`
    gets `synchronous=OFF`; other SQLite files keep their settings."""
    if fsync_wanted():
        yield
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    home = Path(dagster_home).resolve()

    def on_connect(dbapi_connection, _record) -> None:
        if not type(dbapi_connection).__module__.startswith("sqlite3"):
            return
        databases = dbapi_connection.execute("pragma database_list").fetchall()
        path = next((row[2] for row in databases if row[1] == "main"), "")
        if path and home in Path(path).resolve().parents:
            dbapi_connection.execute("pragma synchronous = off")

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
