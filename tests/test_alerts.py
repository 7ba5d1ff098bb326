"""Alerts (issue 9, item 2): assembled from the budget-threshold and anomaly marts by their
contracts (B1, A1), raised by asset checks, posted to a webhook once each; a daily schedule and
a landing-folder sensor start the pipeline. No whole-pipeline run: the governance marts are
hand-made rows in a temporary DuckDB file."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from dagster_project import db
from dagster_project.serve.governance.alerts import (
    COLUMN_DOCS,
    build_alerts,
    read_alerts,
    write_alerts,
)
from dagster_project.serve.governance.webhook import WEBHOOK_URL_ENV
from dagster_project.serve.publish import published_path

BUDGET_DDL = """
create schema if not exists marts;
create table marts.rpt_budget_thresholds (
    budget_id varchar, owner_key varchar, owner_value varchar, budget_kind varchar,
    month_start date, billing_currency varchar, budget_amount decimal(38, 10),
    actual_to_date decimal(38, 10), forecast_month_end decimal(38, 10), threshold_pct integer,
    basis varchar, crossed_on date, extra_column varchar)
"""
ANOMALY_DDL = """
create schema if not exists marts;
create table marts.rpt_cost_anomalies (
    anomaly_id varchar, anomaly_date date, owner_key varchar, owner_value varchar,
    metric varchar, observed decimal(38, 10), expected decimal(38, 10),
    expected_low decimal(38, 10), expected_high decimal(38, 10), billing_currency varchar,
    severity varchar, root_cause varchar, root_cause_dimension varchar, root_cause_value varchar)
