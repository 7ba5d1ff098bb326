"""Unit-economics KPIs: every catalog driver gets its KPIs whatever its name, each KPI has one
definition that every mart shares, a driver the catalog does not know is reported and warns,
and a day whose bill has not arrived has null unit costs, never a low or $0 one.

The dbt unit tests (models/marts/unit_economics/_unit_economics__models.yml,
models/staging/business/_business__models.yml) check the formulas on hand-computed rows; these
tests check the built warehouse and a copy of it changed the way a company's data would."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.serve.summary import build_summary
from tests.conftest import BuiltWarehouse
from tests.test_allocation_invariants import DBT

pytestmark = pytest.mark.integration

TEN_DECIMALS = Decimal("0.0000000001")


def _unit_cost(cost: Decimal, divisor: Decimal) -> Decimal:
    """money_divide: truncated toward zero at 10^-10."""
    return (cost / divisor).quantize(TEN_DECIMALS, rounding=ROUND_DOWN)


def test_every_delivered_catalog_driver_has_kpis_by_each_of_its_dimensions(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        expected = con.execute(
            """select distinct catalog.driver, catalog.dimension
               from staging.stg_business__driver_catalog as catalog
               join staging.stg_business__drivers as drivers
                 on drivers.driver = catalog.driver
               where case catalog.dimension
                       when 'product' then drivers.product
                       when 'team' then drivers.team_id
                       when 'cost_center' then drivers.cost_center_id
                       when 'use_case' then drivers.use_case
                       when 'feature' then drivers.feature
                       when 'environment' then drivers.environment end <> 'all'"""
        ).fetchall()
        reported = con.execute(
            """select distinct driver, dimension from marts.rpt_driver_unit_economics_long
               where cost_per_driver is not null"""
        ).fetchall()
    assert expected, "the demo delivers cataloged drivers"
    assert set(expected) <= set(reported)


def test_driver_marts_and_unit_economics_agree(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        # the month x product report is the driver mart's rows, not a second computation
        differences = con.execute(
            """select count(*) from (
                 (select period_start, dimension_value, billing_currency, driver, driver_value,
                         billed_cost, direct_billed_cost, cost_per_driver, direct_cost_per_driver,
                         tokens_per_driver, is_billing_complete, incomplete_reason
                  from marts.rpt_driver_unit_economics_long
                  where period_grain = 'month' and dimension = 'product')
                 except all
                 (select month_start, product, billing_currency, driver, driver_value,
                         billed_cost, direct_billed_cost, cost_per_driver, direct_cost_per_driver,
                         tokens_per_driver, is_billing_complete, incomplete_reason
                  from marts.rpt_cost_per_outcome_monthly))"""
        ).fetchone()[0]
        monthly = con.execute("select count(*) from marts.rpt_cost_per_outcome_monthly").fetchone()
        # the cost beside a driver is the slice's cost in rpt_unit_economics_long (sums the fact)
        slices = con.execute(
            """select d.billed_cost, d.direct_billed_cost, u.billed_cost, u.direct_billed_cost,
                      f.billed_cost, f.direct_billed_cost
               from marts.rpt_driver_unit_economics_long as d
               join marts.rpt_unit_economics_long as u using
                    (period_grain, period_start, dimension, dimension_value, billing_currency)
               join (select date_trunc('month', date_day) as period_start, product,
                            billing_currency, sum(billed_cost) as billed_cost,
                            sum(direct_billed_cost) as direct_billed_cost
                     from marts.fct_unit_economics_daily group by all) as f
                 on f.period_start = d.period_start and f.product = d.dimension_value
                 and f.billing_currency = d.billing_currency
               where d.period_grain = 'month' and d.dimension = 'product'"""
        ).fetchall()
        ratios = con.execute(
            """select billed_cost, direct_billed_cost, driver_value, cost_per_driver,
                      direct_cost_per_driver
               from marts.rpt_driver_unit_economics_long
               where is_billing_complete and driver_value <> 0"""
        ).fetchall()
    assert differences == 0 and monthly[0] > 0
    assert slices
    for driver_cost, driver_direct, slice_cost, slice_direct, fact_cost, fact_direct in slices:
        assert driver_cost == slice_cost == fact_cost
        assert driver_direct == slice_direct == fact_direct
    assert ratios
    for cost, direct, value, per_driver, direct_per_driver in ratios:
        assert per_driver == _unit_cost(cost, value)
        assert direct_per_driver == _unit_cost(direct, value)


def test_days_whose_bill_has_not_arrived_have_null_unit_costs(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        # days with billable requests after their billing account's last billed day, by team
        unbilled = con.execute(
            """with last_billed as (
                   select billing_account_id, max(charge_date) as last_billed_date
                   from marts.fct_allocated_costs group by billing_account_id)
               select distinct r.request_date, coalesce(r.team_id, 'unassigned')
               from marts.fct_llm_requests as r
               left join last_billed using (billing_account_id)
               where r.pricing_status <> 'not_billable'
                 and (last_billed.last_billed_date is null
                      or r.request_date > last_billed.last_billed_date)"""
        ).fetchall()
        day_rows = {
            (row[0], row[1]): row[2:]
            for row in con.execute(
                """select period_start, dimension_value, is_billing_complete, incomplete_reason,
                          cost_per_request, cost_per_1m_tokens, billed_cost, request_count
                   from marts.rpt_unit_economics_long
                   where period_grain = 'day' and dimension = 'team'"""
            ).fetchall()
        }
        driver_rows = con.execute(
            """select period_start, dimension_value, cost_per_driver, direct_cost_per_driver
               from marts.rpt_driver_unit_economics_long
               where period_grain = 'day' and dimension = 'team'
                 and incomplete_reason = 'not billed yet'"""
        ).fetchall()
    assert unbilled, "the demo's vendors bill a day late: its last day is not billed yet"
    for key in unbilled:
        complete, reason, per_request, per_token, _, _ = day_rows[key]
        assert (complete, reason, per_request, per_token) == (False, "not billed yet", None, None)
    # every other day with requests and cost has its unit cost
    billed_days = [v for k, v in day_rows.items() if k not in set(unbilled) and v[5] > 0]
    assert billed_days
    assert all(v[0] and v[1] is None and v[2] is not None for v in billed_days)
    assert driver_rows and all(row[2] is None and row[3] is None for row in driver_rows)


def test_uncataloged_drivers_warn_and_a_new_catalog_row_needs_no_sql(
    built_warehouse: BuiltWarehouse, tmp_path: Path
):
    """A company adds a driver to its catalog under an alias its export uses, and delivers
    another the catalog does not know: the first gets KPIs, the second is listed and warns."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """insert into reference.driver_catalog
                   (driver, aliases, label, unit_kind, period_aggregation, dimensions, description)
               values ('widgets_shipped', 'units_out|shipments', 'Widget shipped', 'count', 'sum',
                       'team', 'a driver no SQL names')"""
        )
        # a fully billed day and a team with cost on it
        day, team = con.execute(
            """select period_start, dimension_value from marts.rpt_unit_economics_long
               where period_grain = 'day' and dimension = 'team' and is_billing_complete
                 and billed_cost > 0 and dimension_value not in ('unassigned', 'unallocated')
               order by period_start, dimension_value limit 1"""
        ).fetchone()
        for name, value in (("Units_Out", 8), ("gizmos_made", 3)):
            con.execute(
                """insert into raw.business_drivers
                   select * replace (
                       $day as driver_date, $name as driver, $value::decimal(38, 6) as value,
                       'things' as unit, null as product, $team as team,
                       json_object('team', $team) as dimensions, md5($name) as row_hash)
                   from raw.business_drivers limit 1""",
                {"day": day, "name": name, "value": value, "team": team},
            )
    env = {**os.environ, "AIFINOPS_DUCKDB_PATH": str(copy)}
    result = subprocess.run(
        [DBT, "build", "--select", "stg_business__driver_names+", "stg_business__driver_catalog+",
         "stg_business__drivers+", "--exclude", "driver_catalog", "--profiles-dir",
         str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--no-partial-parse"],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    warned = [line for line in result.stdout.splitlines() if "WARN" in line]
    assert any("assert_every_delivered_driver_is_cataloged" in line for line in warned)
    with duckdb.connect(str(copy), read_only=True) as con:
        uncataloged = con.execute(
            "select delivered_driver, row_count from marts.rpt_uncataloged_drivers"
        ).fetchall()
        kpi = con.execute(
            """select driver_value, billed_cost, cost_per_driver, is_billing_complete
               from marts.rpt_driver_unit_economics_long
               where driver = 'widgets_shipped' and dimension = 'team' and period_grain = 'day'
                 and period_start = $day and dimension_value = $team""",
            {"day": day, "team": team},
        ).fetchall()
        summary = build_summary(con)
    assert ("gizmos_made", 1) in uncataloged
    assert len(kpi) == 1
    value, cost, per_driver, complete = kpi[0]
    assert value == 8 and complete and per_driver == _unit_cost(cost, value)
    assert "widgets_shipped" in summary and "gizmos_made" in summary


def test_summary_reports_cost_per_driver_for_the_catalog_drivers(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        drivers = [
            name
            for (name,) in con.execute(
                "select distinct driver from marts.rpt_driver_unit_economics_long order by 1"
            ).fetchall()
        ]
        summary = build_summary(con)
    assert drivers
    for driver in drivers:
        assert f"  {driver} " in summary


def test_the_catalog_check_is_a_warn_asset_check_on_the_report():
    import dagster as dg

    from dagster_project.definitions import build_definitions

    checks = {
        key.name
        for key in build_definitions().resolve_asset_graph().asset_check_keys
        if key.asset_key == dg.AssetKey(["marts", "rpt_uncataloged_drivers"])
    }
    assert "assert_every_delivered_driver_is_cataloged" in checks
