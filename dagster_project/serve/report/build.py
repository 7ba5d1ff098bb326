"""Builds the report: one self-contained HTML file (plotly.js, styles and scripts inline, no
web fonts, no request to anywhere) written atomically beside the published DuckDB file.

Pages are sections of the one file, shown by URL fragment: `#executive` and `#team-<slug>`
(one chargeback statement per team of the fact). Every headline figure carries
`data-metric` / `data-value` (and `data-currency`, `data-team`, ...) so a test can compare what
is shown with the marts."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from dagster_project.atomic import write_atomic
from dagster_project.serve.report import charts
from dagster_project.serve.report.data import TEAM_BREAKDOWNS, ReportData, Team, load
from dagster_project.serve.report.formatting import count, money, money_value, percent, unit_money

REPORT_NAME = "ai_finops_report.html"
TEMPLATES = Path(__file__).parent / "templates"


def report_path(publish_dir: Path) -> Path:
    return publish_dir / REPORT_NAME


@dataclass
class Cell:
    text: str
    sort: str | float | None = None  # what the column sorts by; the text when None
    numeric: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    empty: str  # what the page says when there are no rows


def _money_cell(amount: Decimal | None, currency: str | None, **attrs: str) -> Cell:
    value = money_value(amount)
    data = {key.replace("_", "-"): val for key, val in attrs.items()}
    if value is not None and data:
        data |= {"value": str(value), "currency": currency or ""}
    return Cell(money(amount, currency), None if value is None else float(value), True, data)


def _unit_cell(amount: Decimal | None, currency: str | None, **attrs: str) -> Cell:
    data = {key.replace("_", "-"): val for key, val in attrs.items()}
    if amount is not None and data:
        data |= {"value": str(amount), "currency": currency or ""}
    return Cell(unit_money(amount, currency), None if amount is None else float(amount), True, data)


def _num_cell(value: Any, places: int = 0) -> Cell:
    return Cell(count(value, places), None if value is None else float(value), True)


def _pct_cell(value: Any) -> Cell:
    return Cell(percent(value), None if value is None else float(value), True)


def _share_cell(low: float | None, high: float | None) -> Cell:
    """The share of each charge the team got (the allocation weight over the total)."""
    if low is None or high is None:
        return _text(None)
    text = percent(low) if low == high else f"{percent(low)} to {percent(high)}"
    return Cell(text, float(high), True)


def _text(value: Any) -> Cell:
    return Cell("\u2014" if value is None else str(value))


def team_slug(team_id: str, taken: set[str]) -> str:
    """A fragment-safe page id for any team id (spaces, slashes, non-ASCII): readable part plus,
    when the readable part is not the id itself or collides, a short hash."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", team_id).strip("-").lower() or "team"
    slug = f"team-{readable}"
    if readable != team_id or slug in taken:
        slug = f"{slug}-{hashlib.sha1(team_id.encode()).hexdigest()[:6]}"
    taken.add(slug)
    return slug


