"""FX rates a user drops in the landing folder (`fx/`), in the European Central Bank's reference
rate format: `eurofxref-hist.csv` (every day since 1999) or `eurofxref.csv` (the latest day),
as downloaded from https://www.ecb.europa.eu/stats/eurofxref/ (zipped there: unzip, or gzip it).

    Date,USD,JPY,BGN,...,ZAR,
    2026-07-20,1.1702,172.35,N/A,...,20.41,

One header row (`Date`, then one ISO 4217 code per column; a trailing comma is usual), one row
per day (ISO dates in the history file, `20 July 2026` in the daily file); each value is units
of that currency per 1 EUR. `N/A` or an empty cell means the ECB published no rate for that
currency that day: it is not a rate and not a row. Every other cell is one raw row (the
currency's rate on that day), or a quarantine row naming file, line and currency when the date
or the rate cannot be read.

Rates are treated like bill lines (landing.py, contract C1): the bill key is base, currency and
day, each file is a delivery made at its modification time, and a later file that restates a day
supersedes the earlier file's rate for it (a re-downloaded history file is the usual case).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.extract.landing import (
    Counts,
    RawTable,
    UnreadableFile,
    split_good_and_bad,
)

SOURCE = "fx_rates"
TABLE = "raw.fx_rates"
FILE_PATTERNS = ("*.csv",)
BASE_CURRENCY = "EUR"  # the ECB quotes every currency against the euro
RAW_TABLE = RawTable(
    TABLE,
    (
        "rate_date date not null",
        "base_currency varchar not null",
        "currency varchar not null",
        "rate decimal(38, 10) not null",
    ),
    bills=True,
)
DDL = RAW_TABLE.ddl
COLUMNS = RAW_TABLE.column_names
_ISO_CODE = re.compile(r"^[A-Z]{3}$")
_NO_RATE = ("", "N/A")


def _read_cells(path: Path) -> list[tuple]:
    """(source_row, date text, column name, value text) for every cell that holds a value."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            records = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(f"{path}: not a readable CSV file: {error}") from error
    if not records:
        raise UnreadableFile(f"{path}: empty file (an ECB rates file starts with a Date header)")
    header = [name.strip() for name in records[0]] or [""]
    if header[0].lower() != "date":
        raise UnreadableFile(
            f"{path}: not an ECB reference rates file: the first column is "
            f"{header[0][:40]!r} where 'Date' was expected"
        )
    cells: list[tuple] = []
    for line, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue
        day = record[0].strip()
        for position, value in enumerate(record[1:], start=1):
            value = value.strip()
            if value.upper() in _NO_RATE:
                continue
            name = header[position] if position < len(header) else ""
            cells.append((line, day, name, value))
    return cells


def parse(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> Counts:
    frames = [
        pd.DataFrame(
            _read_cells(path), columns=["source_row", "day_text", "column_name", "value_text"]
        ).assign(source_file=str(path))
        for path in paths
    ]
    cells = pd.concat(frames, ignore_index=True).astype(
        {"source_row": "int64", "day_text": "str", "column_name": "str", "value_text": "str"}
    )
    con.register("fx_cells", cells)
    con.execute(
        """create or replace temp table fx_staged as
           with typed as (
               select
                   source_file,
                   source_row,
                   coalesce(try_strptime(day_text, '%Y-%m-%d'),
                            try_strptime(day_text, '%d %B %Y'))::date as rate_date,
                   $base as base_currency,
                   column_name as currency,
                   try_cast(value_text as decimal(38, 10)) as rate,
                   day_text,
                   column_name,
                   value_text
               from fx_cells
           )
           select
               *,
               base_currency || '|' || currency || '|' || cast(rate_date as varchar) as bill_key,
               case when not regexp_matches(column_name, $iso) then column_name
                    when rate_date is null then 'Date'
                    when rate is null or rate <= 0 then column_name end as reject_field,
               case when not regexp_matches(column_name, $iso)
                        then 'column name is not an ISO 4217 currency code: ' || column_name
                    when rate_date is null
                        then 'date is not YYYY-MM-DD or DD Month YYYY: ' || day_text
                    when rate is null or rate <= 0
                        then 'rate for ' || column_name || ' is not a positive number: '
                             || value_text end as reject_reason,
               day_text || ',' || column_name || '=' || value_text as reject_value
           from typed""",
        {"base": BASE_CURRENCY, "iso": _ISO_CODE.pattern},
    )
    con.unregister("fx_cells")
    counts = split_good_and_bad(con, SOURCE, "fx_staged", TABLE, COLUMNS)
    # a file with no rate at all (a header only) still counts as read
    return {str(p): counts.get(str(p), (0, 0, 0)) for p in paths}