"""
BUDGET_ROWS = [
    ("b-ops", "use_case", "uc-7", "production", date(2026, 8, 1), "USD", Decimal("1000"),
     Decimal("812.40"), Decimal("1245.10"), 80, "actual", date(2026, 8, 19), None),
    ("b-ops", "use_case", "uc-7", "production", date(2026, 8, 1), "USD", Decimal("1000"),
     Decimal("812.40"), Decimal("1245.10"), 100, "forecast", date(2026, 8, 12), None),
]  # fmt: skip
ANOMALY_ROWS = [
    ("an-1", date(2026, 8, 14), "model", "m-large", "cost", Decimal("512"), Decimal("120"),
     Decimal("90"), Decimal("150"), "USD", "high",
     "environment=development moved +392.00 USD (x4.3)", "environment", "development"),
]  # fmt: skip


def _make_marts(path: Path, budgets=BUDGET_ROWS, anomalies=ANOMALY_ROWS) -> None:
    with db.connect(path) as con:
        con.execute("drop table if exists marts.rpt_budget_thresholds")
        con.execute("drop table if exists marts.rpt_cost_anomalies")
        if budgets is not None:
            con.execute(BUDGET_DDL)
            if budgets:
                marks = ", ".join("?" * 13)
                con.executemany(
                    f"insert into marts.rpt_budget_thresholds values ({marks})", budgets
                )
        if anomalies is not None:
            con.execute(ANOMALY_DDL)
            if anomalies:
                marks = ", ".join("?" * 14)
                con.executemany(f"insert into marts.rpt_cost_anomalies values ({marks})", anomalies)
        write_alerts(con, build_alerts(con))


def test_alert_message_names_owner_amount_budget_forecast_and_reason(tmp_path: Path):
    _make_marts(tmp_path / "w.duckdb")
    with db.connect(tmp_path / "w.duckdb", read_only=True) as con:
        alerts = {a.alert_kind + str(a.threshold_pct): a for a in read_alerts(con)}
    spent = alerts["budget_threshold80"]
    assert spent.severity == "medium" and spent.amount == Decimal("812.40")
    for text in ("b-ops", "use_case=uc-7", "production", "2026-08", "812.40", "1,000.00",
                 "1,245.10", "80%", "2026-08-19", "81%", "125%"):  # fmt: skip
        assert text in spent.message, (text, spent.message)
    forecast = alerts["budget_threshold100"]
    assert "month-end forecast USD 1,245.10 crossed 100%" in forecast.message
    assert forecast.severity == "medium"
    anomaly = alerts["cost_anomalyNone"]
    assert anomaly.severity == "high" and anomaly.root_cause_value == "development"
    for text in ("model=m-large", "observed USD 512.00", "expected USD 120.00",
                 "90.00 to 150.00", "environment=development moved +392.00 USD"):  # fmt: skip
        assert text in anomaly.message, (text, anomaly.message)


def test_alert_id_is_stable_when_amounts_move_and_distinct_per_threshold(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    _make_marts(path)
    with db.connect(path, read_only=True) as con:
        before = [a.alert_id for a in read_alerts(con)]
    moved = [(*row[:7], row[7] + 50, row[8] + 90, *row[9:]) for row in BUDGET_ROWS]
    _make_marts(path, budgets=moved)
    with db.connect(path, read_only=True) as con:
        after = read_alerts(con)
    assert [a.alert_id for a in after] == before
    assert len(set(before)) == 3
    assert {a.amount for a in after if a.alert_kind == "budget_threshold"} == {Decimal("862.40")}


def test_missing_governance_marts_mean_no_alerts_not_an_error(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    _make_marts(path, budgets=None, anomalies=None)
    with db.connect(path, read_only=True) as con:
        assert read_alerts(con) == []
        sql = """select column_name, data_type from duckdb_columns()
                 where table_name = 'rpt_alerts' order by column_index"""
        types = dict(con.execute(sql).fetchall())
    assert types["amount"] == "DECIMAL(38,10)" and types["alert_id"] == "VARCHAR"
    assert list(types) == list(COLUMN_DOCS)  # every column documented, in table order


def test_payload_keeps_money_exact_and_is_json():
    from dagster_project.serve.governance.alerts import ANOMALY_COLUMNS, anomaly_alert

    row = (*ANOMALY_ROWS[0][:5], Decimal("0.1000000001"), *ANOMALY_ROWS[0][6:])
    alert = anomaly_alert(dict(zip(ANOMALY_COLUMNS, row, strict=True)))
    payload = json.loads(json.dumps(alert.payload()))
    assert payload["amount"] == "0.1000000001" and payload["expected"] == "120"
    assert payload["alert_date"] == "2026-08-14" and payload["text"] == alert.message


def test_token_anomaly_message_has_no_currency():
    from dagster_project.serve.governance.alerts import ANOMALY_COLUMNS, anomaly_alert

    row = ("an-2", date(2026, 8, 3), "use_case", "uc-2", "tokens", Decimal("3000000"),
           Decimal("1000000"), Decimal("800000"), Decimal("1200000"), None, "medium",
           "input tokens on use_case=uc-2 tripled (x3.0)", "token_part", "input")  # fmt: skip
    alert = anomaly_alert(dict(zip(ANOMALY_COLUMNS, row, strict=True)))
    assert "observed 3,000,000, expected 1,000,000 (range 800,000 to 1,200,000)" in alert.message
    assert alert.billing_currency is None and "tripled" in alert.message


# --- the asset checks -------------------------------------------------------------------------


def test_asset_checks_warn_with_each_alert_and_pass_without(tmp_path: Path):
    from dagster_project.resources import WarehouseResource
    from dagster_project.serve.governance.assets import alert_checks, rpt_alerts

    path = tmp_path / "w.duckdb"
    _make_marts(path)
    warehouse = WarehouseResource(warehouse_path=str(path), landing_dir=str(tmp_path))
    result = dg.materialize([rpt_alerts, *alert_checks], resources={"warehouse": warehouse},
                            raise_on_error=False)  # fmt: skip
    assert result.success  # a WARN check does not fail the run (publication goes on)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    budget, anomaly = evaluations["no_budget_threshold_crossed"], evaluations["no_cost_anomaly"]
    assert not budget.passed and budget.severity == dg.AssetCheckSeverity.WARN
    assert budget.description.count("b-ops") == 2 and "[medium]" in budget.description
    assert budget.metadata["alerts"].value == 2
    assert not anomaly.passed and "m-large" in anomaly.description
    assert anomaly.metadata["high"].value == 1

    _make_marts(path, budgets=[], anomalies=None)
    result = dg.materialize([rpt_alerts, *alert_checks], resources={"warehouse": warehouse})
    assert all(e.passed for e in result.get_asset_check_evaluations())


# --- the webhook sensor -----------------------------------------------------------------------


class _Webhook:
    """A local HTTP endpoint on an ephemeral port recording what it receives; it answers
    500 to the alert ids in `fail_ids`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_ids: set[str] = set()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failing = body["alert_id"] in hook.fail_ids
                if not failing:
                    hook.received.append(body)
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = _Webhook()
    yield hook
    hook.close()