def _executive(data: ReportData, team_names: dict[str, str]) -> dict[str, Any]:
    def team_label(team_id: str) -> str:
        return team_names.get(team_id, team_id)

    kpis = []
    for row in data.totals:
        cur = row["billing_currency"]
        share = row["allocated"] / row["billed_cost"] if row["billed_cost"] else None
        kpis.append(
            {
                "currency": cur,
                "period": f"{row['first_day']} to {row['last_day']}",
                "figures": [
                    ("Billed", "billed_total", row["billed_cost"]),
                    ("Allocated to owners", "allocated_total", row["allocated"]),
                    ("Unallocated", "unallocated_total", row["unallocated"]),
                    ("Effective cost", "effective_total", row["effective_cost"]),
                ],
                "coverage": percent(share),
                "charges": count(row["charges"]),
            }
        )
    kpi_cells = [
        {
            "currency": k["currency"],
            "period": k["period"],
            "coverage": k["coverage"],
            "charges": k["charges"],
            "figures": [
                (label, _money_cell(amount, k["currency"], metric=metric))
                for label, metric, amount in k["figures"]
            ],
        }
        for k in kpis
    ]

    reconciliation = Table(
        [
            "Billing period", "Provider", "Billing account", "Invoice", "Billed",
            "Allocated to owners", "Unallocated", "To the unassigned owner", "Shared charges",
            "Coverage",
        ],
        [
            [
                _text(r["billing_period"]), _text(r["provider_id"]),
                _text(r["billing_account_id"]), _text(r["invoice_id"]),
                _money_cell(r["billed_cost"], r["billing_currency"]),
                _money_cell(r["allocated_to_owners"], r["billing_currency"]),
                _money_cell(r["unallocated"], r["billing_currency"]),
                _money_cell(r["allocated_to_unassigned_owner"], r["billing_currency"]),
                _money_cell(r["shared_charges"], r["billing_currency"]),
                _pct_cell(r["allocation_coverage"]),
            ]
            for r in data.reconciliation
        ],
        "No billed charges.",
    )  # fmt: skip

    monthly_team = Table(
        ["Month", "Team", "Billed cost"],
        [
            [
                _text(r["month"].strftime("%Y-%m")),
                _text(team_label(r["team_id"])),
                _money_cell(r["billed_cost"], r["billing_currency"]),
            ]
            for r in data.monthly_by_team
        ],
        "No costs.",
    )
    monthly_provider = Table(
        ["Month", "Provider", "Billed cost"],
        [
            [
                _text(r["month"].strftime("%Y-%m")),
                _text(r["provider_id"]),
                _money_cell(r["billed_cost"], r["billing_currency"]),
            ]
            for r in data.monthly_by_provider
        ],
        "No costs.",
    )

    unit_costs = Table(
        [
            "Month", "Driver", "By", "Value", "Driver value", "Cost", "Cost per driver",
            "Change vs prior month", "Tokens per driver", "Note",
        ],
        [
            [
                _text(r["period_start"].strftime("%Y-%m")),
                _text(r["driver_label"] or r["driver"]),
                _text(r["dimension"]),
                _text(team_label(r["dimension_value"]) if r["dimension"] == "team"
                      else r["dimension_value"]),
                _num_cell(r["driver_value"], 2),
                _money_cell(r["billed_cost"], r["billing_currency"]),
                _unit_cell(
                    r["cost_per_driver"], r["billing_currency"], metric="cost_per_driver",
                    driver=r["driver"], dimension=r["dimension"],
                    dimension_value=r["dimension_value"],
                    period=r["period_start"].isoformat(),
                ),
                _unit_cell(r["cost_per_driver_change"], r["billing_currency"]),
                _num_cell(r["tokens_per_driver"], 1),
                _text(r["incomplete_reason"] or ""),
            ]
            for r in data.unit_costs
        ],
        "No business drivers: load driver metrics (revenue, tickets resolved, ...) to see "
        "cost per driver.",
    )  # fmt: skip

    movers = Table(
        ["By", "Who", "Month", "This month", "Prior month", "Change"],
        [
            [
                _text(r["dimension"]),
                _text(team_label(r["value"]) if r["dimension"] == "team" else r["value"]),
                _text(r["this_month"].strftime("%Y-%m")),
                _money_cell(r["current"], r["billing_currency"]),
                _money_cell(r["prior"], r["billing_currency"]),
                _money_cell(r["change"], r["billing_currency"]),
            ]
            for r in data.movers
        ],
        "No month-over-month change (a single month of data or none).",
    )

    budgets = Table(
        [
            "Month", "Owner", "Kind", "Budget", "Actual to date", "Forecast month end",
            "Remaining", "Actual %", "Forecast %", "Status",
        ],
        [
            [
                _text(r["month_start"].strftime("%Y-%m")),
                _text(f"{r['owner_key']}: "
                      + (team_label(r["owner_value"]) if r["owner_key"] == "team"
                         else str(r["owner_value"]))),
                _text(r["budget_kind"]),
                _money_cell(r["budget_amount"], r["billing_currency"]),
                _money_cell(r["actual_to_date"], r["billing_currency"]),
                _money_cell(r["forecast_month_end"], r["billing_currency"]),
                _money_cell(r["remaining_budget"], r["billing_currency"]),
                _pct_cell(r["actual_pct_of_budget"]),
                _pct_cell(r["forecast_pct_of_budget"]),
                Cell(str(r["budget_status"]), attrs={"status": str(r["budget_status"])}),
            ]
            for r in data.budgets
        ],
        "No budgets: add rows to the budgets seed to track spend against them.",
    )  # fmt: skip

    anomalies = Table(
        ["Day", "Owner", "Metric", "Observed", "Expected", "Severity", "Root cause"],
        [
            [
                _text(r["anomaly_date"]),
                _text(f"{r['owner_key']}: "
                      + (team_label(r["owner_value"]) if r["owner_key"] == "team"
                         else str(r["owner_value"]))),
                _text(r["metric"]),
                _money_cell(r["observed"], r["billing_currency"]),
                _money_cell(r["expected"], r["billing_currency"]),
                _text(r["severity"]),
                _text(r["root_cause"]),
            ]
            for r in data.anomalies
        ],
        "No anomalies detected.",
    )  # fmt: skip

    waste = Table(
        ["Waste kind", "Estimated by", "Requests", "List cost", "Contracted cost"],
        [
            [
                _text(r["waste_kind"]), _text(r["estimate_method"]),
                _num_cell(r["request_count"]),
                _money_cell(r["list_cost_usd"], "USD"),
                _money_cell(r["contracted_cost_usd"], "USD"),
            ]
            for r in data.waste
        ],
        "No wasted requests found.",
    )  # fmt: skip
    cache_batch = Table(
        ["Month", "Provider", "Model", "Requests", "Caching saving", "Batch saving"],
        [
            [
                _text(r["month_start"].strftime("%Y-%m")), _text(r["provider_id"]),
                _text(r["model_id"]), _num_cell(r["request_count"]),
                _money_cell(r["caching_saving_usd"], "USD"),
                _money_cell(r["batch_saving_usd"], "USD"),
            ]
            for r in data.cache_batch
        ],
        "No caching or batch savings candidates.",
    )  # fmt: skip
    cheaper = Table(
        ["Month", "Provider", "Use case", "Model", "Cheaper candidate", "Requests",
         "Current cost", "Candidate cost", "Estimated saving"],
        [
            [
                _text(r["month_start"].strftime("%Y-%m")), _text(r["provider_id"]),
                _text(r["use_case"]), _text(r["model_id"]), _text(r["candidate_model_id"]),
                _num_cell(r["request_count"]),
                _money_cell(r["current_cost_usd"], "USD"),
                _money_cell(r["candidate_cost_usd"], "USD"),
                _money_cell(r["estimated_monthly_saving_usd"], "USD"),
            ]
            for r in data.cheaper_models
        ],
        "No cheaper model candidates.",
    )  # fmt: skip
    mismatches = Table(
        ["Month", "Finding", "Team", "Environment", "Model", "Requests", "List cost"],
        [
            [
                _text(r["month_start"].strftime("%Y-%m")), _text(r["finding"]),
                _text(team_label(r["team_id"])), _text(r["environment"]),
                _text(r["model_id"]), _num_cell(r["request_count"]),
                _money_cell(r["list_cost_usd"], "USD"),
            ]
            for r in data.environment_mismatches
        ],
        "No environment mismatches.",
    )  # fmt: skip
    gpu_idle = Table(
        ["Month", "Rule", "Team", "Capacity", "Host hours", "Billed cost"],
        [
            [
                _text(r["month_start"].strftime("%Y-%m")), _text(r["rule_id"]),
                _text(team_label(r["team_id"])), _text(r["capacity"]),
                _num_cell(r["host_hours"], 1),
                _money_cell(r["billed_cost"], r["billing_currency"]),
            ]
            for r in data.gpu_idle
        ],
        "No idle GPU cost.",
    )  # fmt: skip

    return {
        "kpis": kpi_cells,
        "charts": {
            "by_provider": charts.daily_stacked(
                data.daily_by_provider, "provider_id", "Billed cost per day, by provider"
            ),
            "by_team": charts.daily_stacked(
                data.daily_by_team, "team_id", "Cost per day, by owning team", team_names
            ),
            "reconciliation": charts.billed_vs_allocated(data.totals),
            "unit_costs": charts.unit_cost_trend(data.unit_costs, team_names),
            "tokens_per_driver": charts.unit_cost_trend(
                data.unit_costs, team_names, "tokens_per_driver"
            ),
            "budgets": charts.budgets(data.budgets, team_names),
        },
        "reconciliation": reconciliation,
        "monthly_team": monthly_team,
        "monthly_provider": monthly_provider,
        "unit_costs": unit_costs,
        "movers": movers,
        "budgets": budgets,
        "anomalies": anomalies,
        "waste": waste,
        "cache_batch": cache_batch,
        "cheaper": cheaper,
        "mismatches": mismatches,
        "gpu_idle": gpu_idle,
    }


