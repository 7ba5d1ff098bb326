"""Tabular landing files: FOCUS billing exports (Parquet or CSV, FOCUS 1.0 to 1.3 column names)
and business-driver metrics in long format (CSV or Parquet).

FOCUS columns are kept as delivered, as text: exports differ in version, column set and types
(AWS writes Parquet, Azure and GCP CSV), and text keeps every digit. Staging casts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from dagster_project.db import sql_literal
from dagster_project.extract.landing import (
    Counts,
    RawTable,
    UnreadableFile,
    probe,
    quote_ident,
    split_good_and_bad,
)
from dagster_project.extract.privacy import create_scrub_macro
from dagster_project.serve.focus.columns import FOCUS_COLUMNS

FOCUS_SOURCE = "focus_billing"
FOCUS_TABLE = "raw.focus_billing"
FOCUS_PATTERNS = ("*.parquet", "*.csv")
# Every FOCUS column exists in the raw table from the start, so staging can name each one
# even before an export carries it.
FOCUS_RAW_TABLE = RawTable(
    FOCUS_TABLE,
    (
        *(f'"{c}" varchar' for c in FOCUS_COLUMNS),
        "x_ServiceCode varchar",
        "x_UsageType varchar",
        "x_SkuMeterName varchar",
        "x_Operation varchar",
        "export_name varchar",
        "row_hash varchar",
    ),
    # a table created before staging read Azure's meter column gets it (its rows stay null)
    added_later=("x_SkuMeterName",),
    bills=True,
)
FOCUS_DDL = FOCUS_RAW_TABLE.ddl
FOCUS_REQUIRED = ("BilledCost", "BillingCurrency", "BillingAccountId", "ChargePeriodStart")
# Every column staging casts: a value that does not cast would fail the dbt run, so its row is
# quarantined here instead.
FOCUS_DECIMALS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity",
                  "PricingQuantity", "ListUnitPrice", "ContractedUnitPrice")  # fmt: skip
FOCUS_TIMESTAMPS = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                    "ChargePeriodEnd")  # fmt: skip

DRIVERS_SOURCE = "business_drivers"
DRIVERS_TABLE = "raw.business_drivers"
DRIVERS_PATTERNS = ("*.csv", "*.parquet")
DRIVERS_RAW_TABLE = RawTable(
    DRIVERS_TABLE,
    (
        "driver_date date not null",
        "driver varchar not null",
        "value decimal(38, 6) not null",
        "unit varchar",
        "product varchar",
        "team varchar",
        "dimensions json",
        "row_hash varchar not null",
    ),
)
DRIVERS_DDL = DRIVERS_RAW_TABLE.ddl
DRIVERS_COLUMNS = DRIVERS_RAW_TABLE.column_names


# Names the loader gives its own columns: a file column of the same name would be ambiguous.
RESERVED_COLUMNS = frozenset({"source_file", "source_row", "content_hash", "loaded_at", "load_id",
                              "row_hash", "export_name", "reject_field", "reject_reason",
                              "reject_value", "filename", "file_row_number"})  # fmt: skip
# A column name may hold any character a spreadsheet puts in a header (apostrophes, spaces,
# unicode) except these: they have no business in a name and are how SQL injection starts.
_FORBIDDEN_IN_NAMES = re.compile(r'[";\x00-\x1f\x7f]')


def _is_parquet(path: Path) -> bool:
    return path.suffix == ".parquet"


def _file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The column names of one file as it writes them, checked: a name with a forbidden
    character, a name given twice (SQL names ignore case) or a loader's own name makes the file
    unreadable, with a message naming the file and the column."""
    if _is_parquet(path):
        sql = "select list(column_name) from (describe select * from read_parquet($p))"
        names = probe(con, sql, {"p": [str(path)]}, f"{path}: file could not be read")[0] or []
    else:
        # header = false: the header row as written, before the reader renames duplicates
        sql = "select * from read_csv($p, all_varchar = true, header = false) limit 1"
        try:
            header = probe(con, sql, {"p": [str(path)]}, f"{path}: file could not be read")
        except UnreadableFile:
            # The reader cannot split a header with a line break in it: say which one it is.
            _check_names(path, _first_csv_record(path))
            raise
        names = ["" if name is None else name for name in header or ()]
    _check_names(path, names)
    return names


