"""The short summary a person reads at the end of a run."""

from __future__ import annotations

from decimal import Decimal

import duckdb


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
        "top teams:",
        *[f"  {team:<14} {_money(cost)}" for team, cost in teams],
    ]
    return "\n".join(lines)