def _tick(cursor: str | None):
    from dagster_project.automation import alert_webhook_sensor

    context = dg.build_sensor_context(cursor=cursor)
    return alert_webhook_sensor.evaluate_tick(context)


def _publish(tmp_path: Path, **marts) -> None:
    publish_dir = tmp_path / "published"
    publish_dir.mkdir(exist_ok=True)
    target = published_path(publish_dir)
    target.unlink(missing_ok=True)
    _make_marts(target, **marts)


def test_webhook_receives_each_alert_once_and_new_alerts_on_the_next_tick(
    tmp_path: Path, webhook: _Webhook, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(WEBHOOK_URL_ENV, webhook.url)
    monkeypatch.setenv("AIFINOPS_PUBLISH_DIR", str(tmp_path / "published"))
    _publish(tmp_path, anomalies=None)
    first = _tick(None)
    assert sorted(a["threshold_pct"] for a in webhook.received) == [80, 100]
    assert first.run_requests == []

    new_anomaly = (*ANOMALY_ROWS[0][:1], date(2026, 8, 20), *ANOMALY_ROWS[0][2:])
    _publish(tmp_path, anomalies=[new_anomaly])  # the next run found an anomaly
    second = _tick(first.cursor)
    third = _tick(second.cursor)
    kinds = [a["alert_kind"] for a in webhook.received]
    assert kinds == ["budget_threshold", "budget_threshold", "cost_anomaly"]
    assert len({a["alert_id"] for a in webhook.received}) == 3
    assert webhook.received[2]["owner_value"] == "m-large"
    assert "Root cause: environment=development" in webhook.received[2]["text"]
    assert "0 sent" in third.skip_message


def test_failed_post_is_retried_next_tick_not_lost(
    tmp_path: Path, webhook: _Webhook, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(WEBHOOK_URL_ENV, webhook.url)
    monkeypatch.setenv("AIFINOPS_PUBLISH_DIR", str(tmp_path / "published"))
    _publish(tmp_path)
    with db.connect(published_path(tmp_path / "published"), read_only=True) as con:
        ids = [a.alert_id for a in read_alerts(con)]
    webhook.fail_ids = {ids[0]}
    first = _tick(None)
    assert ids[0] not in {a["alert_id"] for a in webhook.received}
    webhook.fail_ids = set()
    second = _tick(first.cursor)
    received = [a["alert_id"] for a in webhook.received]
    assert sorted(received) == sorted(ids) and len(received) == len(ids)
    assert json.loads(second.cursor)["failed"] == {}


def test_unreachable_webhook_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    hook = _Webhook()
    url = hook.url
    hook.close()  # nothing listens on that port any more
    monkeypatch.setenv(WEBHOOK_URL_ENV, url)
    monkeypatch.setenv("AIFINOPS_PUBLISH_DIR", str(tmp_path / "published"))
    _publish(tmp_path)
    tick = _tick(None)
    assert json.loads(tick.cursor)["sent"] == [] and "1 failed, 2 waiting" in tick.skip_message


def test_alert_sensor_skips_with_a_reason_without_a_url(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(WEBHOOK_URL_ENV, raising=False)
    tick = _tick(None)
    assert WEBHOOK_URL_ENV in tick.skip_message and not tick.run_requests


# --- schedule and landing sensor --------------------------------------------------------------


def test_definitions_carry_the_schedule_and_both_sensors():
    from dagster_project.definitions import build_definitions

    defs = build_definitions()
    assert defs.resolve_schedule_def("daily_pipeline_schedule").job_name == "aifinops_pipeline"
    assert defs.resolve_sensor_def("landing_files_sensor").job_name == "aifinops_pipeline"
    assert defs.resolve_sensor_def("alert_webhook_sensor")
    job = defs.resolve_job_def("aifinops_pipeline")
    assert dg.AssetKey("published_warehouse") in job.asset_layer.executable_asset_keys
    assert dg.AssetKey(["marts", "rpt_alerts"]) in job.asset_layer.executable_asset_keys


def test_daily_schedule_requests_a_pipeline_run():
    from datetime import UTC, datetime

    from dagster_project.automation import daily_pipeline_schedule

    assert daily_pipeline_schedule.cron_schedule == "0 6 * * *"
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 9, 1, 6, tzinfo=UTC)
        )
        data = daily_pipeline_schedule.evaluate_tick(context)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].tags["aifinops/trigger"] == "schedule"


