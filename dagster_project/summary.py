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


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def build_summary(con: duckdb.DuckDBPyConnection) -> str:
    billed, allocated, unallocated = con.execute(
        """select sum(billed_cost), sum(allocated_to_owners), sum(unallocated)
           from marts.rpt_allocation_reconciliation"""
    ).fetchone()
    teams = con.execute(
        """select team_id, sum(billed_cost) from marts.fct_allocated_costs
           where not is_unallocated group by team_id order by 2 desc limit 5"""
    ).fetchall()
    tickets = con.execute(
        """select sum(allocated_cost), sum(tickets_resolved)
           from marts.rpt_cost_per_outcome_monthly where product = 'helpdesk'"""
    ).fetchone()
    requests, unpriced = con.execute(
        """select count(*), count(*) filter (where pricing_status = 'unpriced')
           from marts.fct_llm_requests"""
    ).fetchone()
    quarantined = con.execute("select count(*) from raw._quarantine").fetchone()[0]
    share = (unallocated / billed * 100) if billed else Decimal(0)
    per_ticket = (tickets[0] / tickets[1]) if tickets[1] else None
    lines = [
        "",
        "AI spend summary",
        "----------------",
        f"billed total            {_money(billed)}",
        f"allocated to owners     {_money(allocated)}",
        f"unallocated             {_money(unallocated)} ({share:.2f}% of billed)",
        f"requests                {requests:,} ({unpriced:,} on models with no price: flagged)",
        f"rows quarantined        {quarantined:,} (see raw._quarantine)",
        f"cost per ticket resolved {_money(per_ticket)} (helpdesk)",
        "billed per source       in the files (in force) / in the marts",
        *[
            f"  {name:<22} {files:,.2f} / {marts:,.2f} {currency}"
            + ("" if files == marts else "  <- differs")
            for name, currency, files, marts in billed_per_source(con)
        ],
        "top teams:",
        *[f"  {team:<14} {_money(cost)}" for team, cost in teams],
    ]
    return "\n".join(lines)
