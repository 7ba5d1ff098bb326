"""Import business-driver metrics from a table (or a SELECT query) in another database.

The import is a snapshot: it reads the rows once and writes them as
`<landing>/business/db_<table>.parquet`. The extract step then loads that file like any driver
file dropped there by hand (`tabular.parse_drivers` through `landing.load_source`), so the one
load path gives a database origin the same content-hash dedupe, quarantine and lineage.

Any SQLAlchemy URL works once its driver is installed (`sqlite:////abs/app.db`,
`postgresql+psycopg://user@host/db`, ...). A DuckDB file is named `duckdb:////abs/file.duckdb`
and read with the duckdb module itself, read-only.

Column names are matched case-insensitively: `date`, `driver` and `value` are required, `unit`,
`product` and `team` are recognised, every other column is kept as a dimension.

Values are written as text, never as floats. Rows come from the database cursor as the
driver's own Python objects (`Decimal` for NUMERIC/DECIMAL, `int`, `str`, `date`, ...) and each
is turned into text in Python (`_as_text`): a Decimal keeps every digit, a value such as 'n/a'
survives so the loader can quarantine it with a reason, and the rule is the same for every
database. Casting to text in SQL instead would need each dialect's own type name and numeric
formatting, and `pandas.read_sql` converts Decimals to floats by default (`coerce_float`). A
column that the source database itself stores as a binary float (SQLite REAL, DOUBLE) is written
as the shortest text that reads back to the same float, e.g. 1234.5678.

The file is byte-identical when the data is: rows are sorted, columns come in a fixed order, the
Parquet writer runs single-threaded and writes no timestamp, and an unchanged file is not
rewritten at all. The loader then skips it by its content hash.

Credentials: the URL's password never appears in a message; URLs are shown through
`render_as_string(hide_password=True)` and error texts are scrubbed of the password.

Usage:
    python -m dagster_project.extract.drivers_db --url sqlite:////srv/app.db --table drivers
    python -m dagster_project.extract.drivers_db --url "$DRIVERS_DB_URL" \
        --query "select day as date, metric as driver, amount as value from kpis" --name kpis
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from dagster_project import db
from dagster_project.atomic import replacing
from dagster_project.extract.landing import quote_ident
from dagster_project.extract.privacy import redact

REQUIRED = ("date", "driver", "value")
KNOWN = (*REQUIRED, "unit", "product", "team")
# Names the driver parser uses for its own columns (lineage, Parquet reader options).
RESERVED = ("source_file", "source_row", "filename", "file_row_number")
BUSINESS_FOLDER = "business"
_QUERY_START = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*[(\s]*(select|with)\b", re.I | re.S)


class DriversImportError(ValueError):
    """The import cannot proceed; the message is safe to show (no password)."""


@dataclass(frozen=True)
class ImportResult:
    path: Path
    rows: int
    columns: tuple[str, ...]
    unchanged: bool  # the file already held exactly these bytes and was not rewritten


def import_drivers(
    url: str,
    table: str | None = None,
    query: str | None = None,
    landing_dir: Path | None = None,
    name: str | None = None,
) -> ImportResult:
    """Snapshot `table` (or the rows of SELECT `query`) from the database at `url` into
    `<landing>/business/db_<name>.parquet`: the file's path, row count, columns and whether it
    changed. `name` defaults to the table name, or 'query'; give each query its own name, since a
    file replaces what it loaded before."""
    if (table is None) == (query is None):
        raise DriversImportError("give exactly one of a table or a query")
    if query is not None and not _QUERY_START.match(query):
        raise DriversImportError("the query must be a SELECT (or WITH ... SELECT) statement")
    if landing_dir is None:
        from dagster_project.resources import WarehouseResource

        landing_dir = WarehouseResource.from_env().landing_folder
    stem = _sanitise(name or table or "query")
    target = Path(landing_dir) / BUSINESS_FOLDER / f"db_{stem}.parquet"
    try:
        names, rows = _read(url, table, query)
    except DriversImportError as error:
        raise DriversImportError(redact(str(error), [url])) from None
    except Exception as error:  # any driver's error: show its first line, scrubbed
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DriversImportError(
            redact(f"{_describe(url)}: {type(error).__name__}: {first[:400]}", [url])
        ) from None
    origin = f"{_describe(url)} {'table ' + table if table else 'query'}"
    columns = _map_columns(names, origin)
    if not rows:
        # An empty snapshot would replace every row the previous one loaded: refuse, loudly.
        raise DriversImportError(f"{origin} returned no rows; nothing written")
    return _write(target, columns, rows)


def _describe(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return redact("<unparseable database URL>", [url])


def _sanitise(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "query"


def _split_table(table: str) -> tuple[str | None, str]:
    parts = [p.strip() for p in table.split(".")]
    if len(parts) > 2 or not all(parts):
        raise DriversImportError(f"not a table name: {table!r} (use table or schema.table)")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _read(url: str, table: str | None, query: str | None) -> tuple[list[str], list[tuple]]:
    """Column names and rows as the database driver returns them."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        raise DriversImportError(
            "not a database URL (expected e.g. sqlite:////path/app.db)"
        ) from None
    if parsed.drivername.split("+")[0] == "duckdb":
        return _read_duckdb(parsed.database, table, query)
    if parsed.drivername.split("+")[0] == "sqlite":
        database = parsed.database or ""
        # sqlite3 creates a missing file: it would "import" from a new, empty database.
        in_file = database not in ("", ":memory:") and not database.startswith("file:")
        if in_file and not Path(database).is_file():
            raise DriversImportError(f"SQLite database file not found: {database}")
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(parsed)
    except (ImportError, sa.exc.NoSuchModuleError) as error:
        raise DriversImportError(
            f"cannot open {parsed.render_as_string(hide_password=True)}: {error} "
            "(is its Python driver installed?)"
        ) from None
    try:
        # The transaction is never committed: whatever the query does is rolled back.
        with engine.connect() as connection:
            if table is not None:
                schema, name = _split_table(table)
                statement = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema))
                result = connection.execute(statement)
            else:
                # Sent as written: no bind-parameter parsing of ':' inside the user's SQL.
                result = connection.exec_driver_sql(query)
            names = list(result.keys())
            rows = [tuple(row) for row in result.fetchall()]
            connection.rollback()
        return names, rows
    finally:
        engine.dispose()


