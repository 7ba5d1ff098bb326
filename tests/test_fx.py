"""FX: rates from the seed and from ECB files in the landing folder, conversion to the reporting
currency, and the rule that a charge with no rate is never converted at 0 or 1.

The conversion arithmetic itself has dbt unit tests (models/intermediate/_intermediate__fx.yml:
a rate between two dates, inverse and cross rates, a missing rate, month-end basis, EUR as
reporting currency). Here: the landing file loader, a landed rate overriding a seed rate and a
reporting currency from the environment through dbt on real extracted files, and the demo's EUR
account through the whole pipeline."""

from __future__ import annotations

import os
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import db
from dagster_project.config import SEEDS_DIR
from dagster_project.demo import generator
from dagster_project.demo.generator import DemoConfig
from dagster_project.demo.prices import PriceBook
from dagster_project.extract.sources import SOURCES, SOURCES_BY_NAME, extract
from tests.conftest import BuiltWarehouse
from tests.dbt_copy import DbtCopy

FX = SOURCES_BY_NAME["fx_rates"]
TEN = Decimal("0.0000000001")


def _rates(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[Decimal, bool]]:
    return {
        (str(day), currency): (rate, superseded is None)
        for day, currency, rate, superseded in con.execute(
            "select rate_date, currency, rate, superseded_by from raw.fx_rates"
        ).fetchall()
    }


def test_ecb_history_file_loads_one_row_per_rate_and_quarantines_bad_cells(tmp_path: Path):
    fx = tmp_path / "landing" / "fx"
    fx.mkdir(parents=True)
    # the ECB's own layout: trailing comma, N/A for a currency not quoted that day
    (fx / "eurofxref-hist.csv").write_text(
        "Date,USD,JPY,GBP,\n2026-07-21,1.1702,172.35,N/A,\n2026-07-20,1.1690,abc,0.8610,\n"
    )
    con = duckdb.connect()
    summary = extract(con, FX, tmp_path / "landing")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (5, 4, 1)
    assert _rates(con) == {
        ("2026-07-21", "USD"): (Decimal("1.1702"), True),
        ("2026-07-21", "JPY"): (Decimal("172.35"), True),
        ("2026-07-20", "USD"): (Decimal("1.169"), True),
        ("2026-07-20", "GBP"): (Decimal("0.861"), True),
    }
    quarantined = con.execute(
        "select source_file, source_row, field, reason from raw._quarantine"
    ).fetchall()
    assert quarantined == [
        (str(fx / "eurofxref-hist.csv"), 3, "JPY", "rate for JPY is not a positive number: abc")
    ]


def test_daily_ecb_file_and_an_unreadable_file(tmp_path: Path):
    fx = tmp_path / "landing" / "fx"
    fx.mkdir(parents=True)
    # eurofxref.csv (the latest day) writes the date in words and spaces after the commas
    (fx / "eurofxref.csv").write_text("Date, USD, GBP, \n22 July 2026, 1.1725, 0.8633, \n")
    (fx / "rates.csv").write_text("day,currency,rate\n2026-07-22,USD,1.17\n")
    con = duckdb.connect()
    extract(con, FX, tmp_path / "landing")
    assert _rates(con) == {
        ("2026-07-22", "USD"): (Decimal("1.1725"), True),
        ("2026-07-22", "GBP"): (Decimal("0.8633"), True),
    }
    state, reason = con.execute(
        "select state, reason from raw._landing_files where source_file like '%rates.csv'"
    ).fetchone()
    assert state == "failed" and "'Date' was expected" in reason


def test_a_later_file_restating_a_day_supersedes_and_a_deleted_file_retracts(tmp_path: Path):
    landing = tmp_path / "landing"
    (landing / "fx").mkdir(parents=True)
    first = landing / "fx" / "eurofxref-hist-2026-07-21.csv"
    first.write_text("Date,USD,\n2026-07-21,1.1702,\n2026-07-20,1.1690,\n")
    os.utime(first, (1_780_000_000, 1_780_000_000))
    second = landing / "fx" / "eurofxref-hist-2026-07-22.csv"
    second.write_text("Date,USD,\n2026-07-22,1.1725,\n2026-07-21,1.1710,\n")
    os.utime(second, (1_780_100_000, 1_780_100_000))
    con = duckdb.connect()
    extract(con, FX, landing)
    rates = con.execute(
        """select rate_date::varchar, rate, superseded_by is null from raw.fx_rates
           order by rate_date, superseded_by is null"""
    ).fetchall()
    assert rates == [
        ("2026-07-20", Decimal("1.169"), True),
        ("2026-07-21", Decimal("1.1702"), False),  # restated by the later file
        ("2026-07-21", Decimal("1.171"), True),
        ("2026-07-22", Decimal("1.1725"), True),
    ]
    second.unlink()
    extract(con, FX, landing)
    assert con.execute("select count(*), count(superseded_by) from raw.fx_rates").fetchone() == (
        2,
        0,
    )
    assert con.execute(
        "select state from raw._landing_files where source_file = ?", [str(second)]
    ).fetchone() == ("retracted",)


