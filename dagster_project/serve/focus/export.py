"""Export the cost fact as a FOCUS cost-and-usage dataset (Parquet and CSV).

``export_focus(con, out_dir)`` reads ``marts.fct_allocated_costs`` and writes
``focus_cost_and_usage.parquet`` and ``focus_cost_and_usage.csv`` with one row per fact row.

Columns
    FOCUS columns keep the spec's exact names: the fact's snake_case names map to the FOCUS
    PascalCase names (``billed_cost`` -> ``BilledCost``, ``sub_account_id`` -> ``SubAccountId``).
    They come first, sorted alphabetically; every other column of the fact follows, in the
    fact's order, as a custom column ``x_`` + PascalCase (``team_id`` -> ``x_TeamId``).
    Columns the official validator (focus-validator 2.2.1, FOCUS 1.2) needs to evaluate its
    rules without misfiring are added as typed nulls when the fact lacks them: ``SkuMeter``,
    ``SkuPriceDetails`` (must be null while there is no ``SkuPriceId``) and
    ``CommitmentDiscountStatus`` (null: no commitment discount applies to these charges).

Values
    Money and quantities stay DECIMAL end to end: DuckDB ``COPY`` writes them as Parquet
    DECIMAL and as plain decimal text in the CSV (``-12.5000000000``), never through a float.
    HUGEINT columns (token counts) become BIGINT, because DuckDB would write HUGEINT to
    Parquet as DOUBLE. Date/time columns are UTC: ``TIMESTAMP WITH TIME ZONE`` in Parquet,
    ``YYYY-MM-DDTHH:MM:SSZ`` text in the CSV (whole seconds); naive timestamps and FOCUS
    date columns are taken as UTC; a custom ``DATE`` column (``x_ChargeDate``) stays a
    calendar date. JSON columns (``Tags``, ``AllocatedMethodDetails``, ``AllocatedTags``,
    ``SkuPriceDetails``, ...) are written as minified JSON object text; a value that is not
    a JSON object cannot be valid FOCUS, is written as null and is counted in the metadata.

Spreadsheet-formula neutralisation (CSV only; the Parquet file keeps the data verbatim)
    A cell of a text column whose value starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe (``'=HYPERLINK(...)``), so a spreadsheet shows
    it as text instead of evaluating it (OWASP "CSV injection"). Not touched: cells of
    numeric columns (a negative cost ``-12.5000000000`` stays a number), text values that
    are a plain number in full (``-12.5``, ``+3``, ``-1e-5``: a spreadsheet reads those as
    numbers, not formulas), JSON columns (a JSON object starts with ``{``) and the dates.

Both files are written under temporary names in ``out_dir``, checked (row count and BilledCost
sum must equal the fact's exactly), then moved into place (``dagster_project.atomic``: Parquet, then
CSV): a reader of either file sees the old one or the new one, never a half-written file. If
anything fails, the temporary files are removed and the previous export stays as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.atomic import replacing
from dagster_project.db import sql_literal
from dagster_project.extract.landing import quote_ident
from dagster_project.serve.focus.columns import FOCUS_COLUMNS

FACT_TABLE = "marts.fct_allocated_costs"
PARQUET_NAME = "focus_cost_and_usage.parquet"
CSV_NAME = "focus_cost_and_usage.csv"


# FOCUS columns whose values are JSON objects (JSON Object / Key-Value format).
JSON_COLUMNS = frozenset(
    {
        "AllocatedMethodDetails",
        "AllocatedTags",
        "CommitmentProgramEligibilityDetails",
        "ContractApplied",
        "SkuPriceDetails",
        "Tags",
    }
)

# FOCUS columns of type Date/Time.
DATETIME_COLUMNS = frozenset(
    {"BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"}
)

# Added as typed nulls when the fact lacks them: without them focus-validator 2.2.1 misfires
# (rules referring to a missing column error out and count as failures).
VALIDATOR_COLUMNS: dict[str, str] = {
    "CommitmentDiscountStatus": "VARCHAR",
    "SkuMeter": "VARCHAR",
    "SkuPriceDetails": "VARCHAR",
}

# Rows are written in this order (those of these columns the export has), so that two exports
# of the same fact are identical files.
ORDER_BY: tuple[str, ...] = (
    "ChargePeriodStart",
    "BillingAccountId",
    "x_ChargeId",
    "x_AllocatedCostId",
)

# Values a spreadsheet would evaluate as a formula, and the plain numbers exempted from that.
FORMULA_TRIGGER_RE = r"^[-=+@\t\r]"
PLAIN_NUMBER_RE = r"^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"

_DATETIME_TEXT = "%Y-%m-%dT%H:%M:%SZ"
_NUMERIC_PREFIXES = ("DECIMAL", "NUMERIC")
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL"})
_WIDE_INTEGER_TYPES = frozenset({"HUGEINT", "UHUGEINT"})


def _snake(name: str) -> str:
    """``SkuPriceId`` -> ``sku_price_id``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_SNAKE_TO_FOCUS = {_snake(name): name for name in FOCUS_COLUMNS}