def _read_duckdb(
    database: str | None, table: str | None, query: str | None
) -> tuple[list[str], list[tuple]]:
    if not database or database == ":memory:":
        raise DriversImportError("a DuckDB URL must name a file: duckdb:////path/file.duckdb")
    if not Path(database).is_file():
        raise DriversImportError(f"DuckDB database file not found: {database}")
    if table is not None:
        schema, name = _split_table(table)
        quoted = ".".join(quote_ident(p) for p in (schema, name) if p)
        query = f"select * from {quoted}"
    with db.connect(database, read_only=True) as con:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description or []]
        return names, cursor.fetchall()


def _map_columns(names: list[str], origin: str) -> list[str]:
    """Output column names, in source order: known ones lower-cased, others kept as dimensions
    (characters other than letters, digits and _ become _, so they are safe in SQL)."""
    out: list[str] = []
    for raw in names:
        lowered = raw.strip().lower()
        if lowered in KNOWN:
            out.append(lowered)
        elif lowered in RESERVED:
            raise DriversImportError(
                f"{origin}: column {raw!r} clashes with a loader column; rename it in a --query"
            )
        else:
            out.append(re.sub(r"[^0-9A-Za-z_]+", "_", raw.strip()).strip("_") or "column")
    seen: dict[str, str] = {}
    for raw, mapped in zip(names, out, strict=True):
        if mapped.lower() in seen:
            raise DriversImportError(
                f"{origin}: columns {seen[mapped.lower()]!r} and {raw!r} both map to {mapped!r}"
            )
        seen[mapped.lower()] = raw
    missing = [c for c in REQUIRED if c not in out]
    if missing:
        raise DriversImportError(
            f"{origin} lacks required column(s) {', '.join(missing)} "
            f"(columns found: {', '.join(names)[:300]}); alias them in a --query, "
            "e.g. select day as date, metric as driver, amount as value ..."
        )
    return out


def _as_text(value: object) -> str | None:
    """One database value as exact text (see the module docstring)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back to the same float; no exponent in the file.
        return format(Decimal(repr(value)), "f") if math.isfinite(value) else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.hex()
    return str(value)


def _write(target: Path, columns: list[str], rows: list[tuple]) -> ImportResult:
    known = [c for c in KNOWN if c in columns]
    dimensions = sorted((c for c in columns if c not in KNOWN), key=str.lower)
    order = [*known, *dimensions]
    index = [columns.index(c) for c in order]
    frame = pd.DataFrame(
        [[_as_text(row[i]) for i in index] for row in rows], columns=order, dtype=object
    )
    # written beside the target under a hidden name (dagster_project.atomic), renamed into place
    with replacing(target) as (tmp,):
        with db.connect() as con:
            con.execute("set threads = 1")  # one writer: row groups in a fixed order
            con.register("snapshot", frame)
            select = ", ".join(f"{quote_ident(c)}::varchar as {quote_ident(c)}" for c in order)
            path = str(tmp).replace("'", "''")
            con.execute(
                f"copy (select {select} from snapshot order by all nulls first) "
                f"to '{path}' (format parquet)"
            )
        if target.is_file() and target.read_bytes() == tmp.read_bytes():
            tmp.unlink()  # the same snapshot: the file (and its mtime) stays as it was
            return ImportResult(target, len(rows), tuple(order), unchanged=True)
    return ImportResult(target, len(rows), tuple(order), unchanged=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.extract.drivers_db",
        description="Snapshot business drivers from a database table or query into "
        "<landing>/business/db_<name>.parquet, for the next pipeline run to load.",
    )
    parser.add_argument("--url", required=True,
                        help="SQLAlchemy URL, e.g. sqlite:////srv/app.db, postgresql+psycopg:"
                        "//user:pw@host/db, duckdb:////data/x.duckdb")  # fmt: skip
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="table to copy, as table or schema.table")
    what.add_argument("--query", help="SELECT returning date, driver, value [, unit, ...]")
    parser.add_argument("--name", help="file name part: db_<name>.parquet "
                        "(default: the table name, or 'query')")  # fmt: skip
    parser.add_argument("--landing", type=Path,
                        help="landing folder (default: AIFINOPS_LANDING_DIR)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        result = import_drivers(args.url, args.table, args.query, args.landing, args.name)
    except Exception as error:  # one line, no traceback, no password
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"drivers import failed: {redact(message, [args.url])}", file=sys.stderr)
        return 1
    state = "unchanged" if result.unchanged else "written"
    print(f"{result.rows} rows from {redact(_describe(args.url), [args.url])} -> {result.path} "
          f"({state}; columns: {', '.join(result.columns)})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
