"""What the report shows, read from the published DuckDB file (read-only).

Every figure is a query on a mart: the report adds no definition of its own. Money stays
Decimal from DuckDB to the printed page. Owner keys, teams, products and models are whatever
the marts hold (any company); team display names come from the marts' `team_name` /
`cost_center_name` columns where the mart has them, else from the org seed `org_teams`.
A missing mart is an error that names it; an empty mart is an explicit "none" on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project import db

FACT = "marts.fct_allocated_costs"
# The owner keys a chargeback statement breaks a team's costs down by (fact columns).
TEAM_BREAKDOWNS = (
    ("product", "Product"),
    ("use_case", "Use case"),
    ("feature", "Feature"),
    ("model_id", "Model"),
    ("environment", "Environment"),
)
REQUIRED_TABLES = (
    "marts.fct_allocated_costs",
    "marts.rpt_allocation_reconciliation",
    "marts.rpt_driver_unit_economics_long",
    "marts.rpt_budget_status",
    "marts.rpt_cost_anomalies",
    "marts.rpt_request_waste",
    "marts.rpt_cache_batch_savings",
    "marts.rpt_cheaper_model_candidates",
    "marts.rpt_environment_mismatches",
    "marts.rpt_gpu_idle_cost",
    "reference.org_teams",
    "reference.budget_environment_kinds",
)


class ReportDataError(RuntimeError):
    """The published file cannot feed the report (a mart is missing)."""


@dataclass
class Team:
    team_id: str
    name: str
    cost_center: str | None
    totals: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unit_costs: list[dict[str, Any]] = field(default_factory=list)
    allocation: list[dict[str, Any]] = field(default_factory=list)
    environment_kinds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportData:
    published_at: str | None
    totals: list[dict[str, Any]]
    reconciliation: list[dict[str, Any]]
    daily_by_provider: list[dict[str, Any]]
    daily_by_team: list[dict[str, Any]]
    monthly_by_provider: list[dict[str, Any]]
    monthly_by_team: list[dict[str, Any]]
    unit_costs: list[dict[str, Any]]
    movers: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    anomalies: list[dict[str, Any]]
    waste: list[dict[str, Any]]
    cache_batch: list[dict[str, Any]]
    cheaper_models: list[dict[str, Any]]
    environment_mismatches: list[dict[str, Any]]
    gpu_idle: list[dict[str, Any]]
    teams: list[Team]


@contextmanager
def open_published(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        raise ReportDataError(f"published file {path} does not exist: publish the marts first")
    con = db.connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    schema, name = table.split(".")
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    missing = [table for table in REQUIRED_TABLES if table not in present]
    if missing:
        raise ReportDataError(
            f"the published file lacks {', '.join(missing)}: the report reads these marts"
        )


def _team_names(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for team_id -> team_name, cost_center_name: the fact's own name columns when part of
    the mart (BI adds them), else the org seed as it is in the warehouse."""
    fact_columns = _columns(con, FACT)
    if {"team_name", "cost_center_name"} <= fact_columns:
        return f"""select team_id, any_value(team_name) as team_name,
                          any_value(cost_center_name) as cost_center_name
                   from {FACT} group by team_id"""
    return """select team_id, any_value(team_name) as team_name,
                     any_value(cost_center_name) as cost_center_name
              from reference.org_teams group by team_id"""


def load(path: Path) -> ReportData:
    with open_published(path) as con:
        _check_tables(con)
        return _load(con)


