"""`aifinops-run` (`make demo`): a short stdout (stage lines, the summary, where things are), the
full logs in a file, and runs the Dagster UI (`make dagster`) lists with their check history."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from dagster_project.automation import PIPELINE_JOB_NAME
from dagster_project.run import DEFINITIONS_MODULE, _everything_logged_to
from tests.conftest import BuiltWarehouse


def test_everything_written_while_logging_goes_to_the_file_not_the_screen(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "run.log"
    with _everything_logged_to(log) as (out, err):
        print("python print")
        print("python stderr", file=sys.stderr)
        subprocess.run([sys.executable, "-c", "print('child stdout'); import sys; "
                        "print('child stderr', file=sys.stderr)"], check=True)  # fmt: skip
        out.write("stage line\n")
        err.write("error line\n")
    screen_out, screen_err = capfd.readouterr()
    assert screen_out == "stage line\n"
    assert screen_err == "error line\n"
    logged = log.read_text()
    for line in ("python print", "python stderr", "child stdout", "child stderr"):
        assert line in logged
    assert "stage line" not in logged and "error line" not in logged
    print("after")  # the streams are the caller's again
    assert capfd.readouterr().out == "after\n"


@pytest.mark.integration
def test_run_prints_stage_lines_summary_and_paths_under_60_lines(built_warehouse: BuiltWarehouse):
    out = built_warehouse.run_output
    lines = out.splitlines()
    # `--demo` on a fresh clone adds one line (generate demo data)
    assert 0 < len(lines) < 59, out
    stages = [line for line in lines if re.match(r"\[\d+/\d+\] ", line)]
    labels = {re.split(r"\s{2,}", line.split("] ", 1)[1])[0] for line in stages}
    assert {"dbt parse, load definitions", "extract landing files", "dbt build (models, tests)",
            "checks and alerts", "FOCUS export", "publish"} <= labels, stages  # fmt: skip
    assert all(re.search(r"\d+\.\ds$", line) for line in stages), stages
    total = int(stages[0].split("/", 1)[1].split("]")[0])
    assert len(stages) == total
    dbt_line = next(line for line in stages if "dbt build" in line)
    assert re.search(r"(\d+)/\1 assets, (\d+)/\2 checks passed", dbt_line), dbt_line
    assert "AI spend summary" in out and "billed per source" in out
    # no Dagster or dbt log line on the screen
    assert "STEP_SUCCESS" not in out and "Finished running" not in out

    where = dict(re.findall(r"^(published file|FOCUS export|full log):\s+(.+)$", out, re.M))
    assert Path(where["published file"]).exists()
    assert all(Path(p).exists() for p in where["FOCUS export"].split(" and "))
    log = Path(where["full log"])
    assert log.parent == built_warehouse.data_dir / "logs"
    logged = log.read_text()
    assert "STEP_SUCCESS" in logged  # Dagster's events
    assert "Finished running" in logged and "dbt build" in logged  # dbt's own lines,
    assert "OK created sql" in logged  # its per-node ones too


@pytest.mark.integration
def test_the_run_is_listed_under_the_ui_job_with_its_check_history(
    built_warehouse: BuiltWarehouse,
):
    from dagster._core.definitions.repository_definition.valid_definitions import (
        SINGLETON_REPOSITORY_NAME,
    )
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG
    from dagster._core.workspace.load_target import ModuleTarget
    from dagster._grpc.utils import get_loadable_targets

    from dagster_project.config import REPO_ROOT

    assert built_warehouse.run_exit_code == 0
    # the code location as `make dagster` (`dagster dev -m dagster_project.definitions`,
    # started in the repository) loads it: its name, and the job it defines
    [location] = ModuleTarget(DEFINITIONS_MODULE, None, str(REPO_ROOT), None).create_origins()
    [target] = get_loadable_targets(
        python_file=None,
        module_name=DEFINITIONS_MODULE,
        package_name=None,
        autoload_defs_module_name=None,
        working_directory=str(REPO_ROOT),
        attribute=None,
        resolve_lazy_defs=True,
    )
    assert isinstance(target.target_definition, dg.Definitions)  # one repository, unnamed
    assert target.target_definition.resolve_job_def(PIPELINE_JOB_NAME)
    label = f"{SINGLETON_REPOSITORY_NAME}@{location.location_name}"

    home = built_warehouse.data_dir / ".dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [record] = instance.get_run_records(dg.RunsFilter(job_name=PIPELINE_JOB_NAME))
        run = record.dagster_run
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.remote_job_origin is not None
        assert run.remote_job_origin.repository_origin.get_label() == label
        # what the UI filters a job's runs by (a tag stored beside the run)
        by_label = dg.RunsFilter(job_name=PIPELINE_JOB_NAME, tags={REPOSITORY_LABEL_TAG: label})
        assert [r.dagster_run.run_id for r in instance.get_run_records(by_label)] == [run.run_id]
        assert not instance.get_run_records(dg.RunsFilter(job_name="__ASSET_JOB"))

        fact = dg.AssetKey(["marts", "fct_allocated_costs"])
        assert instance.get_latest_materialization_event(fact).run_id == run.run_id
        storage = instance.event_log_storage
        for check in (
            dg.AssetCheckKey(fact, "assert_allocated_cost_equals_billed_cost"),
            dg.AssetCheckKey(
                dg.AssetKey(["intermediate", "int_requests_unioned"]), "assert_token_parts_add_up"
            ),
        ):
            [execution] = storage.get_asset_check_execution_history(check, limit=5)
            assert execution.run_id == run.run_id, check
            assert execution.status.value == "SUCCEEDED", check


def test_a_warning_shows_its_first_lines_an_error_all_of_it():
    from dagster_project.run import WARNING_LINES, _shown

    alerts = "\n".join(f"budget of team {n} crossed 80%" for n in range(10))
    shown = _shown(alerts, is_error=False).split("\n    ")
    assert shown[:WARNING_LINES] == alerts.splitlines()[:WARNING_LINES]
    assert shown[-1] == f"... and {10 - WARNING_LINES} more (in the log)"
    assert _shown(alerts, is_error=True) == alerts[:500]


def test_a_killed_runs_started_run_is_marked_failed_a_live_ones_is_not(tmp_path: Path):
    # A run left 'started' by a killed aifinops-run would make the schedule and the landing
    # sensor skip forever (they wait while a pipeline run is in progress).
    import socket

    from dagster._core.storage.dagster_run import DagsterRun

    from dagster_project.run import PROCESS_TAG, TRIGGER_TAG, fail_abandoned_runs

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    host = socket.gethostname()
    processes = {"killed": f"{host}:{ended.stdout.strip()}", "alive": f"{host}:{os.getpid()}",
                 "elsewhere": "another-host:1"}  # fmt: skip
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        for run_id, process in processes.items():
            instance.add_run(
                DagsterRun(
                    job_name=PIPELINE_JOB_NAME,
                    run_id=run_id,
                    status=dg.DagsterRunStatus.STARTED,
                    tags={TRIGGER_TAG: "aifinops-run", PROCESS_TAG: process},
                )
            )
        assert fail_abandoned_runs(instance) == ["killed"]
        status = {run_id: instance.get_run_by_id(run_id).status for run_id in processes}
    assert status == {"killed": dg.DagsterRunStatus.FAILURE,
                      "alive": dg.DagsterRunStatus.STARTED,
                      "elsewhere": dg.DagsterRunStatus.STARTED}  # fmt: skip


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _event(kind: str, step: str, passed: bool | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        event_type_value=kind, step_key=step, event_specific_data=SimpleNamespace(passed=passed)
    )


def test_stage_lines_count_each_stages_assets_and_checks_and_name_a_failed_step():
    from dagster_project.run import Progress, Stage, _follow

    stages = {
        "extract landing files": Stage("extract landing files", {"raw_a", "raw_b"}, assets=2),
        "dbt build (models, tests)": Stage("dbt build (models, tests)", {"dbt"}, 2, 3),
    }
    events = [_event("STEP_START", "raw_a"), _event("ASSET_MATERIALIZATION", "raw_a"),
              _event("STEP_SUCCESS", "raw_a"), _event("STEP_START", "dbt"),
              _event("ASSET_MATERIALIZATION", "dbt"), _event("ASSET_CHECK_EVALUATION", "dbt", True),
              _event("ASSET_CHECK_EVALUATION", "dbt", False), _event("STEP_FAILURE", "dbt"),
              _event("RUN_FAILURE", None)]  # fmt: skip
    screen = _Terminal()
    assert len(_follow(iter(events), stages, Progress(screen, 3))) == len(events)
    lines = [line.rsplit("\r\x1b[K", 1)[-1] for line in screen.getvalue().split("\n")]
    assert lines[0].startswith("[1/3] dbt build (models, tests)")
    assert "1/2 assets, 1/3 checks passed, 1 failed, FAILED: dbt" in lines[0]
    # raw_b never ran: the stage still gets its line, saying so
    assert lines[1].startswith("[2/3] extract landing files")
    assert "1/2 assets; 1 step(s) not run" in lines[1]
    assert "\r\x1b[K      dbt build (models, tests): 1/2 assets" in screen.getvalue()  # live
