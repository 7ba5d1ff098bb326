"""Governance assets: the alerts table and the asset checks that raise its alerts.

`marts.rpt_alerts` is assembled in Python (dagster_project/serve/governance/alerts.py) from the
budget-threshold and cost-anomaly marts. Its checks fail with WARN severity when there are
alerts, naming each one, so an overspent budget is visible in Dagster and in `aifinops-run`
without blocking publication of the marts.
"""

from collections import Counter

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.resources import WarehouseResource
from dagster_project.serve.governance.alerts import (
    ANOMALY_TABLE,
    BUDGET_TABLE,
    COLUMN_DOCS,
    build_alerts,
    read_alerts,
    write_alerts,
)
from dagster_project.transform.assets import dbt_models

MAX_LISTED = 25  # alerts named in a check's description; the count is in its metadata


def _model_key(name: str) -> dg.AssetKey | None:
    """The dbt model's asset key, or None while the project has no such model."""
    try:
        return get_asset_key_for_model([dbt_models], name)
    except KeyError:
        return None


# The governance marts come from other parts of the project: depend on those present, and on
# the cost fact they are built on, so alerts are assembled after the dbt build in any case.
SOURCE_KEYS = [
    key
    for key in (
        _model_key(BUDGET_TABLE[1]),
        _model_key(ANOMALY_TABLE[1]),
        get_asset_key_for_model([dbt_models], "fct_allocated_costs"),
    )
    if key
]
RPT_ALERTS_KEY = dg.AssetKey(["marts", "rpt_alerts"])


@dg.asset(
    key=RPT_ALERTS_KEY,
    group_name="governance",
    kinds={"python", "duckdb"},
    deps=SOURCE_KEYS,
    description="One row per alert: each budget threshold crossed (marts.rpt_budget_thresholds) "
    "and each cost anomaly (marts.rpt_cost_anomalies), with a stable alert_id, the owner, "
    "amount, budget, forecast or expected range, and the reason in `message`.",
    metadata={
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, description=doc) for name, doc in COLUMN_DOCS.items()]
        )
    },
)
def rpt_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        alerts = build_alerts(con)
        write_alerts(con, alerts)
    kinds = Counter(alert.alert_kind for alert in alerts)
    severities = Counter(alert.severity for alert in alerts)
    context.log.info(f"{len(alerts)} alert(s): {dict(kinds)}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(alerts)),
            "by_kind": dg.MetadataValue.json(dict(kinds)),
            "by_severity": dg.MetadataValue.json(dict(severities)),
        }
    )


def _make_alert_check(kind: str, name: str, what: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=RPT_ALERTS_KEY,
        name=name,
        description=f"Fails (WARN, publication goes on) when there are {what}; the "
        "description lists each alert's message, the metadata its id.",
        blocking=False,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            alerts = [alert for alert in read_alerts(con) if alert.alert_kind == kind]
        alerts.sort(key=lambda a: ({"high": 0, "medium": 1}.get(a.severity, 2), a.alert_date))
        lines = [f"[{a.severity}] {a.message}" for a in alerts[:MAX_LISTED]]
        if len(alerts) > MAX_LISTED:
            lines.append(f"... and {len(alerts) - MAX_LISTED} more (see marts.rpt_alerts)")
        return dg.AssetCheckResult(
            passed=not alerts,
            severity=dg.AssetCheckSeverity.WARN,
            description="\n".join(lines) or f"no {what}",
            metadata={
                "alerts": dg.MetadataValue.int(len(alerts)),
                "high": dg.MetadataValue.int(sum(a.severity == "high" for a in alerts)),
                "alert_ids": dg.MetadataValue.json([a.alert_id for a in alerts[:200]]),
            },
        )

    return _check


alert_checks = [
    _make_alert_check("budget_threshold", "no_budget_threshold_crossed", "budget thresholds "
                      "crossed (50 / 80 / 100 % of budget, on actual or forecast)"),
    _make_alert_check("cost_anomaly", "no_cost_anomaly", "cost or token anomalies"),
]  # fmt: skip
