"""Each raw table's columns are declared once (extract.landing.RawTable): the table the DDL
creates and the columns the loader inserts cannot drift apart."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.extract import fx_rates, litellm, otel, tabular, vendor_costs
from dagster_project.extract.landing import BILL_COLUMNS, RawTable, create_raw_tables
from dagster_project.extract.sources import SOURCES_BY_NAME

LINEAGE = ["source_file", "source_row", "content_hash", "loaded_at", "load_id"]
TABLES = {
    litellm.SOURCE: litellm.RAW_TABLE,
    otel.SOURCE: otel.RAW_TABLE,
    fx_rates.SOURCE: fx_rates.RAW_TABLE,
    tabular.DRIVERS_SOURCE: tabular.DRIVERS_RAW_TABLE,
    tabular.FOCUS_SOURCE: tabular.FOCUS_RAW_TABLE,
    vendor_costs.OPENAI_SOURCE: vendor_costs.OPENAI_RAW_TABLE,
    vendor_costs.ANTHROPIC_SOURCE: vendor_costs.ANTHROPIC_RAW_TABLE,
    vendor_costs.OPENAI_USAGE_SOURCE: vendor_costs.OPENAI_USAGE_RAW_TABLE,
    vendor_costs.ANTHROPIC_USAGE_SOURCE: vendor_costs.ANTHROPIC_USAGE_RAW_TABLE,
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {table}").fetchall()]


def test_every_source_has_one_declaration() -> None:
    assert set(TABLES) == set(SOURCES_BY_NAME)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_created_table_holds_exactly_the_declared_columns(name: str) -> None:
    source, raw = SOURCES_BY_NAME[name], TABLES[name]
    assert source.ddl == raw.ddl and source.table == raw.name
    con = duckdb.connect()
    con.execute("create schema raw")
    create_raw_tables(con, name, source.table, source.ddl, source.deliveries is not None)
    bill_columns = [c for c, _ in BILL_COLUMNS] if source.deliveries is not None else []
    declared = [c.strip('"') for c in raw.column_names if c != "bill_key"]
    assert _columns(con, source.table) == [*declared, *LINEAGE, *bill_columns]
    # a bill table's parser fills bill_key, and only a bill table has one
    assert ("bill_key" in raw.column_names) == raw.bills == (source.deliveries is not None)


def test_a_column_added_later_reaches_a_table_created_before_it() -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    old = RawTable("raw.t", ("id varchar not null", "spend decimal(20, 10)"))
    con.execute(old.ddl)
    con.execute("insert into raw.t values ('r1', 1.5, 'f', 1, 'h', now(), 'l')")
    new = RawTable(
        "raw.t",
        ("id varchar not null", "spend decimal(20, 10)", "fingerprint varchar not null"),
        added_later=("fingerprint",),
    )
    con.execute(new.ddl)
    con.execute(new.ddl)  # idempotent
    assert "fingerprint" in _columns(con, "raw.t")
    assert con.execute("select id, fingerprint from raw.t").fetchall() == [("r1", None)]
    fresh = duckdb.connect()
    fresh.execute("create schema raw")
    fresh.execute(new.ddl)  # a new table gets the column with its declared constraint
    with pytest.raises(duckdb.ConstraintException):
        fresh.execute("insert into raw.t values ('r1', 1.5, null, 'f', 1, 'h', now(), 'l')")


def test_added_later_must_name_a_declared_column() -> None:
    with pytest.raises(ValueError, match="fingerprnt"):
        RawTable("raw.t", ("id varchar",), added_later=("fingerprnt",))
