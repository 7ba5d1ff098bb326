"""Business drivers imported from another database land as a Parquet snapshot in the landing
folder and load through the one driver load path (dedupe, quarantine, lineage)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract import drivers_db
from dagster_project.extract.drivers_db import DriversImportError, import_drivers
from dagster_project.extract.sources import SOURCES_BY_NAME, extract

DRIVERS = SOURCES_BY_NAME["business_drivers"]
ROWS = [
    ("2026-07-01", "orders", "1234.5678", "count", "shop", "growth", "eu"),
    ("2026-07-01", "orders", "17", "count", "api", "platform", "us"),
    ("2026-07-02", "orders", "n/a", "count", "shop", "growth", "eu"),
    ("2026-07-02", "revenue", "98765432109876.123456", "USD", "shop", "growth", "eu"),
]


def make_sqlite(path: Path, rows: list[tuple] = ROWS) -> str:
    with sqlite3.connect(path) as db:
        db.execute("drop table if exists drivers")
        # TEXT keeps the value exactly as written; odd column case on purpose.
        db.execute(
            'create table drivers ("Date" text, "Driver" text, "VALUE" text, "Unit" text, '
            '"PRODUCT" text, team text, "Region Code" text)'
        )
        db.executemany("insert into drivers values (?, ?, ?, ?, ?, ?, ?)", rows)
    return f"sqlite:///{path}"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[str, Path, duckdb.DuckDBPyConnection]:
    url = make_sqlite(tmp_path / "app.db")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield url, tmp_path / "landing", con
    con.close()


def loaded(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """select driver_date::varchar, driver, value, unit, product, team,
                  dimensions->>'Region_Code'
           from raw.business_drivers order by all"""
    ).fetchall()


def test_import_loads_exact_decimals_and_quarantines_bad_values(setup) -> None:
    url, landing, con = setup
    path = import_drivers(url, table="drivers", landing_dir=landing).path
    assert path == landing / "business" / "db_drivers.parquet"
    summary = extract(con, DRIVERS, landing)
    assert (summary.files_loaded, summary.rows_loaded, summary.rows_quarantined) == (1, 3, 1)
    assert loaded(con) == [
        ("2026-07-01", "orders", Decimal("17"), "count", "api", "platform", "us"),
        ("2026-07-01", "orders", Decimal("1234.5678"), "count", "shop", "growth", "eu"),
        ("2026-07-02", "revenue", Decimal("98765432109876.123456"), "USD", "shop", "growth",
         "eu"),
    ]  # fmt: skip
    field, reason, file = con.execute(
        "select field, reason, source_file from raw._quarantine"
    ).fetchone()
    assert field == "value" and "n/a" in reason and file == str(path)


def test_reimport_is_byte_identical_and_skipped_then_changes_replace(setup) -> None:
    url, landing, con = setup
    path = import_drivers(url, table="drivers", landing_dir=landing).path
    first = path.read_bytes()
    extract(con, DRIVERS, landing)

    # Same data in another row order: same bytes, and the loader skips the file.
    make_sqlite(Path(url.removeprefix("sqlite:///")), list(reversed(ROWS)))
    assert import_drivers(url, table="drivers", landing_dir=landing).path == path
    assert path.read_bytes() == first
    again = extract(con, DRIVERS, landing)
    assert (again.files_skipped_unchanged, again.files_loaded, again.rows_loaded) == (1, 0, 0)

    # A changed table replaces what the previous snapshot loaded.
    make_sqlite(Path(url.removeprefix("sqlite:///")), [ROWS[1]])
    import_drivers(url, table="drivers", landing_dir=landing)
    assert path.read_bytes() != first
    changed = extract(con, DRIVERS, landing)
    assert (changed.files_loaded, changed.rows_loaded, changed.rows_quarantined) == (1, 1, 0)
    assert loaded(con) == [
        ("2026-07-01", "orders", Decimal("17"), "count", "api", "platform", "us")
    ]
    assert con.execute("select count(*) from raw._quarantine").fetchone() == (0,)
    assert not [p for p in path.parent.iterdir() if p != path]  # no temp files left


def test_query_import(setup) -> None:
    url, landing, con = setup
    path = import_drivers(
        url,
        query="select Date as date, 'orders_eu' as driver, VALUE as value "
        "from drivers where \"Region Code\" = 'eu' and VALUE <> 'n/a'",
        landing_dir=landing,
    ).path
    assert path.name == "db_query.parquet"
    extract(con, DRIVERS, landing)
    assert con.execute(
        "select driver, sum(value)::varchar, count(*) from raw.business_drivers group by 1"
    ).fetchall() == [("orders_eu", "98765432111110.691256", 2)]


def test_missing_required_column_is_a_clear_error(setup, tmp_path: Path) -> None:
    url, landing, _ = setup
    with pytest.raises(DriversImportError, match=r"lacks required column\(s\) value"):
        import_drivers(url, query="select Date, Driver from drivers", landing_dir=landing)
    with pytest.raises(DriversImportError, match="no such table"):
        import_drivers(url, table="nope", landing_dir=landing)
    with pytest.raises(DriversImportError, match="not found"):
        import_drivers(f"sqlite:///{tmp_path}/absent.db", table="x", landing_dir=landing)
    assert not (tmp_path / "absent.db").exists()
    assert not (landing / "business").exists() or not any((landing / "business").iterdir())


def test_password_never_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cr%40t-Pa55"  # URL-encoded '@' inside: both spellings must vanish
    url = f"postgresql+nosuchdriver://finops:{secret}@db.invalid:5432/app"
    with pytest.raises(DriversImportError) as caught:
        import_drivers(url, table="drivers", landing_dir=tmp_path)
    message = str(caught.value)
    assert "s3cr" not in message and "Pa55" not in message and "finops:***@" in message

    code = drivers_db.main(["--url", url, "--table", "drivers", "--landing", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "s3cr" not in err and "Pa55" not in err and "Traceback" not in err


def test_cli_summary(setup, capsys: pytest.CaptureFixture[str]) -> None:
    url, landing, _ = setup
    args = ["--url", url, "--table", "drivers", "--landing", str(landing)]
    assert drivers_db.main(args) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("4 rows from sqlite:///") and "db_drivers.parquet (written" in out
    assert drivers_db.main(args) == 0
    assert "(unchanged" in capsys.readouterr().out


def test_duckdb_file_source(tmp_path: Path) -> None:
    source = tmp_path / "metrics.duckdb"
    with duckdb.connect(str(source)) as db:
        db.execute(
            """create schema kpi;
               create table kpi.daily ("DATE" date, driver varchar, Value decimal(18, 4),
                                       team varchar);
               insert into kpi.daily values
                   ('2026-07-01', 'active_users', 1234.5678, 'growth'),
                   ('2026-07-02', 'active_users', 0.0001, 'growth')"""
        )
    landing = tmp_path / "landing"
    path = import_drivers(f"duckdb:///{source}", table="kpi.daily", landing_dir=landing).path
    assert path.name == "db_kpi_daily.parquet"
    with duckdb.connect() as check:  # value is text in the file, never a float
        assert check.execute(
            "select value, typeof(value) from read_parquet(?) order by 1", [str(path)]
        ).fetchall() == [("0.0001", "VARCHAR"), ("1234.5678", "VARCHAR")]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        extract(con, DRIVERS, landing)
        assert con.execute(
            "select driver_date::varchar, value, team from raw.business_drivers order by 1"
        ).fetchall() == [
            ("2026-07-01", Decimal("1234.5678"), "growth"),
            ("2026-07-02", Decimal("0.0001"), "growth"),
        ]
