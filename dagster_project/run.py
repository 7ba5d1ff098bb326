"""`aifinops-run`: run the whole pipeline (extract -> dbt build -> checks) and print a summary.

aifinops-run --demo     generate the demo landing data first if the folder is empty
aifinops-run --full-refresh              rebuild every incremental dbt model in full
aifinops-run --backfill-from 2026-05-01  rebuild every day from that one on

aifinops-run --force                     run even when nothing changed since the last run

Without either, dbt rebuilds only new and changed days (and a lookback of late days). When
nothing a run reads changed since the last successful run (landing files, code, seeds, settings,
the UTC day; its outputs untouched: dagster_project/run_inputs.py), nothing runs.

It prints one line per stage (progress and wall time), the summary and where the outputs are.
Everything Dagster, dbt and the checks log goes to a file, data/logs/run-<UTC time>.log
(AIFINOPS_DATA_DIR), whose path it prints. The run is the job `aifinops_pipeline` of the code
location `make dagster` loads, stored in the same DAGSTER_HOME: the UI lists it with its checks.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import dagster as dg
import duckdb

from dagster_project import db
from dagster_project.config import REPO_ROOT, data_dir
from dagster_project.resources import WarehouseResource
from dagster_project.run_inputs import RunInputs

# What `make dagster` (`dagster dev -m dagster_project.definitions`) loads: the runs started
# here carry this code location as their origin, so the UI lists them under the job.
DEFINITIONS_MODULE = "dagster_project.definitions"


def _instance() -> dg.DagsterInstance:
    # Runs are kept, so `dagster dev` shows their history and asset check results.
    home = os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "data" / ".dagster"))
    # Dagster wants an absolute DAGSTER_HOME; a relative one is taken from the working directory
    home = os.environ["DAGSTER_HOME"] = os.path.abspath(os.path.expanduser(home))
    os.makedirs(home, exist_ok=True)
    return dg.DagsterInstance.get()


def log_dir() -> Path:
    return data_dir() / "logs"


# dbt tests configured with store_failures keep their failing rows here, one table per test
AUDIT_SCHEMA = "dbt_test__audit"


def failure_reasons(
    warehouse_path: os.PathLike | str, check_name: str, limit: int = 5
) -> list[str]:
    """What a failed dbt test says is wrong: the `failure_reason` column of the rows it stored
    (tests that store their failures and name each one in that column); else nothing."""
    table = '"' + check_name.replace('"', '""') + '"'
    try:
        with db.connect(warehouse_path, read_only=True) as con:
            rows = con.execute(
                f"select failure_reason from {AUDIT_SCHEMA}.{table} order by 1 limit ?", [limit]
            ).fetchall()
    except duckdb.Error:
        return []
    return [str(reason) for (reason,) in rows]


def _own_copy(stream: IO[str]) -> IO[str]:
    """A stream writing where `stream` writes now, unaffected by redirecting its descriptor."""
    try:
        fd = stream.fileno()
    except (AttributeError, io.UnsupportedOperation):  # in memory (pytest's capsys): kept
        return stream
    return open(os.dup(fd), "w", buffering=1, encoding="utf-8")


@contextlib.contextmanager
def _everything_logged_to(path: Path) -> Iterator[tuple[IO[str], IO[str]]]:
    """Send all output (Python's, Dagster's loggers', subprocesses' and C code's: the file
    descriptors too) to `path`; yield streams on the caller's stdout and stderr for what the
    person reads (stage lines, summary, failures)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    out, err = _own_copy(sys.stdout), _own_copy(sys.stderr)
    saved_streams = sys.stdout, sys.stderr
    saved_fds = os.dup(1), os.dup(2)
    with open(path, "a", buffering=1, encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        try:
            yield out, err
        finally:
            log.flush()
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            for fd in saved_fds:
                os.close(fd)
            for stream in (out, err):
                stream.flush()
                if stream not in saved_streams:
                    stream.close()


@dataclass
class Stage:
    label: str
    steps: set[str]
    assets: int = 0
    checks: int = 0
    materialized: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    done_steps: set[str] = field(default_factory=set)
    failed_steps: list[str] = field(default_factory=list)
    started: dict[str, float] = field(default_factory=dict)  # step -> when it started
    seconds: float = 0.0  # the stage's steps' wall time (its steps interleave with others')
    ended: bool = False

    def detail(self) -> str:
        parts = []
        if self.assets:
            parts.append(f"{self.materialized}/{self.assets} assets")
        if self.checks:
            ran = self.checks_passed + self.checks_failed
            parts.append(f"{self.checks_passed}/{self.checks} checks passed")
            if self.checks_failed:
                parts.append(f"{self.checks_failed} failed")
            elif ran < self.checks:
                parts.append(f"{self.checks - ran} not run")
        if self.failed_steps:
            parts.append("FAILED: " + ", ".join(self.failed_steps))
        return ", ".join(parts) or "done"


def _stage_of(
    step: str, group: str | None, has_assets: bool, dbt_step: str, extract_steps: set[str]
) -> str:
    """The stage a step's op belongs to: the asset kinds this project has, any other asset
    (a report, say) by its group name."""
    from dagster_project.serve.assets import published_warehouse
    from dagster_project.serve.focus.assets import focus_export

    if step == dbt_step:
        return "dbt build (models, tests)"
    if step in extract_steps:
        return "extract landing files"
    if not has_assets or group == "governance":
        return "checks and alerts"
    if step == focus_export.op.name:
        return "FOCUS export"
    if step == published_warehouse.op.name:
        return "publish"
    return "report" if "report" in step else f"{group or step}"


def plan_stages(defs: dg.Definitions) -> dict[str, Stage]:
    """Stage label -> Stage (pipeline order; a line is printed when a stage's last step ends);
    each knows its steps (ops) and how many assets and checks they produce, so the stage lines
    show progress against totals."""
    from dagster_project.extract.assets import extract_assets
    from dagster_project.transform.assets import dbt_models

    graph = defs.resolve_asset_graph()
    extract_steps = {asset.op.name for asset in extract_assets}
    order = ["extract landing files", "dbt build (models, tests)", "checks and alerts",
             "FOCUS export", "publish", "report"]  # fmt: skip
    stages: dict[str, Stage] = {}
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable:
            continue
        step = assets_def.node_def.name
        groups = sorted({graph.get(key).group_name for key in assets_def.keys})
        label = _stage_of(
            step,
            groups[0] if groups else None,
            bool(assets_def.keys),
            dbt_models.op.name,
            extract_steps,
        )
        stage = stages.setdefault(label, Stage(label, set()))
        stage.steps.add(step)
        stage.assets += len(assets_def.keys)
        stage.checks += len(assets_def.check_keys)
    rank = {label: i for i, label in enumerate(order)}
    return dict(sorted(stages.items(), key=lambda item: rank.get(item[0], len(order))))


class Progress:
    """Prints a stage's line when it ends; on a terminal, a live counter while it runs."""

    def __init__(self, out: IO[str], total: int) -> None:
        self.out, self.total, self.number = out, total, 0
        self.live = out.isatty()

    def line(self, label: str, detail: str, seconds: float) -> None:
        self.number += 1
        self.clear()
        self.out.write(f"[{self.number}/{self.total}] {label:<28} {detail:<43} {seconds:6.1f}s\n")
        self.out.flush()

    def status(self, text: str) -> None:
        if self.live:
            self.out.write(f"\r\033[K      {text}")
            self.out.flush()

    def clear(self) -> None:
        if self.live:
            self.out.write("\r\033[K")


def _remote_job_origin(job_name: str):
    """The origin the UI gives a run of `job_name` launched from `make dagster`'s code location
    (module dagster_project.definitions, its single repository): the run is listed under it."""
    from dagster._core.definitions.repository_definition.valid_definitions import (
        SINGLETON_REPOSITORY_NAME,
    )
    from dagster._core.remote_origin import RemoteRepositoryOrigin
    from dagster._core.workspace.load import location_origin_from_module_name

    location = location_origin_from_module_name(
        DEFINITIONS_MODULE, None, working_directory=str(REPO_ROOT), executable_path=sys.executable
    )
    return RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME).get_job_origin(job_name)