def _team_page(team: Team, slug: str) -> dict[str, Any]:
    breakdowns = []
    for column, label in TEAM_BREAKDOWNS:
        rows = team.breakdowns.get(column, [])
        breakdowns.append(
            (
                label,
                Table(
                    [label, "Billed cost", "Effective cost", "Tokens"],
                    [
                        [
                            _text(r["value"]),
                            _money_cell(r["billed_cost"], r["billing_currency"]),
                            _money_cell(r["effective_cost"], r["billing_currency"]),
                            _num_cell(r["tokens"]),
                        ]
                        for r in rows
                    ],
                    f"No costs by {label.lower()}.",
                ),
            )
        )
    unit_costs = Table(
        ["Month", "Driver", "Driver value", "Cost", "Cost per driver", "Direct cost per driver",
         "Tokens per driver", "Note"],
        [
            [
                _text(r["period_start"].strftime("%Y-%m")),
                _text(r["driver_label"] or r["driver"]),
                _num_cell(r["driver_value"], 2),
                _money_cell(r["billed_cost"], r["billing_currency"]),
                _unit_cell(r["cost_per_driver"], r["billing_currency"],
                           metric="team_cost_per_driver", team=team.team_id,
                           driver=r["driver"], period=r["period_start"].isoformat()),
                _unit_cell(r["direct_cost_per_driver"], r["billing_currency"]),
                _num_cell(r["tokens_per_driver"], 1),
                _text(r["incomplete_reason"] or ""),
            ]
            for r in team.unit_costs
        ],
        "No business drivers are delivered by this team.",
    )  # fmt: skip
    allocation = Table(
        ["Method", "Rule", "Basis", "Its share of a charge", "How (one example)", "Charges",
         "Rows", "Billed cost"],
        [
            [
                _text(r["allocated_method_id"]), _text(r["rule_id"] or "(direct usage)"),
                _text(r["basis"]), _share_cell(r["min_share"], r["max_share"]),
                _text(r["example_scope"]), _num_cell(r["charges"]),
                _num_cell(r["rows"]), _money_cell(r["billed_cost"], r["billing_currency"]),
            ]
            for r in team.allocation
        ],
        "No allocated costs.",
    )  # fmt: skip
    shared = defaultdict(Decimal)
    for r in team.allocation:
        if r["rule_id"] is not None:
            shared[r["billing_currency"]] += r["billed_cost"]
    kinds = Table(
        ["Spend kind", "Environments", "Billed cost"],
        [
            [
                Cell(r["kind"]), _text(r["environments"]),
                _money_cell(r["billed_cost"], r["billing_currency"], metric="team_kind_total",
                            team=team.team_id, kind=r["kind"]),
            ]
            for r in team.environment_kinds
        ],
        "No costs.",
    )  # fmt: skip
    return {
        "slug": slug,
        "team_id": team.team_id,
        "name": team.name,
        "cost_center": team.cost_center,
        "totals": [
            {
                "billed": _money_cell(
                    r["billed_cost"], r["billing_currency"], metric="team_billed_total",
                    team=team.team_id,
                ),
                "effective": _money_cell(r["effective_cost"], r["billing_currency"]),
                "shared": _money_cell(
                    shared.get(r["billing_currency"], Decimal(0)), r["billing_currency"],
                    metric="team_shared_total", team=team.team_id,
                ),
                "charges": count(r["charges"]),
            }
            for r in team.totals
        ],
        "chart": charts.daily_single(team.daily, f"{team.name}: billed cost per day"),
        "breakdowns": breakdowns,
        "unit_costs": unit_costs,
        "allocation": allocation,
        "kinds": kinds,
    }  # fmt: skip


def render(data: ReportData, generated_at: datetime | None = None) -> tuple[str, dict]:
    """The report's HTML and what it holds (pages, teams)."""
    team_names = {team.team_id: team.name for team in data.teams}
    taken: set[str] = set()
    team_pages = [_team_page(team, team_slug(team.team_id, taken)) for team in data.teams]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure"] = charts.figure_json
    html = env.get_template("report.html.j2").render(
        generated_at=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        published_at=data.published_at,
        executive=_executive(data, team_names),
        teams=team_pages,
        plotly_js=charts.plotly_js(),
        style=(TEMPLATES / "report.css").read_text(),
        script=(TEMPLATES / "report.js").read_text(),
    )
    return html, {"pages": 1 + len(team_pages), "teams": len(team_pages)}


def build_report(published: Path, output: Path) -> dict[str, object]:
    """Reads the published DuckDB file (read-only) and writes the report to `output` through a
    temporary file (dagster_project.atomic), so a reader never sees half a report."""
    html, info = render(load(published))
    write_atomic(output, html)
    return {"path": str(output), "size": output.stat().st_size, **info}