def pascal_case(snake: str) -> str:
    """``uncached_input_tokens`` -> ``UncachedInputTokens``."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_") if part)


def export_name(column: str) -> str:
    """The exported name of a fact column: its FOCUS name, else ``x_`` + PascalCase."""
    focus = _SNAKE_TO_FOCUS.get(column.lower())
    if focus is not None:
        return focus
    custom = column[2:] if column.lower().startswith("x_") else column
    return "x_" + pascal_case(custom.lower())


def _is_text(data_type: str) -> bool:
    return data_type.upper() in {"VARCHAR", "TEXT", "STRING"} or data_type.upper().startswith(
        "VARCHAR("
    )


def _is_number(data_type: str) -> bool:
    upper = data_type.upper()
    return (
        upper.startswith(_NUMERIC_PREFIXES)
        or upper in _INTEGER_TYPES
        or upper in _FLOAT_TYPES
        or upper in _WIDE_INTEGER_TYPES
    )


class _Column:
    """One exported column: its name, source expression and how each format renders it."""

    def __init__(self, name: str, source_sql: str, data_type: str, added: bool = False) -> None:
        self.name = name
        self.source_sql = source_sql
        self.data_type = data_type.upper()
        self.added = added  # not in the fact: a typed null the validator needs

    @property
    def is_json(self) -> bool:
        return self.name in JSON_COLUMNS or self.data_type == "JSON"

    @property
    def is_datetime(self) -> bool:
        if self.data_type.startswith("TIMESTAMP"):
            return True
        return self.data_type == "DATE" and self.name in DATETIME_COLUMNS

    def _utc_timestamptz(self) -> str:
        src = self.source_sql
        if self.data_type in {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}:
            return src
        # Naive timestamps and dates are taken to be UTC already.
        return f"timezone('UTC', cast({src} as timestamp))"

    def _json_object_text(self) -> str:
        # Minified JSON object text, or null for null / invalid JSON / a non-object.
        parsed = f"try_cast(cast({self.source_sql} as varchar) as json)"
        return f"case when json_type({parsed}) = 'OBJECT' then cast({parsed} as varchar) end"

    def parquet_sql(self) -> str:
        if self.is_json:
            value = self._json_object_text()
        elif self.is_datetime:
            value = self._utc_timestamptz()
        elif self.data_type in _WIDE_INTEGER_TYPES:
            value = f"cast({self.source_sql} as bigint)"
        else:
            value = self.source_sql
        return f"{value} as {quote_ident(self.name)}"

    def csv_sql(self) -> str:
        if self.is_json:
            value = self._json_object_text()
        elif self.is_datetime:
            value = (
                f"strftime({self._utc_timestamptz()} at time zone 'UTC', "
                f"{sql_literal(_DATETIME_TEXT)})"
            )
        elif _is_text(self.data_type):
            value = neutralise_formula_sql(self.source_sql)
        else:
            value = self.source_sql
        return f"{value} as {quote_ident(self.name)}"


def neutralise_condition_sql(expr: str) -> str:
    """SQL that is true when the text value ``expr`` would be read as a spreadsheet formula."""
    return (
        f"regexp_matches({expr}, {sql_literal(FORMULA_TRIGGER_RE)}) "
        f"and not regexp_matches({expr}, {sql_literal(PLAIN_NUMBER_RE)})"
    )


def neutralise_formula_sql(expr: str) -> str:
    """SQL for the text value ``expr`` with spreadsheet formulas neutralised (see module doc)."""
    return f"case when {neutralise_condition_sql(expr)} then '''' || {expr} else {expr} end"


def _fact_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute(f"describe select * from {table}").fetchall()
    return [(str(row[0]), str(row[1])) for row in rows]


def focus_columns(con: duckdb.DuckDBPyConnection, table: str = FACT_TABLE) -> list[_Column]:
    """The exported columns, FOCUS ones first (alphabetical), then the ``x_`` ones."""
    focus: list[_Column] = []
    custom: list[_Column] = []
    seen: dict[str, str] = {}
    for column, data_type in _fact_columns(con, table):
        name = export_name(column)
        if name in seen:
            raise ValueError(f"fact columns {seen[name]!r} and {column!r} both export as {name}")
        seen[name] = column
        target = focus if name in _SNAKE_TO_FOCUS.values() else custom
        target.append(_Column(name, quote_ident(column), data_type))
    for name, data_type in VALIDATOR_COLUMNS.items():
        if name not in seen:
            focus.append(_Column(name, f"cast(null as {data_type})", data_type, added=True))
    focus.sort(key=lambda c: c.name)
    return focus + custom


def _select(columns: Sequence[_Column], table: str, fmt: str) -> str:
    exprs = [c.parquet_sql() if fmt == "parquet" else c.csv_sql() for c in columns]
    by_name = {c.name: c for c in columns}
    order = [by_name[name].source_sql for name in ORDER_BY if name in by_name]
    order_sql = f"\norder by {', '.join(order)}" if order else ""
    return "select\n    " + ",\n    ".join(exprs) + f"\nfrom {table}{order_sql}"


def _sum_type(columns: Sequence[_Column]) -> str:
    billed = next(c for c in columns if c.name == "BilledCost")
    return billed.data_type if _is_number(billed.data_type) else "DECIMAL(38, 10)"


def export_focus(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | os.PathLike[str],
    *,
    table: str = FACT_TABLE,
) -> dict[str, Any]:
    """Write the cost fact as FOCUS Parquet and CSV into ``out_dir``; return what was written.

    The metadata holds ``row_count``, ``parquet_path``, ``csv_path``, ``columns``,
    ``added_columns`` (validator columns the fact lacked), ``billed_cost_sum`` (Decimal, the
    fact's), ``billed_cost_sum_parquet`` / ``billed_cost_sum_csv`` (read back from the
    files, equal to the fact's), ``billed_cost_sum_by_currency``, ``neutralised_cells``
    (CSV cells given an apostrophe) and ``json_values_nulled`` (per JSON column, values
    that were not a JSON object). Raises RuntimeError, leaving the old files in place, if
    a file does not hold exactly the fact's rows and BilledCost sum.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    columns = focus_columns(con, table)
    names = [c.name for c in columns]
    for required in ("BilledCost", "BillingCurrency"):
        if required not in names:
            raise ValueError(f"{table} has no column exporting as {required}")
    by_name = {c.name: c for c in columns}
    billed_src = by_name["BilledCost"].source_sql
    currency_src = by_name["BillingCurrency"].source_sql
    sum_type = _sum_type(columns)

    fact_rows, fact_sum = con.execute(
        f"select count(*), cast(coalesce(sum({billed_src}), 0) as {sum_type}) from {table}"
    ).fetchone()
    by_currency = {
        str(cur): Decimal(total)
        for cur, total in con.execute(
            f"select {currency_src}, cast(sum({billed_src}) as {sum_type}) "
            f"from {table} group by all order by 1"
        ).fetchall()
    }
    text_columns = [c for c in columns if _is_text(c.data_type) and not c.is_json]
    json_columns = [c for c in columns if c.is_json]
    counts_sql = [
        f"count(*) filter (where {neutralise_condition_sql(c.source_sql)})" for c in text_columns
    ] + [
        f"count(*) filter (where {c.source_sql} is not null "
        f"and json_type(try_cast(cast({c.source_sql} as varchar) as json)) "
        f"is distinct from 'OBJECT')"
        for c in json_columns
    ]
    counts = con.execute(f"select {', '.join(counts_sql) or '0'} from {table}").fetchone()
    neutralised = sum(int(n) for n in counts[: len(text_columns)])
    json_nulled = {
        c.name: int(n) for c, n in zip(json_columns, counts[len(text_columns) :], strict=True)
    }

    parquet_path = out / PARQUET_NAME
    csv_path = out / CSV_NAME
    # written under temporary names, moved into place (Parquet, then CSV) only if both check
    with replacing(parquet_path, csv_path) as (parquet_tmp, csv_tmp):
        con.execute(
            f"copy ({_select(columns, table, 'parquet')}) to {sql_literal(str(parquet_tmp))} "
            "(format parquet, compression zstd)"
        )
        con.execute(
            f"copy ({_select(columns, table, 'csv')}) to {sql_literal(str(csv_tmp))} "
            "(format csv, header true, delimiter ',', quote '\"')"
        )
        pq_rows, pq_sum = con.execute(
            f'select count(*), cast(coalesce(sum("BilledCost"), 0) as {sum_type}) '
            f"from read_parquet({sql_literal(str(parquet_tmp))})"
        ).fetchone()
        csv_rows, csv_sum = con.execute(
            f'select count(*), coalesce(sum(cast("BilledCost" as {sum_type})), 0) '
            f"from read_csv({sql_literal(str(csv_tmp))}, header = true, all_varchar = true)"
        ).fetchone()
        if not (fact_rows == pq_rows == csv_rows and fact_sum == pq_sum == csv_sum):
            raise RuntimeError(
                f"FOCUS export does not match {table}: rows fact={fact_rows} "
                f"parquet={pq_rows} csv={csv_rows}; BilledCost fact={fact_sum} "
                f"parquet={pq_sum} csv={csv_sum}"
            )

    return {
        "row_count": int(fact_rows),
        "parquet_path": str(parquet_path),
        "csv_path": str(csv_path),
        "columns": names,
        "added_columns": [c.name for c in columns if c.added],
        "billed_cost_sum": Decimal(fact_sum),
        "billed_cost_sum_parquet": Decimal(pq_sum),
        "billed_cost_sum_csv": Decimal(csv_sum),
        "billed_cost_sum_by_currency": by_currency,
        "neutralised_cells": neutralised,
        "json_values_nulled": json_nulled,
    }