def _eu_landing(landing: Path) -> None:
    """Two days of the demo's EUR-billed account (spans and FOCUS export), the same export
    re-billed in USD and in JPY (no JPY rate anywhere), and an ECB file restating the seed's
    EUR -> USD rate of 15 July 2026 (seed: 1.1702) as 1.2000."""
    cfg = DemoConfig(seed=3, start=date(2026, 7, 20), days=2, requests_per_day=100)
    truth = {"requests": 0, "successful_requests": 0, "requests_by_channel": {},
             "requests_by_provider": {}, "billed_usd_total": "0",
             "tokens": {"uncached_input": 0, "input_total": 0, "output": 0}}  # fmt: skip
    generator._write_aws_eu_account(cfg, PriceBook(SEEDS_DIR), landing, truth, SEEDS_DIR)
    eu = landing / "focus" / "aws-eu" / "billing_period=2026-07" / "focus-00001.snappy.parquet"
    with db.connect() as con:
        for currency, export in (("USD", "aws-us"), ("JPY", "aws-jp")):
            folder = landing / "focus" / export / "billing_period=2026-07"
            folder.mkdir(parents=True)
            con.execute(
                f"""copy (select * replace (? as BillingCurrency,
                                             BillingAccountId || ? as BillingAccountId)
                          from read_parquet('{eu}'))
                    to '{folder / "focus-00001.snappy.parquet"}' (format parquet)""",
                [currency, export],
            )
    (landing / "fx").mkdir()
    (landing / "fx" / "eurofxref-hist.csv").write_text("Date,USD,\n2026-07-15,1.2000,\n")


@pytest.fixture(scope="module")
def fx_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DbtCopy:
    root = tmp_path_factory.mktemp("fx")
    copy = DbtCopy(root)
    _eu_landing(root / "landing")
    with db.connect(copy.warehouse) as con:
        for source in SOURCES:
            extract(con, source, root / "landing")
    result = copy.dbt("build", "--exclude", "resource_type:unit_test")
    # the JPY charges have no rate: the build fails, naming it (see below)
    assert result.returncode != 0 and "assert_every_charge_has_a_reporting_rate" in result.stdout
    return copy


def _charges(copy: DbtCopy) -> dict[str, list[tuple]]:
    rows = copy.query(
        """select billing_currency, charge_id, any_value(fx_rate), any_value(reporting_currency),
                  sum(billed_cost), sum(billed_cost_reporting), sum(effective_cost),
                  sum(effective_cost_reporting)
           from marts.fct_allocated_costs group by 1, 2 order by 1, 2"""
    )
    found: dict[str, list[tuple]] = {}
    for currency, *rest in rows:
        found.setdefault(currency, []).append(tuple(rest))
    return found


