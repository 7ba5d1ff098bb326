"""Shared fixtures: a small demo landing folder and a warehouse built from it by the real
pipeline (Dagster materialising the extract assets and the dbt project into a temporary
DuckDB file). Built once per test session: the integration tests only read it.

`make test` runs the tests on two pytest-xdist workers (`-n 2`): each worker has its own dbt
target folder, and the tests that share an expensive fixture run on one worker
(tests/xdist_groups.py)."""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

# Each xdist worker parses and builds with its own dbt target folder (manifest, partial parse
# state, a company's assembled seeds, run artifacts): set before any dagster_project module
# reads it (config.DBT_TARGET_DIR; dagster-dbt loads the manifest when the assets import).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["AIFINOPS_DBT_TARGET_DIR"] = str(
        Path(__file__).resolve().parents[1]
        / "dbt_models"
        / "target"
        / f"pytest-{os.environ['PYTEST_XDIST_WORKER']}"
    )
    # A worker runs as `python -c`: its __main__ has neither __spec__ nor __file__, and pyspark
    # then takes the process for a doctest run and exits it (SystemExit 0) on `import
    # pyspark.sql.connect`, which Great Expectations imports when pyspark is installed (every
    # expectation suite step failed). pyspark does not take an interactive interpreter for one.
    if not hasattr(sys, "ps1"):
        sys.ps1 = ">>> "

from dagster_project.config import data_dir_env, environment
from dagster_project.demo.generator import DemoConfig, generate
from tests import xdist_groups

# the hooks that share the tests between the xdist workers of `make test`
pytest_configure = xdist_groups.pytest_configure
pytest_unconfigure = xdist_groups.pytest_unconfigure
pytest_configure_node = xdist_groups.pytest_configure_node
pytest_collection_modifyitems = xdist_groups.pytest_collection_modifyitems
pytest_xdist_make_scheduler = xdist_groups.pytest_xdist_make_scheduler


def pytest_sessionstart(session: pytest.Session) -> None:
    """dagster-dbt loads the dbt manifest when the asset modules are imported: parse the
    project once, first, so a fresh clone needs no manual `dbt parse`. Under xdist each worker
    parses its own; the controlling process runs no test and parses nothing. Parsed with the
    profile of the tests' pipeline runs (`pipeline_env`), so their first run parses no more."""
    distributing = bool(session.config.getoption("tx", None))  # -n N: this process runs none
    if distributing and not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from dagster_project.transform.dbt_project import prepare_dbt_manifest

    no_run_yet = _SLOT_PARENT / "no-run-yet"
    no_run_yet.mkdir(exist_ok=True)
    with environment(pipeline_env(no_run_yet, one_warehouse_path=True)):
        prepare_dbt_manifest()


# Small enough for CI, large enough to cross a month boundary and exercise every dirt case.
TEST_DEMO = DemoConfig(seed=7, start=date(2026, 7, 20), days=21, requests_per_day=250)


@dataclass(frozen=True)
class BuiltWarehouse:
    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    truth: dict
    run_exit_code: int
    run_output: str = ""  # what `aifinops-run` printed (its stdout)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse_path), read_only=True)


# The warehouse path is part of dbt's profile, and dbt parses the whole project again (10-20 s)
# whenever its profile changed since the last parse. The tests' runs reach their warehouse
# through one path, a symbolic link turned to the run's data folder, so one parse serves them
# all; the reparse on a changed path is tested by itself (test_orchestration).
_SLOT_PARENT = Path(tempfile.mkdtemp(prefix="aifinops-tests-"))
atexit.register(shutil.rmtree, _SLOT_PARENT, True)


def pipeline_env(data_dir: Path, *, one_warehouse_path: bool = False) -> dict[str, str]:
    """The AIFINOPS_* variables of a run on `data_dir`. With `one_warehouse_path` the warehouse
    and its spill folder are reached through the path every test run uses, now turned to
    `data_dir` (so one run at a time)."""
    env = {**data_dir_env(data_dir), "AIFINOPS_PSEUDONYM_KEY": "test-pseudonym-key"}
    if one_warehouse_path:
        slot, turned = _SLOT_PARENT / "data", _SLOT_PARENT / "data.next"
        turned.unlink(missing_ok=True)
        turned.symlink_to(data_dir.resolve(), target_is_directory=True)
        os.replace(turned, slot)
        env["AIFINOPS_DUCKDB_PATH"] = str(slot / "warehouse.duckdb")
        env["AIFINOPS_DUCKDB_TEMP_DIR"] = str(slot / "tmp")
    return env


def run_pipeline(data_dir: Path, seeds_dir: Path | None = None, args: tuple[str, ...] = ()) -> int:
    """Run `aifinops-run` (with `args`) in-process with the environment pointing at `data_dir`,
    and at a company's own org seeds when `seeds_dir` is given (else the repository's). Fails
    if the run leaves an AIFINOPS_* setting of its own in the environment (a later run in this
    process would inherit it: another company's seed folder, say)."""
    from dagster_project.run import main

    env = pipeline_env(data_dir, one_warehouse_path=True)
    env["AIFINOPS_SEEDS_DIR"] = str(seeds_dir or "")
    with environment(env):
        before = dict(os.environ)
        code = main(list(args))
        left = settings_left_behind(before)
    assert not left, f"the run left these settings in os.environ: {left}"
    return code


def settings_left_behind(before: dict[str, str]) -> dict[str, str]:
    """The AIFINOPS_* variables of os.environ set or changed since `before` (its copy)."""
    return {
        key: value
        for key, value in os.environ.items()
        if key.startswith("AIFINOPS_") and before.get(key) != value
    }


@pytest.fixture(autouse=True)
def _no_dagster_storage_left_by_an_earlier_test():
    """A sensor or schedule evaluated on an `instance_for_test()` enters that instance a second
    time, and Dagster then leaves its defs-state storage set as the current one after the
    instance is disposed (a context variable). A later in-process pipeline run in the same
    session would fail with "undefined DagsterInstance weakref". Each test starts and ends
    with none set: a CLI process never has one left over either."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    data_dir = tmp_path_factory.mktemp("pipeline")
    landing = data_dir / "landing"
    generate(TEST_DEMO, landing)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run_pipeline(data_dir)
    sys.stdout.write(printed.getvalue())  # still shown with the first test that uses it
    truth = json.loads((landing / "_demo_truth.json").read_text())
    return BuiltWarehouse(
        data_dir, landing, data_dir / "warehouse.duckdb", truth, code, printed.getvalue()
    )
