"""Alerts: budget threshold crossings and cost anomalies, one row each, with a stable id.

Reads the governance marts by their contracts (exact columns; a missing table means no alerts
of that kind, so a warehouse built without budgets or anomalies still has an empty
`marts.rpt_alerts`):

- `marts.rpt_budget_thresholds` (one row per budget x threshold x basis crossed)
- `marts.rpt_cost_anomalies` (one row per anomaly)

An alert's identity is what it is about, not what it currently says: a budget alert is the
budget, its month, the threshold and the basis (actual or forecast); an anomaly alert is the
anomaly's own stable id. So the actual-to-date and the forecast may change between runs and
the alert keeps its `alert_id`, which is what the webhook sensor uses to send it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from dagster_project.db import sql_literal

BUDGET_TABLE = ("marts", "rpt_budget_thresholds")
ANOMALY_TABLE = ("marts", "rpt_cost_anomalies")
ALERTS_TABLE = ("marts", "rpt_alerts")

# contract B1 / A1 columns, in the order they are selected
BUDGET_COLUMNS = (
    "budget_id", "owner_key", "owner_value", "budget_kind", "month_start", "billing_currency",
    "budget_amount", "actual_to_date", "forecast_month_end", "threshold_pct", "basis",
    "crossed_on",
)  # fmt: skip
ANOMALY_COLUMNS = (
    "anomaly_id", "anomaly_date", "owner_key", "owner_value", "metric", "observed", "expected",
    "expected_low", "expected_high", "billing_currency", "severity", "root_cause",
    "root_cause_dimension", "root_cause_value",
)  # fmt: skip

MONEY = "decimal(38, 10)"  # dbt_models/macros/money.sql money_type()
ALERTS_DDL = f"""
create or replace table marts.rpt_alerts (
    alert_id varchar not null primary key,
    alert_kind varchar not null,          -- budget_threshold | cost_anomaly
    source_id varchar not null,           -- budget_id or anomaly_id
    alert_date date,                      -- crossed_on or anomaly_date
    owner_key varchar,
    owner_value varchar,
    severity varchar not null,            -- low | medium | high
    metric varchar not null,              -- cost | tokens
    billing_currency varchar,             -- null for tokens
    amount {MONEY},                       -- actual to date, or the anomaly's observed value
    budget_amount {MONEY},
    forecast_month_end {MONEY},
    expected {MONEY},
    expected_low {MONEY},
    expected_high {MONEY},
    threshold_pct integer,
    basis varchar,                        -- actual | forecast
    budget_kind varchar,                  -- production | experimentation
    month_start date,
    root_cause_dimension varchar,
    root_cause_value varchar,
    message varchar not null
)
"""
TABLE_DOC = (
    "One row per open alert of the latest run: a budget threshold crossed (actual or forecast) "
    "or a cost anomaly, with its owner, amounts and a one-sentence message; the webhook sensor "
    "posts each new alert_id once."
)
# one description per column of marts.rpt_alerts (shown in the Dagster UI; a test keeps them
# in step with the table)
COLUMN_DOCS = {
    "alert_id": "Stable id: budget-<hash> of budget, month, threshold and basis; anomaly-<hash> "
    "of the anomaly id. Amounts may change between runs, the id does not.",
    "alert_kind": "budget_threshold or cost_anomaly.",
    "source_id": "The budget_id or anomaly_id the alert comes from.",
    "alert_date": "Day the threshold was crossed (crossed_on) or the anomaly's day.",
    "owner_key": "Owner key of the budget or anomaly (team, cost_center, product, use_case, "
    "feature, environment, model).",
    "owner_value": "The owner it is about.",
    "severity": "low, medium or high. Budgets: 100% spent high; 100% forecast or 80% spent "
    "medium; else low. Anomalies: their own severity.",
    "metric": "cost or tokens.",
    "billing_currency": "Currency of the money columns; null for token anomalies.",
    "amount": "Actual spend to date (budgets) or the observed value (anomalies).",
    "budget_amount": "The month's budget (budget alerts).",
    "forecast_month_end": "Month-end forecast at the time of the run (budget alerts).",
    "expected": "Expected value from the anomaly baseline.",
    "expected_low": "Lower end of the expected range.",
    "expected_high": "Upper end of the expected range.",
    "threshold_pct": "50, 80 or 100 (budget alerts).",
    "basis": "actual or forecast: what crossed the threshold (budget alerts).",
    "budget_kind": "production or experimentation (budget alerts).",
    "month_start": "First day of the budget month (budget alerts).",
    "root_cause_dimension": "Dimension that moved most (anomaly alerts).",
    "root_cause_value": "Its value (anomaly alerts).",
    "message": "One sentence: owner, amount, budget, forecast or expected range, and the reason.",
}


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One alert; the fields of the other kind of alert stay None."""

    alert_id: str
    alert_kind: str
    source_id: str
    alert_date: date
    owner_key: str
    owner_value: str | None
    severity: str
    metric: str
    billing_currency: str | None
    amount: Decimal | None
    budget_amount: Decimal | None = None
    forecast_month_end: Decimal | None = None
    expected: Decimal | None = None
    expected_low: Decimal | None = None
    expected_high: Decimal | None = None
    threshold_pct: int | None = None
    basis: str | None = None
    budget_kind: str | None = None
    month_start: date | None = None
    root_cause_dimension: str | None = None
    root_cause_value: str | None = None
    message: str

    def payload(self) -> dict[str, Any]:
        """The alert as JSON-ready values: money as exact decimal text, dates ISO."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                value = format(value.normalize(), "f")  # exact text, no exponent
            elif isinstance(value, date):
                value = value.isoformat()
            out[key] = value
        out["text"] = self.message  # chat webhooks (Slack, Teams, Mattermost) show `text`
        return out


ALERT_FIELDS = tuple(Alert.__dataclass_fields__)


def alert_id(kind: str, *parts: object) -> str:
    """A stable id from what the alert is about (never from amounts that move)."""
    text = "\x1f".join([kind, *("" if part is None else str(part) for part in parts)])
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            """select count(*) from duckdb_tables() where schema_name = ? and table_name = ?
               and database_name = current_database()""",
            [schema, table],
        ).fetchone()[0]
        + con.execute(
            """select count(*) from duckdb_views() where schema_name = ? and view_name = ?
               and database_name = current_database()""",
            [schema, table],
        ).fetchone()[0]
    )


def _rows(con: duckdb.DuckDBPyConnection, table: tuple[str, str], columns: tuple[str, ...]):
    if not _table_exists(con, *table):
        return []
    cols = ", ".join(f'"{c}"' for c in columns)
    cur = con.execute(f'select {cols} from "{table[0]}"."{table[1]}" order by all')
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{Decimal(value).quantize(Decimal('0.01')):,}"


def _pct(part: Decimal | None, whole: Decimal | None) -> str:
    if part is None or not whole:
        return "n/a"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('1'))}%"


def budget_severity(threshold_pct: int, basis: str) -> str:
    """100 % spent is high; 100 % forecast or 80 % spent is medium; the rest low."""
    if threshold_pct >= 100:
        return "high" if basis == "actual" else "medium"
    if threshold_pct >= 80 and basis == "actual":
        return "medium"
    return "low"


def budget_alert(row: dict[str, Any]) -> Alert:
    month = row["month_start"]
    currency = row["billing_currency"] or ""
    owner = f"{row['owner_key']}={row['owner_value']}"
    basis = row["basis"]
    crossed = (
        f"spent {currency} {_money(row['actual_to_date'])}"
        if basis == "actual"
        else f"month-end forecast {currency} {_money(row['forecast_month_end'])}"
    )
    message = (
        f"Budget {row['budget_id']} ({owner}, {row['budget_kind']}, {month:%Y-%m}): "
        f"{crossed} crossed {row['threshold_pct']}% of the {currency} "
        f"{_money(row['budget_amount'])} budget on {row['crossed_on']}. "
        f"Actual to date {currency} {_money(row['actual_to_date'])} "
        f"({_pct(row['actual_to_date'], row['budget_amount'])}), forecast {currency} "
        f"{_money(row['forecast_month_end'])} "
        f"({_pct(row['forecast_month_end'], row['budget_amount'])})."
    )
    return Alert(
        alert_id=alert_id(
            "budget", row["budget_id"], month, int(row["threshold_pct"]), row["basis"]
        ),
        alert_kind="budget_threshold",
        source_id=str(row["budget_id"]),
        alert_date=row["crossed_on"],
        **_owner_and_currency(row),
        severity=budget_severity(int(row["threshold_pct"]), basis),
        metric="cost",
        amount=row["actual_to_date"],
        budget_amount=row["budget_amount"],
        forecast_month_end=row["forecast_month_end"],
        threshold_pct=int(row["threshold_pct"]),
        basis=basis,
        budget_kind=row["budget_kind"],
        month_start=month,
        message=message,
    )


def _owner_and_currency(row: dict[str, Any]) -> dict[str, Any]:
    """What every alert copies from its mart row as it is: the owner and the currency."""
    return {key: row[key] for key in ("owner_key", "owner_value", "billing_currency")}


def anomaly_alert(row: dict[str, Any]) -> Alert:
    severity = row["severity"] or "low"  # contract A1 always sets it; a gap is not an error
    unit = row["billing_currency"] + " " if row["billing_currency"] else ""
    tokens = row["metric"] == "tokens"
    fmt = (lambda v: "n/a" if v is None else f"{int(v):,}") if tokens else _money
    message = (
        f"{severity.capitalize()} {row['metric']} anomaly on {row['anomaly_date']} for "
        f"{row['owner_key']}={row['owner_value']}: observed {unit}{fmt(row['observed'])}, "
        f"expected {unit}{fmt(row['expected'])} (range {fmt(row['expected_low'])} to "
        f"{fmt(row['expected_high'])}). Root cause: {row['root_cause'] or 'not identified'}"
    )
    return Alert(
        alert_id=alert_id("anomaly", row["anomaly_id"]),
        alert_kind="cost_anomaly",
        source_id=str(row["anomaly_id"]),
        alert_date=row["anomaly_date"],
        **_owner_and_currency(row),
        severity=severity,
        metric=row["metric"],
        amount=row["observed"],
        expected=row["expected"],
        expected_low=row["expected_low"],
        expected_high=row["expected_high"],
        root_cause_dimension=row["root_cause_dimension"],
        root_cause_value=row["root_cause_value"],
        message=message,
    )


def build_alerts(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """Every alert the governance marts hold now, budget crossings first, in a stable order."""
    alerts = [budget_alert(row) for row in _rows(con, BUDGET_TABLE, BUDGET_COLUMNS)]
    alerts += [anomaly_alert(row) for row in _rows(con, ANOMALY_TABLE, ANOMALY_COLUMNS)]
    seen: dict[str, Alert] = {}
    for alert in alerts:  # one alert per identity, even if a mart repeats a row
        seen.setdefault(alert.alert_id, alert)
    return sorted(seen.values(), key=lambda a: (a.alert_kind, a.alert_date, a.alert_id))


def write_alerts(con: duckdb.DuckDBPyConnection, alerts: list[Alert]) -> int:
    """Replace `marts.rpt_alerts` with `alerts`; returns the row count."""
    con.execute("begin")  # readers never see a half-written table
    try:
        con.execute("create schema if not exists marts")
        con.execute(ALERTS_DDL)
        # the comments BI tools show (dbt's persist_docs does this for the dbt marts)
        con.execute(f"comment on table marts.rpt_alerts is {sql_literal(TABLE_DOC)}")
        for column, doc in COLUMN_DOCS.items():
            con.execute(f"comment on column marts.rpt_alerts.{column} is {sql_literal(doc)}")
        if alerts:
            marks = ", ".join("?" for _ in ALERT_FIELDS)
            con.executemany(
                f"insert into marts.rpt_alerts ({', '.join(ALERT_FIELDS)}) values ({marks})",
                [[getattr(a, f) for f in ALERT_FIELDS] for a in alerts],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(alerts)


def read_alerts(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """The alerts stored in `marts.rpt_alerts` (none if the table is absent)."""
    rows = _rows(con, ALERTS_TABLE, ALERT_FIELDS)
    return sorted(
        (Alert(**row) for row in rows), key=lambda a: (a.alert_kind, a.alert_date, a.alert_id)
    )