def _first_csv_record(path: Path) -> list[str]:
    """The first record of a plain CSV file as Python's csv module reads it, or nothing."""
    if path.suffix != ".csv":
        return []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _check_names(path: Path, names: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        shown = repr(name[:120])
        if _FORBIDDEN_IN_NAMES.search(name):
            raise UnreadableFile(
                f"{path}: column {position} header {shown} contains a double quote, semicolon "
                "or control character, which a column name may not have; rename the column"
            )
        if name.lower() in RESERVED_COLUMNS:
            raise UnreadableFile(
                f"{path}: column {position} header {shown} is a name the loader uses for "
                "lineage; rename the column"
            )
        if name and name.lower() in seen:
            raise UnreadableFile(
                f"{path}: header {shown} appears twice (columns {seen[name.lower()]} and "
                f"{position}; names are compared ignoring case); rename one of them"
            )
        seen[name.lower()] = position


def _read_as_text(
    con: duckdb.DuckDBPyConnection,
    table: str,
    paths: list[Path],
    required: tuple[str, ...],
    what: str,
) -> list[str]:
    """Read Parquet and CSV files into one temp table of text columns, with file and row.
    A file that lacks a required column cannot be read as a whole."""
    headers = [_file_columns(con, p) for p in paths]  # checked before any name reaches SQL
    if len(paths) > 1 and any(not set(required) <= set(h) for h in headers):
        # union_by_name would fill the column from the other files and hide the gap: let the
        # loader retry file by file, so only the file that lacks it is quarantined.
        raise UnreadableFile(f"a file in the batch lacks one of {', '.join(required)}")
    parquet = [str(p) for p in paths if _is_parquet(p)]
    csv = [str(p) for p in paths if not _is_parquet(p)]
    parts = []
    if parquet:
        parts.append(
            """select filename as source_file, file_row_number + 1 as source_row,
                      columns(* exclude (filename, file_row_number))::varchar
               from read_parquet($parquet, union_by_name = true, filename = true,
                                 file_row_number = true)"""
        )
    if csv:
        parts.append(
            """select filename as source_file,
                      row_number() over (partition by filename) as source_row,
                      columns(* exclude (filename))
               from read_csv($csv, all_varchar = true, header = true, union_by_name = true,
                             filename = true)"""
        )
    params = ({"parquet": parquet} if parquet else {}) | ({"csv": csv} if csv else {})
    probe(
        con,
        f"create or replace temp table {table} as {' union all by name '.join(parts)}",
        params,
        "file could not be read",
    )
    columns = [
        r[0]
        for r in con.execute(f"select column_name from (describe {table})").fetchall()
        if r[0] not in ("source_file", "source_row")
    ]
    missing = [c for c in required if c not in columns]
    if missing:
        # A CSV the sniffer could not split (a ragged line) shows here as one wide column.
        raise UnreadableFile(
            f"{what} {', '.join(missing)} (columns found: {', '.join(columns)[:300]})"
        )
    return columns


def parse_focus(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    file_columns = _read_as_text(
        con, "focus_file", paths, FOCUS_REQUIRED, "not a FOCUS export: missing column(s)"
    )
    existing = {
        r[0].lower()
        for r in con.execute(
            """select column_name from information_schema.columns
               where table_schema = 'raw' and table_name = 'focus_billing'"""
        ).fetchall()
    }
    for column in file_columns:
        if column.lower() not in existing:
            # A newer FOCUS version or a provider's x_ column: keep it.
            con.execute(f"alter table {FOCUS_TABLE} add column {quote_ident(column)} varchar")
    quoted = ", ".join(quote_ident(c) for c in file_columns)
    # (condition, field, reason): the first that holds rejects the row. The names are the
    # code's own FOCUS column names, quoted all the same.
    checks = [
        (f"nullif(trim({quote_ident(c)}), '') is null", c,
         f"missing required FOCUS column value {c}")
        for c in FOCUS_REQUIRED
    ]  # fmt: skip
    checks += [
        (f"{q} is not null and try_cast({q} as decimal(38, 10)) is null", c,
         f"{c} is not a decimal number")
        for c in FOCUS_DECIMALS if c in file_columns for q in [quote_ident(c)]
    ]  # fmt: skip
    checks += [
        (f"{q} is not null and try_cast({q} as timestamptz) is null", c, f"{c} is not a timestamp")
        for c in FOCUS_TIMESTAMPS if c in file_columns for q in [quote_ident(c)]
    ]  # fmt: skip
    reject_field = " ".join(f"when {cond} then {sql_literal(c)}" for cond, c, _ in checks)
    reject_reason = " ".join(f"when {cond} then {sql_literal(why)}" for cond, _, why in checks)
    period = quote_ident("BillingPeriodStart") if "BillingPeriodStart" in file_columns else "null"
    con.execute(
        f"""create or replace temp table focus_staged as
            with flagged as (
                select *, case {reject_field} end as reject_field,
                       case {reject_reason} end as reject_reason
                from focus_file
            )
            select
                *,
                -- the export's folder names the provider feed: focus/<export_name>/...
                regexp_extract(source_file, '/focus/([^/]+)/', 1) as export_name,
                -- C1: export x account x billing period as the file gives it
                -- (the period normalised to UTC, so two spellings of one instant match)
                to_json([export_name, "BillingAccountId", coalesce(
                    strftime(try_cast({period} as timestamptz), '%Y-%m-%dT%H:%M:%SZ'),
                    {period})])::varchar as bill_key,
                md5(concat_ws('|', {quoted})) as row_hash,
                left(concat_ws('|', {quoted}), 500) as reject_value
            from flagged"""
    )
    con.execute("drop table focus_file")
    return split_good_and_bad(
        con, FOCUS_SOURCE, "focus_staged", FOCUS_TABLE,
        [*file_columns, "export_name", "row_hash", "bill_key"],
    )  # fmt: skip


def parse_drivers(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    columns = _read_as_text(con, "drivers_file", paths, ("date", "driver", "value"),
                            "business driver file lacks column(s)")  # fmt: skip
    extra = [c for c in columns if c not in ("date", "driver", "value", "unit")]
    # Dimension names are bound as values, their columns quoted; e-mail and IP addresses in
    # dimension values are pseudonymised (privacy.py).
    create_scrub_macro(con)
    dims = (
        f"map($dimension_names, [{', '.join(f'pii_scrub({quote_ident(c)})' for c in extra)}])"
        if extra else "{'none': null}"
    )  # fmt: skip
    optional = {c: (quote_ident(c) if c in columns else "null::varchar") for c in
                ("unit", "product", "team")}  # fmt: skip
    con.execute(
        f"""create or replace temp table drivers_staged as
            with typed as (
                select
                    source_file,
                    source_row,
                    try_cast("date" as date) as driver_date,
                    nullif(trim("driver"), '') as driver,
                    try_cast(trim("value") as decimal(38, 6)) as value,
                    "value" as value_text,
                    {optional["unit"]} as unit,
                    pii_scrub({optional["product"]}) as product,
                    pii_scrub({optional["team"]}) as team,
                    to_json({dims}) as dimensions,
                    md5(concat_ws('|', "date", "driver", "value", {optional["unit"]},
                                  {optional["product"]}, {optional["team"]})) as row_hash,
                    concat_ws(',', "date", "driver", "value") as raw_text
                from drivers_file
            )
            select
                *,
                case when driver_date is null then 'date'
                     when driver is null then 'driver'
                     when value is null then 'value' end as reject_field,
                case when driver_date is null then 'date missing or not a date'
                     when driver is null then 'missing required field driver'
                     when value is null
                         then 'value is not a number: ' || coalesce(value_text, 'empty')
                end as reject_reason,
                raw_text as reject_value
            from typed""",
        {"dimension_names": extra} if extra else {},
    )
    con.execute("drop table drivers_file")
    return split_good_and_bad(con, DRIVERS_SOURCE, "drivers_staged", DRIVERS_TABLE,
                              DRIVERS_COLUMNS)  # fmt: skip