TRIGGER_TAG, PROCESS_TAG = "aifinops/trigger", "aifinops/process"  # who ran it: host:pid


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(process: str) -> bool:
    host, _, pid = process.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs an `aifinops-run` process started and never finished (it was
    killed): the schedule and the landing sensor skip while a pipeline run is in progress, so
    a run left 'started' would stop them for good. Returns the run ids so marked."""
    from dagster_project.automation import IN_PROGRESS, PIPELINE_JOB_NAME

    marked = []
    records = instance.get_run_records(
        dg.RunsFilter(
            job_name=PIPELINE_JOB_NAME, statuses=IN_PROGRESS, tags={TRIGGER_TAG: "aifinops-run"}
        )
    )
    for record in records:
        process = record.dagster_run.tags.get(PROCESS_TAG, "")
        if process and not _alive(process):
            instance.report_run_failed(
                record.dagster_run, f"the aifinops-run process ({process}) ended mid-run"
            )
            marked.append(record.dagster_run.run_id)
    return marked


def execute_pipeline(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    tags: dict[str, str],
    run_config: dict | None = None,
) -> Iterator[dg.DagsterEvent]:
    """Run the job `aifinops_pipeline` in this process (steps in order: one DuckDB writer) as
    `execute_in_process` does, but stored with the UI's code location as its origin and with
    its events handed over as they happen."""
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.api import (
        ExecuteRunWithPlanIterable,
        create_execution_plan,
        job_execution_iterator,
    )
    from dagster._core.execution.context_creation_job import (
        PlanOrchestrationContextManager,
        orchestration_context_event_generator,
    )

    from dagster_project.automation import PIPELINE_JOB_NAME

    job_def = defs.resolve_job_def(PIPELINE_JOB_NAME)
    job = InMemoryJob(job_def)
    run_config = run_config or {}
    plan = create_execution_plan(job, run_config=run_config, instance_ref=instance.get_ref())
    run = instance.create_run_for_job(
        job_def=job_def,
        run_config=run_config,
        tags={**job_def.run_tags, **tags},
        execution_plan=plan,
        remote_job_origin=_remote_job_origin(PIPELINE_JOB_NAME),
    )
    yield from ExecuteRunWithPlanIterable(
        execution_plan=plan,
        iterator=job_execution_iterator,
        execution_context_manager=PlanOrchestrationContextManager(
            context_event_generator=orchestration_context_event_generator,
            job=job,
            execution_plan=plan,
            dagster_run=run,
            instance=instance,
            run_config=run_config,
            executor_defs=None,
            output_capture=None,
            raise_on_error=False,
        ),
    )


def _follow(events: Iterator[dg.DagsterEvent], stages: dict[str, Stage], progress: Progress):
    """Consume the run's events: count each stage's assets and checks, print its line when
    its last step ends. Returns every event (the failures are reported from them)."""
    by_step = {step: stage for stage in stages.values() for step in stage.steps}
    seen = []
    for event in events:
        seen.append(event)
        stage = by_step.get(event.step_key or "")
        if stage is None:
            continue
        kind = event.event_type_value
        now = time.perf_counter()
        if kind == "STEP_START":
            stage.started[event.step_key] = now
        elif kind == "ASSET_MATERIALIZATION":
            stage.materialized += 1
        elif kind == "ASSET_CHECK_EVALUATION":
            if event.event_specific_data.passed:
                stage.checks_passed += 1
            else:
                stage.checks_failed += 1
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            stage.done_steps.add(event.step_key)
            stage.seconds += now - stage.started.get(event.step_key, now)
            if kind == "STEP_FAILURE":
                stage.failed_steps.append(event.step_key)
            if stage.done_steps >= stage.steps:
                stage.ended = True
                progress.line(stage.label, stage.detail(), stage.seconds)
        if kind in ("ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"):
            progress.status(f"{stage.label}: {stage.detail()}")
    # a stage whose steps did not all run (an upstream step failed) still gets its line
    for stage in stages.values():
        if not stage.ended:
            not_run = len(stage.steps - stage.done_steps)
            detail = f"{stage.detail()}; {not_run} step(s) not run"
            progress.line(stage.label, detail, stage.seconds)
    return seen


def _where(
    events: list[dg.DagsterEvent], warehouse: WarehouseResource, log_path: Path
) -> list[str]:
    from dagster_project.serve.publish import published_path

    lines = [""]
    published = published_path(warehouse.publish_folder)
    if published.exists():
        lines.append(f"published file:  {published}")
    for event in events:
        if event.event_type_value != "ASSET_MATERIALIZATION":
            continue
        metadata = event.event_specific_data.materialization.metadata
        if "parquet_path" in metadata:
            paths = [str(metadata[key].value) for key in ("parquet_path", "csv_path")
                     if key in metadata]  # fmt: skip
            lines.append(f"FOCUS export:    {' and '.join(paths)}")
    from dagster_project.serve.report import report_path

    report = report_path(warehouse.publish_folder)
    if report.exists():
        lines.append(f"report:          {report}")
    lines.append(f"full log:        {log_path}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--demo", action="store_true", help="generate demo data if absent")
    parser.add_argument(
        "--full-refresh", action="store_true", help="rebuild every incremental model in full"
    )
    parser.add_argument(
        "--backfill-from", metavar="YYYY-MM-DD", type=_day, help="rebuild every day from this on"
    )
    parser.add_argument(
        "--force", action="store_true", help="run even when nothing changed since the last run"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    log_path = log_dir() / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.log"
    with _everything_logged_to(log_path) as (out, err):
        code = _run(args, out, err, log_path)
        out.write(f"\nfinished in {time.perf_counter() - began:.0f}s\n")
    return code


def _day(value: str):
    from dagster_project.transform.dbt_build import backfill_day

    try:
        return backfill_day(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_config_of(args: argparse.Namespace) -> dict:
    """The job's run config for the command line's --full-refresh / --backfill-from."""
    from dagster_project.transform.dbt_build import run_config

    return run_config(full_refresh=args.full_refresh, backfill_from=args.backfill_from)


WARNING_LINES = 2  # a warning's description lines on the screen; all of it is in the log


def _shown(description: str, is_error: bool) -> str:
    """A failed check's description as printed: all of it (500 characters) for an error, the
    first lines of a warning (an alert check lists every alert: the log has the rest)."""
    lines = description.splitlines()
    if is_error or len(lines) <= WARNING_LINES:
        return description[:500]
    more = f"... and {len(lines) - WARNING_LINES} more (in the log)"
    return "\n    ".join([line[:200] for line in lines[:WARNING_LINES]] + [more])


def _run(args: argparse.Namespace, out: IO[str], err: IO[str], log_path: Path) -> int:
    from dagster_project.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=err)
        return 2
    paths = WarehouseResource.from_settings(settings)
    # dbt's lines go to the log file: no terminal colour codes in it
    os.environ.setdefault("DBT_USE_COLORS", "false")
    out.write(f"landing folder: {paths.landing_dir}\n")
    out.write(f"warehouse:      {paths.warehouse_path}\n")
    out.write(f"log:            {log_path}\n")
    from dagster_project.transform.org_seeds import SeedsError

    generate = args.demo and not (paths.landing_folder / "_demo_truth.json").exists()
    stages_before = 2 if args.demo else 1
    started = time.perf_counter()
    if generate:
        from dagster_project.demo.cli import main as demo_main

        demo_main(["--out", paths.landing_dir])
    inputs = RunInputs(
        paths.warehouse_file, paths.publish_folder, paths.export_folder, paths.landing_folder,
        settings.seeds_dir,
    )  # fmt: skip
    fingerprint = inputs.fingerprint()
    since = None if _must_run(args) else inputs.unchanged_since(fingerprint)
    if since:
        out.write(
            f"nothing changed since the run that finished {since}: the same landing files, "
            "code, seeds and settings, and its outputs untouched. Nothing ran; the warehouse "
            "and the published file are current (--force runs anyway).\n"
        )
        _print_summary(paths, out)
        return 0
    inputs.forget()
    try:  # the company's seed folder (AIFINOPS_SEEDS_DIR) is checked before anything runs
        parsed = time.perf_counter()
        from dagster_project.transform.dbt_project import prepare_dbt_manifest

        prepare_dbt_manifest()
        from dagster_project.definitions import build_definitions

        defs = build_definitions()
    except SeedsError as exc:
        print(f"error: {exc}", file=err)
        return 2
    stages = plan_stages(defs)
    progress = Progress(out, stages_before + len(stages))
    if args.demo:
        detail = "written" if generate else "skipped: already in the landing folder"
        progress.line("generate demo data", detail, parsed - started)
    progress.line("dbt parse, load definitions", "manifest ready", time.perf_counter() - parsed)

    from dagster_project.run_history import without_fsync

    instance = _instance()
    for run_id in fail_abandoned_runs(instance):
        print(f"run {run_id} of a killed aifinops-run marked failed")  # to the log
    with without_fsync(os.environ["DAGSTER_HOME"]):
        events = _follow(
            execute_pipeline(
                defs,
                instance,
                {TRIGGER_TAG: "aifinops-run", PROCESS_TAG: _this_process()},
                run_config_of(args),
            ),
            stages,
            progress,
        )
    failed_checks = [
        event.event_specific_data
        for event in events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and not event.event_specific_data.passed
    ]
    errors = [e for e in failed_checks if e.severity == dg.AssetCheckSeverity.ERROR]
    for evaluation in failed_checks:
        level = "FAILED CHECK" if evaluation in errors else "WARNING"
        out.write(f"{level} {evaluation.asset_key.to_user_string()}: {evaluation.check_name}\n")
        if evaluation.description:
            out.write(f"    {_shown(evaluation.description, evaluation in errors)}\n")
            print(f"{level} {evaluation.check_name}:\n{evaluation.description}")  # the log
        for reason in failure_reasons(paths.warehouse_path, evaluation.check_name):
            out.write(f"    {reason[:500]}\n")
    failures = [e for e in events if e.event_type_value == "STEP_FAILURE"]
    succeeded = any(e.event_type_value == "PIPELINE_SUCCESS" for e in events)
    if failures or not succeeded:
        for event in failures:
            error = event.event_specific_data.error
            message = (error.message if error else "").strip().splitlines()
            out.write(f"step {event.step_key} failed: {' '.join(message[:3])[:500]}\n")
        failed = ", ".join(e.step_key for e in failures) or "unknown"
        out.write(f"run failed in step(s): {failed}; see the log {log_path}\n")
        return 1
    _print_summary(paths, out)
    out.write("\n".join(_where(events, paths, log_path)) + "\n")
    if errors:
        return 1
    inputs.record(fingerprint)
    return 0


def _must_run(args: argparse.Namespace) -> bool:
    """A run that may not be skipped even when its inputs did not change: asked to rebuild, or
    a source reads a system outside the landing folder (its new rows are not seen beforehand)."""
    from dagster_project.extract.sources import pulling_sources

    return bool(args.force or args.full_refresh or args.backfill_from or pulling_sources())


def _print_summary(paths: WarehouseResource, out: IO[str]) -> None:
    with db.connect(paths.warehouse_path, read_only=True) as con:
        from dagster_project.serve.summary import build_summary

        out.write(build_summary(con) + "\n")


if __name__ == "__main__":
    sys.exit(main())
