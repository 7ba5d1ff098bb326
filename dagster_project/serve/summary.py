"""The short summary a person reads at the end of a run."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from dagster_project.extract.sources import SOURCES_BY_NAME

# What each bill source's raw rows say was billed, in the bill's currency.
BILLED_IN_FILES = {
    "openai_costs": ("amount_value", "amount_currency"),
    "anthropic_cost_report": ("cast(amount_cents * 0.01 as decimal(38, 12))", "currency"),
    "focus_billing": ('try_cast("BilledCost" as decimal(38, 10))', '"BillingCurrency"'),
}


def billed_per_source(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, Decimal, Decimal]]:
    """(bill source, currency, billed in the files, billed in the marts): the files' side is
    the sum of the rows in force (not superseded); the marts' side is the cost fact's billed
    cost of the charges that came from that source's files."""
    found = []
    for name, (amount, currency) in BILLED_IN_FILES.items():
        table = SOURCES_BY_NAME[name].table
        found += con.execute(
            f"""with files as (
                    select upper({currency}) as currency, sum({amount}) as billed
                    from {table} where superseded_by is null group by all
                ),
                marts as (
                    select upper(billing_currency) as currency, sum(billed_cost) as billed
                    from marts.fct_allocated_costs
                    where source_file in (select source_file from {table})
                    group by all
                )
                select ?, currency, coalesce(files.billed, 0), coalesce(marts.billed, 0)
                from files full join marts using (currency)
                order by currency""",
            [name],
        ).fetchall()
    return found


def _driver_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Fully loaded cost per driver for every catalog driver, over its latest fully billed
    month, by the first dimension the catalog delivers it by (summed over that dimension's
    values, never over two dimensions at once)."""
    rows = con.execute(
        """with by_driver as (
               select driver, min(dimension) as dimension
               from marts.rpt_driver_unit_economics_long
               where period_grain = 'month' group by driver
           ),
           months as (
               select r.driver, r.dimension, r.period_start, r.billing_currency,
                      any_value(r.driver_label) as label, any_value(r.unit_kind) as unit_kind,
                      bool_and(r.is_billing_complete) as complete,
                      sum(r.billed_cost) as cost, sum(r.driver_value) as value
               from marts.rpt_driver_unit_economics_long as r
               join by_driver using (driver, dimension)
               where r.period_grain = 'month'
               group by all
           )
           select driver, label, unit_kind, dimension, billing_currency, period_start, cost, value
           from months where complete
           qualify row_number() over (
               partition by driver, billing_currency order by period_start desc) = 1
           order by driver, billing_currency"""
    ).fetchall()
    lines = []
    for driver, label, unit_kind, dimension, currency, month, cost, value in rows:
        where = f"({month:%Y-%m}, by {dimension})"
        if not value:
            figure = "n/a"
        elif unit_kind == "currency":
            figure = f"{cost / value * 100:.4f}% of {label.lower()}"
        else:
            figure = f"{cost / value:,.4f} {currency} per {label.lower()}"
        lines.append(f"  {driver:<26} {figure} {where}")
    uncataloged = [
        name
        for (name,) in con.execute(
            "select delivered_driver from marts.rpt_uncataloged_drivers order by 1"
        ).fetchall()
    ]
    if uncataloged:
        lines.append(
            f"  not in the driver catalog (no KPI): {', '.join(uncataloged)}"
            " (see marts.rpt_uncataloged_drivers)"
        )
    return lines


def _usage_api_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Traffic the vendors' usage APIs counted but no log saw (marts.rpt_usage_reconciliation),
    per provider and project / workspace: calls that bypass the gateway."""
    rows = con.execute(
        """select provider_id, coalesce(sub_account_id, '(default)'), sum(token_difference),
                  count(distinct usage_date)
           from marts.rpt_usage_reconciliation
           where reconciliation_status = 'unlogged_traffic'
           group by 1, 2 order by 3 desc limit 5"""
    ).fetchall()
    return [
        f"  {provider}/{project}: {tokens:,} tokens on {days} day(s) not in the logs"
        for provider, project, tokens, days in rows
    ]


def _in(value: Decimal | None, currency: str) -> str:
    return "n/a" if value is None else f"{value:,.2f} {currency}"


def _reporting_totals(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str]]:
    """(reporting currency, lines): billed per billing currency (never summed across them) and
    the one total in the reporting currency; n/a with the reason when a charge has no rate."""
    per_currency = con.execute(
        """select billing_currency, sum(billed_cost) from marts.fct_allocated_costs
           group by 1 order by 1"""
    ).fetchall()
    currency, total, missing = con.execute(
        """select coalesce(any_value(reporting_currency), '?'), sum(billed_cost_reporting),
                  count(*) - count(billed_cost_reporting)
           from marts.fct_allocated_costs"""
    ).fetchone()
    lines = [f"billed in {cur:<14} {_in(amount, cur)}" for cur, amount in per_currency]
    lines.append(
        f"billed total            {_in(total, currency)} (reporting currency)"
        if not missing
        else f"billed total            n/a in {currency}: {missing:,} row(s) have no FX rate "
        "(see the test assert_every_charge_has_a_reporting_rate)"
    )
    return currency, lines


def build_summary(con: duckdb.DuckDBPyConnection) -> str:
    currency, billed_lines = _reporting_totals(con)
    billed, allocated, unallocated = con.execute(
        """select sum(billed_cost_reporting),
                  sum(billed_cost_reporting) filter (where not is_unallocated),
                  coalesce(sum(billed_cost_reporting) filter (where is_unallocated), 0)
           from marts.fct_allocated_costs"""
    ).fetchone()
    teams = con.execute(
        """select team_id, sum(billed_cost_reporting) from marts.fct_allocated_costs
           where not is_unallocated group by team_id order by 2 desc nulls last limit 5"""
    ).fetchall()
    requests, unpriced = con.execute(
        """select count(*), count(*) filter (where pricing_status = 'unpriced')
           from marts.fct_llm_requests"""
    ).fetchone()
    quarantined = con.execute("select count(*) from raw._quarantine").fetchone()[0]
    share = (unallocated / billed * 100) if billed else Decimal(0)
    lines = [
        "",
        "AI spend summary",
        "----------------",
        *billed_lines,
        f"allocated to owners     {_in(allocated, currency)}",
        f"unallocated             {_in(unallocated, currency)} ({share:.2f}% of billed)",
        f"requests                {requests:,} ({unpriced:,} on models with no price: flagged)",
        f"rows quarantined        {quarantined:,} (see raw._quarantine)",
        "cost per business driver (fully loaded, latest fully billed month):",
        *(_driver_lines(con) or ["  none (no driver delivered that the catalog lists)"]),
        "billed per source       in the files (in force) / in the marts",
        *[
            f"  {name:<22} {files:,.2f} / {marts:,.2f} {currency}"
            + ("" if files == marts else "  <- differs")
            for name, currency, files, marts in billed_per_source(con)
        ],
        "unlogged traffic        usage APIs above the logs (bypasses the gateway):",
        *(_usage_api_lines(con) or ["  none"]),
        f"top teams ({currency}):",
        *[f"  {team:<14} {_in(cost, currency)}" for team, cost in teams],
    ]
    return "\n".join(lines)