def _converted(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(TEN, rounding=ROUND_HALF_UP)


def test_a_landed_rate_overrides_the_seed_and_a_missing_rate_stays_null(fx_warehouse: DbtCopy):
    charges = _charges(fx_warehouse)
    assert set(charges) == {"EUR", "USD", "JPY"} and all(len(v) >= 4 for v in charges.values())
    for _charge, rate, reporting, billed, billed_rep, effective, effective_rep in charges["EUR"]:
        # 1 EUR = 1.2000 USD from the landed file, not the seed's 1.1702
        assert (rate, reporting) == (Decimal("1.2"), "USD")
        assert billed_rep == _converted(billed, Decimal("1.2"))
        assert effective_rep == _converted(effective, Decimal("1.2"))
    for _charge, rate, _reporting, billed, billed_rep, *_ in charges["USD"]:
        assert rate == 1 and billed_rep == billed
    for _charge, rate, _reporting, _billed, billed_rep, _effective, effective_rep in charges["JPY"]:
        assert rate is None and billed_rep is None and effective_rep is None
    # the reporting-currency split of every charge adds up to its converted cost
    assert (
        fx_warehouse.query(
            """select count(*) from marts.fct_allocated_costs as fact
           join intermediate.int_charges_converted_to_reporting_currency as charge
               using (charge_id)
           group by charge_id
           having sum(fact.billed_cost_reporting)
               is distinct from any_value(charge.billed_cost_reporting)"""
        )
        == []
    )


def test_missing_rate_test_names_the_currency_and_day(fx_warehouse: DbtCopy):
    result = fx_warehouse.dbt(
        "test", "--select", "assert_every_charge_has_a_reporting_rate", "--store-failures"
    )
    assert result.returncode != 0
    failures = fx_warehouse.query(
        """select billing_currency, reporting_currency, fx_rate_date::varchar, reason
           from dbt_test__audit.assert_every_charge_has_a_reporting_rate order by 3"""
    )
    assert [row[:3] for row in failures] == [
        ("JPY", "USD", "2026-07-20"),
        ("JPY", "USD", "2026-07-21"),
    ]
    assert "no FX rate JPY -> USD in force on 2026-07-20" in failures[0][3]


def test_reporting_currency_from_the_environment(
    fx_warehouse: DbtCopy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("AIFINOPS_REPORTING_CURRENCY", "eur")
    result = fx_warehouse.dbt(
        "run", "--select",
        "int_charges_converted_to_reporting_currency int_costs_allocated_to_owners "
        "fct_allocated_costs", "--target-path", str(tmp_path / "target"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    charges = _charges(fx_warehouse)
    # 1 USD = 1 / 1.2 EUR, truncated at 10 decimals
    inverse = (1 / Decimal("1.2")).quantize(TEN, rounding=ROUND_DOWN)
    assert inverse == Decimal("0.8333333333")
    for _charge, rate, reporting, billed, billed_rep, *_ in charges["USD"]:
        assert (rate, reporting) == (inverse, "EUR")
        assert billed_rep == _converted(billed, inverse)
    for _charge, rate, reporting, billed, billed_rep, *_ in charges["EUR"]:
        assert (rate, reporting, billed_rep) == (1, "EUR", billed)
    monkeypatch.setenv("AIFINOPS_REPORTING_CURRENCY", "euro")
    bad = fx_warehouse.dbt(
        "run", "--select", "int_charges_converted_to_reporting_currency",
        "--target-path", str(tmp_path / "target-bad"),
    )  # fmt: skip
    assert bad.returncode != 0 and "must be an ISO 4217 code" in bad.stdout


@pytest.mark.integration
def test_demo_eur_account_is_allocated_and_converted(built_warehouse: BuiltWarehouse):
    eur = built_warehouse.truth["eur_account"]
    with built_warehouse.connect() as con:
        billed, unallocated, rows_without_rate = con.execute(
            """select sum(billed_cost), sum(billed_cost) filter (where is_unallocated),
                      count(*) - count(billed_cost_reporting)
               from marts.fct_allocated_costs where billing_currency = 'EUR'"""
        ).fetchone()
        per_charge = con.execute(
            """select charge_id, any_value(charge_date), any_value(fx_rate),
                      sum(billed_cost), sum(billed_cost_reporting)
               from marts.fct_allocated_costs where billing_currency = 'EUR' group by 1"""
        ).fetchall()
        total_reporting = con.execute(
            "select sum(billed_cost_reporting) from marts.fct_allocated_costs"
        ).fetchone()[0]
        daily_reporting = con.execute(
            "select sum(billed_cost_reporting) from marts.fct_unit_economics_daily"
        ).fetchone()[0]
    assert billed == Decimal(eur["billed_eur"]) and rows_without_rate == 0
    assert unallocated is None  # every EUR token line found the usage logged from its account
    lines = (SEEDS_DIR / "fx_rates.csv").read_text().splitlines()[1:]
    seed = [
        (date.fromisoformat(r[2]), Decimal(r[3]))
        for r in (line.split(",") for line in lines)
        if r[0] == "EUR" and r[1] == "USD"
    ]
    assert len(per_charge) == eur["bill_lines"]
    for _charge, day, rate, charge_billed, charge_reporting in per_charge:
        in_force = max((d, r) for d, r in seed if d <= day)[1]
        assert rate == in_force
        assert charge_reporting == _converted(charge_billed, in_force)
    assert daily_reporting == total_reporting


def test_fx_seed_covers_the_demo_period():
    rows = (SEEDS_DIR / "fx_rates.csv").read_text().splitlines()
    assert rows[0] == "from_currency,to_currency,valid_from,rate,source"
    start = DemoConfig().start
    assert any(r.startswith("EUR,USD,") and r.split(",")[2] <= str(start) for r in rows[1:])


@pytest.mark.integration
def test_summary_shows_each_billing_currency_and_the_reporting_total(
    built_warehouse: BuiltWarehouse,
):
    from dagster_project.serve.summary import build_summary

    with built_warehouse.connect() as con:
        summary = build_summary(con)
        total = con.execute(
            "select sum(billed_cost_reporting) from marts.fct_allocated_costs"
        ).fetchone()[0]
    eur = Decimal(built_warehouse.truth["billed_by_currency"]["EUR"])
    usd = Decimal(built_warehouse.truth["billed_by_currency"]["USD"])
    assert f"billed in EUR            {eur:,.2f} EUR" in summary
    assert f"billed in USD            {usd:,.2f} USD" in summary
    assert f"billed total            {total:,.2f} USD (reporting currency)" in summary
    assert usd < total < usd + eur * 2  # EUR converted at about 1.17, not added as dollars