def test_landing_sensor_runs_once_per_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from dagster_project.automation import landing_files_sensor

    landing = tmp_path / "landing"
    monkeypatch.setenv("AIFINOPS_LANDING_DIR", str(landing))
    (landing / "litellm").mkdir(parents=True)

    def tick(cursor):
        with dg.instance_for_test() as instance:
            return landing_files_sensor.evaluate_tick(
                dg.build_sensor_context(instance=instance, cursor=cursor)
            )

    empty = tick(None)
    assert not empty.run_requests and "no data files" in empty.skip_message
    log = landing / "litellm" / "day1.jsonl"
    log.write_text('{"request_id": "r1"}\n')
    first = tick(None)
    assert len(first.run_requests) == 1
    assert not tick(first.cursor).run_requests  # no change: no run
    (landing / "_demo_truth.json").write_text("{}")  # not data: no run
    (landing / "litellm" / ".partial").write_text("x")
    assert not tick(first.cursor).run_requests
    log.write_text('{"request_id": "r1"}\n{"request_id": "r2"}\n')  # changed in place
    second = tick(first.cursor)
    assert len(second.run_requests) == 1 and second.cursor != first.cursor
    (landing / "openai").mkdir()
    (landing / "openai" / "page.json").write_text("{}")  # a new file
    third = tick(second.cursor)
    assert len(third.run_requests) == 1
    assert not tick(third.cursor).run_requests
    os.remove(log)
    os.remove(landing / "openai" / "page.json")  # every file gone: a retraction run
    assert len(tick(third.cursor).run_requests) == 1


def test_landing_sensor_waits_while_a_pipeline_run_is_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from dagster_project.automation import PIPELINE_JOB_NAME, landing_files_sensor

    monkeypatch.setenv("AIFINOPS_LANDING_DIR", str(tmp_path))
    (tmp_path / "a.csv").write_text("x")
    with dg.instance_for_test() as instance:
        instance.add_run(dg.DagsterRun(job_name=PIPELINE_JOB_NAME, run_id="r" * 8 + "-1",
                                       status=dg.DagsterRunStatus.STARTED))  # fmt: skip
        data = landing_files_sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=None)
        )
    assert not data.run_requests and "in progress" in data.skip_message
    assert data.cursor is None  # the change is still new on the next tick


def test_pipeline_builds_and_publishes_the_alerts_table(built_warehouse):
    """The real pipeline writes marts.rpt_alerts (empty without governance marts) and its
    checks run; the published copy the webhook sensor reads holds the same alerts."""
    assert built_warehouse.run_exit_code == 0
    with built_warehouse.connect() as con:
        built = con.execute("select alert_id from marts.rpt_alerts order by 1").fetchall()
        assert con.execute("select count(distinct alert_id) = count(*) from marts.rpt_alerts"
                           ).fetchone()[0]  # fmt: skip
    published = published_path(built_warehouse.data_dir / "published")
    with db.connect(published, read_only=True) as con:
        assert con.execute("select alert_id from marts.rpt_alerts order by 1").fetchall() == built
    # both checks ran in the pipeline's run; each fails (WARN) exactly when alerts of its kind
    # exist
    with built_warehouse.connect() as con:
        kinds = {
            k for (k,) in con.execute("select distinct alert_kind from marts.rpt_alerts").fetchall()
        }
    runs = dg.DagsterInstance.from_config(str(built_warehouse.data_dir / ".dagster"))
    records = runs.event_log_storage.get_asset_check_summary_records(
        [
            dg.AssetCheckKey(dg.AssetKey(["marts", "rpt_alerts"]), name)
            for name in ("no_budget_threshold_crossed", "no_cost_anomaly")
        ]
    )
    status = {
        key.name: record.last_check_execution_record.status.value
        for key, record in records.items()
        if record.last_check_execution_record is not None
    }
    expected = {
        "no_budget_threshold_crossed": "budget_threshold" in kinds,
        "no_cost_anomaly": "cost_anomaly" in kinds,
    }
    assert {name: value == "FAILED" for name, value in status.items()} == expected, status