def _load(con: duckdb.DuckDBPyConnection) -> ReportData:
    published_at = None
    if "_publication" in {r[0] for r in con.execute("show tables from marts").fetchall()}:
        row = con.execute("select max(published_at) from marts._publication").fetchone()
        published_at = str(row[0]) if row and row[0] is not None else None

    totals = _rows(
        con,
        f"""select billing_currency,
                   sum(billed_cost) as billed_cost,
                   sum(effective_cost) as effective_cost,
                   coalesce(sum(billed_cost) filter (where not is_unallocated), 0) as allocated,
                   coalesce(sum(billed_cost) filter (where is_unallocated), 0) as unallocated,
                   count(distinct charge_id) as charges,
                   min(charge_date) as first_day, max(charge_date) as last_day
            from {FACT} group by billing_currency order by billing_currency""",
    )
    reconciliation = _rows(
        con,
        """select provider_id, billing_account_id, invoice_id,
                  cast(billing_period_start as date) as billing_period,
                  billing_currency, billed_cost, allocated_to_owners, unallocated,
                  allocated_to_unassigned_owner, shared_charges, allocation_coverage
           from marts.rpt_allocation_reconciliation
           order by billing_period, provider_id, billing_account_id, invoice_id""",
    )
    daily_by_provider = _rows(
        con,
        f"""select charge_date, provider_id, billing_currency, sum(billed_cost) as billed_cost
            from {FACT} group by all order by 1, 2""",
    )
    daily_by_team = _rows(
        con,
        f"""select charge_date, team_id, billing_currency, sum(billed_cost) as billed_cost
            from {FACT} group by all order by 1, 2""",
    )
    monthly_by_provider = _rows(
        con,
        f"""select date_trunc('month', charge_date) as month, provider_id, billing_currency,
                   sum(billed_cost) as billed_cost
            from {FACT} group by all order by 1, 2""",
    )
    monthly_by_team = _rows(
        con,
        f"""select date_trunc('month', charge_date) as month, team_id, billing_currency,
                   sum(billed_cost) as billed_cost
            from {FACT} group by all order by 1, 2""",
    )
    unit_costs = _rows(
        con,
        """select period_start, dimension, dimension_value, billing_currency, driver,
                  driver_label, driver_value, billed_cost, total_tokens, cost_per_driver,
                  cost_per_driver_change, direct_cost_per_driver, tokens_per_driver,
                  tokens_per_driver_change, incomplete_reason
           from marts.rpt_driver_unit_economics_long
           where period_grain = 'month'
           order by driver, dimension, dimension_value, period_start""",
    )
    movers = _rows(
        con,
        f"""with monthly as (
                select 'team' as dimension, team_id as value, billing_currency,
                       date_trunc('month', charge_date) as month, sum(billed_cost) as cost
                from {FACT} group by all
                union all
                select 'model', coalesce(model_id, '(no model)'), billing_currency,
                       date_trunc('month', charge_date), sum(billed_cost)
                from {FACT} group by all
            ),
            months as (
                select max(month) as this_month from monthly
            ),
            compared as (
                select monthly.dimension, monthly.value, monthly.billing_currency,
                       months.this_month,
                       coalesce(sum(cost) filter (where month = months.this_month), 0) as current,
                       coalesce(sum(cost) filter (
                           where month = months.this_month - interval 1 month), 0) as prior
                from monthly cross join months
                group by all
            )
            select *, current - prior as change from compared
            where current <> prior
            order by abs(current - prior) desc, dimension, value
            limit 20""",
    )
    budgets = _rows(
        con,
        """select month_start, owner_key, owner_value, budget_kind, billing_currency,
                  budget_amount, actual_to_date, forecast_month_end, remaining_budget,
                  actual_pct_of_budget, forecast_pct_of_budget, budget_status, as_of_date
           from marts.rpt_budget_status
           order by month_start desc, owner_key, owner_value, budget_kind""",
    )
    anomalies = _rows(
        con,
        """select anomaly_date, owner_key, owner_value, metric, billing_currency, observed,
                  expected, severity, root_cause
           from marts.rpt_cost_anomalies
           order by anomaly_date desc, severity, owner_key, owner_value""",
    )
    waste = _rows(
        con,
        """select waste_kind, estimate_method,
                  cast(sum(request_count) as bigint) as request_count,
                  sum(estimated_list_cost_usd) as list_cost_usd,
                  sum(estimated_contracted_cost_usd) as contracted_cost_usd
           from marts.rpt_request_waste group by all
           order by contracted_cost_usd desc nulls last, waste_kind""",
    )
    cache_batch = _rows(
        con,
        """select month_start, provider_id, model_id,
                  cast(sum(request_count) as bigint) as request_count,
                  sum(estimated_caching_saving_usd) as caching_saving_usd,
                  sum(estimated_batch_saving_usd) as batch_saving_usd
           from marts.rpt_cache_batch_savings group by all
           having coalesce(sum(estimated_caching_saving_usd), 0)
                  + coalesce(sum(estimated_batch_saving_usd), 0) <> 0
           order by month_start desc, caching_saving_usd + batch_saving_usd desc""",
    )
    cheaper_models = _rows(
        con,
        """select month_start, provider_id, use_case, model_id, candidate_model_id,
                  request_count, current_cost_usd, candidate_cost_usd,
                  estimated_monthly_saving_usd
           from marts.rpt_cheaper_model_candidates
           order by month_start desc, estimated_monthly_saving_usd desc""",
    )
    environment_mismatches = _rows(
        con,
        """select month_start, finding, team_id, environment, model_id,
                  cast(sum(request_count) as bigint) as request_count,
                  sum(list_cost_usd) as list_cost_usd
           from marts.rpt_environment_mismatches group by all
           order by month_start desc, list_cost_usd desc nulls last""",
    )
    gpu_idle = _rows(
        con,
        """select month_start, rule_id, team_id, capacity, billing_currency, host_hours,
                  billed_cost
           from marts.rpt_gpu_idle_cost
           order by month_start desc, billed_cost desc""",
    )
    teams = _load_teams(con)
    return ReportData(
        published_at=published_at,
        totals=totals,
        reconciliation=reconciliation,
        daily_by_provider=daily_by_provider,
        daily_by_team=daily_by_team,
        monthly_by_provider=monthly_by_provider,
        monthly_by_team=monthly_by_team,
        unit_costs=unit_costs,
        movers=movers,
        budgets=budgets,
        anomalies=anomalies,
        waste=waste,
        cache_batch=cache_batch,
        cheaper_models=cheaper_models,
        environment_mismatches=environment_mismatches,
        gpu_idle=gpu_idle,
        teams=teams,
    )


