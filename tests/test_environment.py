"""A run leaves nothing of its own in the process's environment. dbt reads its settings from
environment variables (the warehouse path, DuckDB's memory, spill folder and threads, the
company's seed folder): they are given to each dbt process, never left behind in os.environ,
where a later run in the same process (a test session, `make spark-compare`) would inherit them:
another company's seed folder once made the Spark comparison build another company.
(tests/conftest.run_pipeline checks every whole-pipeline run of the test session the same way.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from dagster_project.config import environment
from tests.conftest import pipeline_env, settings_left_behind


def test_the_environment_block_puts_every_variable_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIFINOPS_TEST_CHANGED", "before")
    monkeypatch.setenv("AIFINOPS_TEST_REMOVED", "before")
    monkeypatch.delenv("AIFINOPS_TEST_GIVEN", raising=False)
    monkeypatch.delenv("AIFINOPS_TEST_SET_INSIDE", raising=False)
    with environment({"AIFINOPS_TEST_CHANGED": "inside", "AIFINOPS_TEST_GIVEN": "inside"}):
        assert os.environ["AIFINOPS_TEST_CHANGED"] == os.environ["AIFINOPS_TEST_GIVEN"] == "inside"
        os.environ["AIFINOPS_TEST_SET_INSIDE"] = "inside"
        del os.environ["AIFINOPS_TEST_REMOVED"]
    assert os.environ["AIFINOPS_TEST_CHANGED"] == os.environ["AIFINOPS_TEST_REMOVED"] == "before"
    assert "AIFINOPS_TEST_GIVEN" not in os.environ
    assert "AIFINOPS_TEST_SET_INSIDE" not in os.environ


def _no_aifinops_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [key for key in os.environ if key.startswith("AIFINOPS_")]:
        monkeypatch.delenv(key)


def test_preparing_dbt_and_loading_the_definitions_leave_no_setting_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster_project.definitions import build_definitions
    from dagster_project.transform.dbt_project import prepare_dbt_manifest

    _no_aifinops_settings(monkeypatch)
    env = pipeline_env(tmp_path, one_warehouse_path=True)  # the profile of the tests' runs
    with environment(env):
        before = dict(os.environ)
        prepare_dbt_manifest()
        build_definitions()
        left = settings_left_behind(before)
    assert left == {}


def test_each_dbt_process_gets_the_settings_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What dbt reads (profiles.yml, dbt_project.yml) is set while the dbt process starts, for
    the company configured then, and gone after it."""
    from dagster_project.transform.dbt_project import DBT_EXECUTABLE, DbtCli, dbt_project

    started_with: list[dict[str, str]] = []
    monkeypatch.setattr(
        DbtCliResource, "cli", lambda self, args, **kwargs: started_with.append(dict(os.environ))
    )
    _no_aifinops_settings(monkeypatch)
    company = tmp_path / "company"
    company.mkdir()
    env = {**pipeline_env(tmp_path), "AIFINOPS_DUCKDB_MEMORY_LIMIT": "3GB"}
    dbt = DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    with environment(env):
        before = dict(os.environ)
        dbt.cli(["build"])
        left = settings_left_behind(before)
        with environment({"AIFINOPS_SEEDS_DIR": str(company)}):
            dbt.cli(["build"])
    assert left == {}
    first, second = started_with
    assert first["AIFINOPS_DUCKDB_PATH"] == str(tmp_path / "warehouse.duckdb")
    assert first["AIFINOPS_DUCKDB_MEMORY_LIMIT"] == "3GB"
    assert first["AIFINOPS_DUCKDB_TEMP_DIR"] == str(tmp_path / "tmp")
    assert first["AIFINOPS_DBT_SEED_PATH"] == "../seeds"  # the repository's seeds
    assert second["AIFINOPS_DBT_SEED_PATH"] != "../seeds"  # the company's, assembled
    assert "AIFINOPS_DBT_SEED_PATH" not in os.environ
