"""What runs the pipeline without a person: a daily schedule, a sensor on the landing folder,
and the sensor that posts new alerts to a webhook. Registered in definitions.py, so all three
show under Automation in the Dagster UI; `dagster dev` runs them (its daemon) once turned on.

- `daily_pipeline_schedule`: the whole pipeline job every day (AIFINOPS_PIPELINE_CRON, UTC;
  default 06:00).
- `landing_files_sensor`: a run when the landing listing changes. The cursor is a fingerprint of
  the data files (relative path, size, mtime); names starting with `_` or `.` are not data, as
  for the extract assets. An unchanged listing requests nothing.
- `alert_webhook_sensor`: posts each new alert of the published `marts.rpt_alerts` to
  AIFINOPS_ALERT_WEBHOOK_URL (dagster_project/serve/governance/webhook.py). The cursor remembers the
  alert ids delivered, so an alert is sent once across ticks and runs; a failed post is retried
  on the next tick. It reads the published copy, which the pipeline swaps atomically, so it
  never waits on the pipeline's writer lock.

The schedule and the landing sensor skip while a pipeline run is queued or running: DuckDB has
one writer, and the change is picked up on a later tick. All three start stopped unless
AIFINOPS_AUTOMATION=on (turn them on in the UI otherwise).
"""

import json
import os

import dagster as dg

from dagster_project import db
from dagster_project.resources import WarehouseResource
from dagster_project.run_inputs import landing_fingerprint
from dagster_project.serve.governance.alerts import read_alerts
from dagster_project.serve.governance.webhook import WEBHOOK_URL_ENV, send_new, webhook_url
from dagster_project.serve.publish import published_path
from dagster_project.transform.dbt_build import run_config

PIPELINE_JOB_NAME = "aifinops_pipeline"
CRON_ENV = "AIFINOPS_PIPELINE_CRON"
DEFAULT_CRON = "0 6 * * *"
AUTOMATION_ENV = "AIFINOPS_AUTOMATION"
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="The whole pipeline: extract the landing files, dbt build, alerts, publish, "
    "FOCUS export, with every asset check.",
)


def _automation_on() -> bool:
    return os.environ.get(AUTOMATION_ENV, "").strip().lower() in ("on", "1", "true", "yes")


def _sensor_status() -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if _automation_on() else dg.DefaultSensorStatus.STOPPED


def _runs_in_progress(instance: dg.DagsterInstance) -> int:
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=PIPELINE_JOB_NAME, statuses=IN_PROGRESS), limit=1
    )
    return len(records)


@dg.schedule(
    name="daily_pipeline_schedule",
    cron_schedule=os.environ.get(CRON_ENV, "").strip() or DEFAULT_CRON,
    execution_timezone="UTC",
    job=pipeline_job,
    default_status=dg.DefaultScheduleStatus.RUNNING
    if _automation_on()
    else dg.DefaultScheduleStatus.STOPPED,
    description=f"Runs the whole pipeline daily ({CRON_ENV}, UTC; default {DEFAULT_CRON}).",
)
def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext):
    if _runs_in_progress(context.instance):
        return dg.SkipReason("a pipeline run is queued or running (one DuckDB writer)")
    scheduled = context.scheduled_execution_time
    # the daily run is incremental: dbt rebuilds the new and changed days (and the lookback)
    return dg.RunRequest(
        run_key=scheduled.isoformat() if scheduled else None,
        run_config=run_config(full_refresh=False),
        tags={"aifinops/trigger": "schedule"},
    )


@dg.sensor(
    name="landing_files_sensor",
    job=pipeline_job,
    minimum_interval_seconds=60,
    default_status=_sensor_status(),
    description="Starts the pipeline when files in the landing folder (AIFINOPS_LANDING_DIR) "
    "are added, changed or removed; cursor: fingerprint of path, size and mtime.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    # the daemon evaluates sensors outside any run: the same resource, from the environment
    landing_dir = WarehouseResource.from_env().landing_folder
    fingerprint, count = landing_fingerprint(landing_dir)
    if fingerprint is None and not context.cursor:
        return dg.SkipReason(f"no data files in {landing_dir}")
    fingerprint = fingerprint or "empty"  # every file removed is a change too (retraction)
    if fingerprint == context.cursor:
        return dg.SkipReason(f"landing folder unchanged ({count} files)")
    if _runs_in_progress(context.instance):
        return dg.SkipReason("landing folder changed; a pipeline run is in progress, next tick")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_config=run_config(full_refresh=False),
                tags={"aifinops/trigger": "landing_files", "aifinops/landing_files": str(count)},
            )
        ],
        cursor=fingerprint,
    )


def _cursor_state(cursor: str | None) -> tuple[set[str], dict[str, int]]:
    if not cursor:
        return set(), {}
    state = json.loads(cursor)
    return set(state.get("sent", [])), dict(state.get("failed", {}))


@dg.sensor(
    name="alert_webhook_sensor",
    minimum_interval_seconds=60,
    default_status=_sensor_status(),
    description=f"Posts each new alert (published marts.rpt_alerts) as JSON to {WEBHOOK_URL_ENV}, "
    "once; failed posts are retried on the next tick.",
)
def alert_webhook_sensor(context: dg.SensorEvaluationContext):
    url = webhook_url()
    if not url:
        return dg.SkipReason(f"{WEBHOOK_URL_ENV} is not set: alerts are not sent")
    path = published_path(WarehouseResource.from_env().publish_folder)
    if not path.exists():
        return dg.SkipReason(f"no published warehouse yet ({path})")
    with db.connect(path, read_only=True) as con:
        alerts = read_alerts(con)
    sent, failures = _cursor_state(context.cursor)
    # never tried first, then the least-failed: one alert the endpoint rejects cannot block
    # the others forever
    alerts.sort(key=lambda alert: failures.get(alert.alert_id, 0))
    delivery = send_new(url, alerts, sent)
    sent |= set(delivery.sent)
    for alert_id in delivery.sent:
        failures.pop(alert_id, None)
    for alert_id, error in delivery.failed:
        failures[alert_id] = failures.get(alert_id, 0) + 1
        context.log.warning(f"alert {alert_id} not delivered, retried next tick: {error}")
    if delivery.sent:
        context.log.info(f"sent {len(delivery.sent)} alert(s) to the webhook")
    cursor = json.dumps({"sent": sorted(sent), "failed": failures}, sort_keys=True)
    summary = (
        f"{len(delivery.sent)} sent, {len(delivery.failed)} failed, "
        f"{delivery.pending} waiting; {len(sent)} sent in all"
    )
    return dg.SensorResult(skip_reason=None if delivery.sent else summary, cursor=cursor)


schedules = [daily_pipeline_schedule]
sensors = [landing_files_sensor, alert_webhook_sensor]