def _by_team(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.pop("team_id"), []).append(row)
    return grouped


def _load_teams(con: duckdb.DuckDBPyConnection) -> list[Team]:
    """Every team_id of the fact, the unassigned owner and the unallocated bucket included."""
    names = _team_names(con)
    team_rows = _rows(
        con,
        f"""select fact.team_id, any_value(names.team_name) as team_name,
                   string_agg(distinct coalesce(names.cost_center_name, fact.cost_center_id),
                              ', ' order by coalesce(names.cost_center_name,
                                                     fact.cost_center_id)) as cost_center
            from {FACT} as fact
            left join ({names}) as names on fact.team_id = names.team_id
            group by fact.team_id order by fact.team_id""",
    )
    totals = _by_team(
        _rows(
            con,
            f"""select team_id, billing_currency, sum(billed_cost) as billed_cost,
                       sum(effective_cost) as effective_cost,
                       count(distinct charge_id) as charges
                from {FACT} group by all order by 1, 2""",
        )
    )
    daily = _by_team(
        _rows(
            con,
            f"""select team_id, charge_date, billing_currency, sum(billed_cost) as billed_cost
                from {FACT} group by all order by 1, 2, 3""",
        )
    )
    breakdowns: dict[str, dict[str, list[dict]]] = {}
    for column, _label in TEAM_BREAKDOWNS:
        # column is one of the fixed owner-key names above, never input
        for team_id, rows in _by_team(
            _rows(
                con,
                f"""select team_id, coalesce(cast({column} as varchar), '(none)') as value,
                           billing_currency, sum(billed_cost) as billed_cost,
                           sum(effective_cost) as effective_cost,
                           cast(sum(allocated_tokens) as bigint) as tokens
                    from {FACT} group by all
                    order by team_id, billed_cost desc, value""",
            )
        ).items():
            breakdowns.setdefault(team_id, {})[column] = rows
    unit_costs = _by_team(
        _rows(
            con,
            """select dimension_value as team_id, period_start, billing_currency, driver,
                      driver_label, driver_value, billed_cost, cost_per_driver,
                      direct_cost_per_driver, tokens_per_driver, incomplete_reason
               from marts.rpt_driver_unit_economics_long
               where period_grain = 'month' and dimension = 'team'
               order by 1, driver, period_start""",
        )
    )
    # how each slice of the team's cost was allocated: the fact's FOCUS 1.3 allocation columns
    allocation = _by_team(
        _rows(
            con,
            f"""select team_id, allocated_method_id,
                       json_extract_string(allocated_method_details, '$.rule_id') as rule_id,
                       json_extract_string(allocated_method_details, '$.basis') as basis,
                       any_value(json_extract_string(allocated_method_details, '$.scope')
                                 order by charge_id) as example_scope,
                       min(try_cast(json_extract_string(allocated_method_details, '$.share')
                                    as double)) as min_share,
                       max(try_cast(json_extract_string(allocated_method_details, '$.share')
                                    as double)) as max_share,
                       billing_currency, count(*) as rows, count(distinct charge_id) as charges,
                       sum(billed_cost) as billed_cost
                from {FACT} group by all
                order by team_id, billed_cost desc, allocated_method_id""",
        )
    )
    environment_kinds = _by_team(
        _rows(
            con,
            f"""select fact.team_id,
                       coalesce(kinds.budget_kind, 'not classified') as kind,
                       string_agg(distinct fact.environment, ', '
                                  order by fact.environment) as environments,
                       fact.billing_currency, sum(fact.billed_cost) as billed_cost
                from {FACT} as fact
                left join reference.budget_environment_kinds as kinds
                    on fact.environment = kinds.environment
                group by all order by 1, billed_cost desc""",
        )
    )
    return [
        Team(
            team_id=row["team_id"],
            name=row["team_name"] or row["team_id"],
            cost_center=row["cost_center"],
            totals=totals.get(row["team_id"], []),
            daily=daily.get(row["team_id"], []),
            breakdowns=breakdowns.get(row["team_id"], {}),
            unit_costs=unit_costs.get(row["team_id"], []),
            allocation=allocation.get(row["team_id"], []),
            environment_kinds=environment_kinds.get(row["team_id"], []),
        )
        for row in team_rows
    ]
