"""Orchestration at scale (issue 11): DuckDB's memory limit, spill folder and threads come from
configuration, for every Python connection and for dbt alike; a run's config decides what dbt
rebuilds (incremental by default, --full-refresh, a backfill from a day), and the daily schedule
asks for the incremental run."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import db
from dagster_project.config import (
    DBT_PROJECT_DIR,
    ConfigError,
    DuckDBSettings,
    Settings,
)
from dagster_project.transform.dbt_build import (
    DBT_OP_NAME,
    DbtBuildConfig,
    dbt_build_args,
    run_config,
)

SETTINGS_SQL = (
    "select current_setting('memory_limit'), current_setting('temp_directory'), "
    "current_setting('threads')"
)


@pytest.fixture
def duckdb_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("AIFINOPS_DUCKDB_MEMORY_LIMIT", "AIFINOPS_DUCKDB_TEMP_DIR",
                     "AIFINOPS_DUCKDB_THREADS", "AIFINOPS_DBT_THREADS"):  # fmt: skip
        monkeypatch.setenv(variable, "")  # so the teardown restores it (build_definitions sets
        monkeypatch.delenv(variable)  # them for dbt)
    monkeypatch.setenv("AIFINOPS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_every_python_connection_gets_the_configured_limit_spill_folder_and_threads(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "1GiB")
    monkeypatch.setenv("AIFINOPS_DUCKDB_TEMP_DIR", str(duckdb_env / "spill"))
    monkeypatch.setenv("AIFINOPS_DUCKDB_THREADS", "1")
    with db.connect() as con:
        assert con.execute(SETTINGS_SQL).fetchone() == ("1.0 GiB", str(duckdb_env / "spill"), 1)
    warehouse = duckdb_env / "w.duckdb"
    with db.connect(warehouse) as con:
        con.execute("create table t as select 1 as x")
    with db.connect(warehouse, read_only=True) as con:
        assert con.execute(SETTINGS_SQL).fetchone()[:2] == ("1.0 GiB", str(duckdb_env / "spill"))


def test_a_second_connection_opens_after_the_first_has_spilled(duckdb_env: Path) -> None:
    """Two connections of one process to one file share its database; once a query has spilled
    to the temp folder, DuckDB refuses to set temp_directory again ("Cannot switch temporary
    directory"), so `db.connect` gives it when the database opens, not by SET: the second
    connection opens, reads the first one's settings and spills too."""
    spill = duckdb_env / "spill"
    settings = DuckDBSettings(memory_limit="64MB", temp_directory=spill, threads=1)
    warehouse = duckdb_env / "w.duckdb"
    big = "select i, md5(i::varchar) as h from range(2000000) as t(i) order by h"
    with db.connect(warehouse, settings=settings) as first:
        first.execute(f"create table big as {big}")
        assert any(spill.iterdir()), "the first connection did not spill: the test proves nothing"
        with db.connect(warehouse, settings=settings) as second:
            assert second.execute(SETTINGS_SQL).fetchone()[1] == str(spill)
            second.execute(f"create table big_again as {big}")
            assert second.execute("select count(*) from big_again").fetchone() == (2000000,)


def test_defaults_are_duckdbs_limit_and_a_tmp_folder_in_the_data_dir(duckdb_env: Path) -> None:
    settings = Settings.from_env().duckdb
    assert settings.memory_limit == "80%"
    assert settings.temp_directory == duckdb_env / "data" / "tmp"
    assert settings.threads is None and settings.dbt_threads == 4
    import duckdb

    with duckdb.connect() as plain, db.connect() as ours:
        # unset, the limit is DuckDB's own default
        assert ours.execute(SETTINGS_SQL).fetchone()[0] == plain.execute(SETTINGS_SQL).fetchone()[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AIFINOPS_DUCKDB_MEMORY_LIMIT", "lots"),
        ("AIFINOPS_DUCKDB_MEMORY_LIMIT", "6"),
        ("AIFINOPS_DUCKDB_MEMORY_LIMIT", "6GB'; drop table x; --"),
        ("AIFINOPS_DUCKDB_THREADS", "0"),
        ("AIFINOPS_DBT_THREADS", "two"),
    ],
)
def test_an_invalid_value_fails_naming_the_variable(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        DuckDBSettings.from_env()
    with pytest.raises(ConfigError, match=variable):
        db.connect()


def test_aifinops_run_stops_before_anything_on_an_invalid_limit(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dagster_project.run import main

    monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "half")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "AIFINOPS_DUCKDB_MEMORY_LIMIT='half'" in err and "Traceback" not in err
    assert not (duckdb_env / "data" / "warehouse.duckdb").exists()


def test_dbt_profile_gets_the_configured_limit_spill_folder_and_threads(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt itself (the project's profiles.yml, as the pipeline sets its environment) reads back
    the settings from DuckDB: a tiny project on the same profile, `dbt show`."""
    monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "1500MB")
    monkeypatch.setenv("AIFINOPS_DUCKDB_TEMP_DIR", str(duckdb_env / "spill"))
    monkeypatch.setenv("AIFINOPS_DBT_THREADS", "3")
    settings = DuckDBSettings.from_env()
    project = duckdb_env / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: probe\nversion: '1.0'\nprofile: ai_finops\nconfig-version: 2\n"
    )
    from dagster_project.transform.dbt_project import DBT_EXECUTABLE

    env = {**os.environ, **settings.dbt_env(),
           "AIFINOPS_DUCKDB_PATH": str(duckdb_env / "probe.duckdb")}  # fmt: skip
    result = subprocess.run(
        [DBT_EXECUTABLE, "--log-format", "json", "show", "--inline",
         "select current_setting('memory_limit') as m, current_setting('temp_directory') as t, "
         "current_setting('preserve_insertion_order') as o",
         "--output", "json", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(project)],
        env=env, capture_output=True, text=True, cwd=project, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    preview = next(e["data"]["preview"] for e in events if "preview" in e.get("data", {}))
    rows = json.loads(preview) if isinstance(preview, str) else preview
    assert rows == [{"m": "1.3 GiB", "t": str(duckdb_env / "spill"), "o": False}]
    # dbt's own log names the thread count it read from the profile
    assert any('"num_threads": 3' in json.dumps(event.get("data", {})) for event in events)


def test_definitions_hand_dbt_the_checked_settings(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dbt resource of build_definitions starts dbt with the resolved values dbt's profile
    reads (absolute paths)."""
    from dagster_dbt import DbtCliResource

    from dagster_project.definitions import build_definitions

    monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("AIFINOPS_DUCKDB_TEMP_DIR", "relative-spill")
    monkeypatch.chdir(duckdb_env)
    started_with: list[dict[str, str]] = []
    monkeypatch.setattr(
        DbtCliResource, "cli", lambda self, args, **kwargs: started_with.append(dict(os.environ))
    )
    build_definitions().resources["dbt"].cli(["build"])
    (dbt_env,) = started_with
    assert dbt_env["AIFINOPS_DUCKDB_MEMORY_LIMIT"] == "2GB"
    assert dbt_env["AIFINOPS_DUCKDB_TEMP_DIR"] == str(duckdb_env / "relative-spill")
    assert dbt_env["AIFINOPS_DBT_THREADS"] == "4"


# --- what dbt rebuilds ----------------------------------------------------------------------


def test_default_run_is_incremental_full_refresh_and_backfill_pass_dbts_flags() -> None:
    base = ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args(DbtBuildConfig()) == base
    assert dbt_build_args(DbtBuildConfig(full_refresh=True)) == [*base, "--full-refresh"]
    assert dbt_build_args(DbtBuildConfig(backfill_from="2026-05-01")) == [
        *base, "--vars", '{"backfill_from": "2026-05-01"}'
    ]  # fmt: skip
    with pytest.raises(ValueError, match="backfill_from='May 1st'"):
        dbt_build_args(DbtBuildConfig(backfill_from="May 1st"))


@pytest.mark.parametrize(
    ("argv", "dbt_args"),
    [
        ([], []),
        (["--full-refresh"], ["--full-refresh"]),
        (["--backfill-from", "2026-07-25"], ["--vars", '{"backfill_from": "2026-07-25"}']),
    ],
)
def test_aifinops_run_flags_reach_the_dbt_command_the_asset_runs(
    argv: list[str], dbt_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line -> the job's run config -> the dbt step's command, as Dagster runs it
    (the dbt resource records the command instead of running dbt)."""
    import argparse

    from dagster_dbt import DbtCliResource

    from dagster_project.run import _day, run_config_of
    from dagster_project.transform.assets import dbt_models
    from dagster_project.transform.dbt_project import dbt_project

    parser = argparse.ArgumentParser()
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--backfill-from", type=_day)
    config = run_config_of(parser.parse_args(argv))
    seen: list[list[str]] = []

    class RecordingDbt(DbtCliResource):
        def cli(self, args, **kwargs):
            seen.append(list(args))
            return type("Invocation", (), {"stream": lambda self: iter(())})()

    result = dg.materialize(
        [dbt_models],
        resources={"dbt": RecordingDbt(project_dir=dbt_project)},
        run_config=config,
        raise_on_error=False,
    )
    assert seen == [["build", "--exclude-resource-type", "unit_test", *dbt_args]], result


def test_aifinops_run_rejects_a_backfill_day_that_is_not_a_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dagster_project.run import main

    with pytest.raises(SystemExit):
        main(["--backfill-from", "yesterday"])
    assert "backfill_from='yesterday' is not a day" in capsys.readouterr().err


def test_run_config_is_valid_for_the_pipeline_job() -> None:
    from dagster_project.automation import PIPELINE_JOB_NAME
    from dagster_project.definitions import build_definitions

    job = build_definitions().resolve_job_def(PIPELINE_JOB_NAME)
    for config in (run_config(), run_config(full_refresh=True),
                   run_config(backfill_from=date(2026, 7, 25))):  # fmt: skip
        assert dg.validate_run_config(job, config)["ops"][DBT_OP_NAME]["config"]


def test_daily_schedule_and_landing_sensor_ask_for_the_incremental_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster_project.automation import daily_pipeline_schedule, landing_files_sensor

    incremental = {"ops": {DBT_OP_NAME: {"config": {"full_refresh": False}}}}
    with dg.instance_for_test() as instance:
        tick = daily_pipeline_schedule.evaluate_tick(
            dg.build_schedule_context(
                instance=instance, scheduled_execution_time=datetime(2026, 9, 1, 6, tzinfo=UTC)
            )
        )
        assert [request.run_config for request in tick.run_requests] == [incremental]
        (tmp_path / "litellm").mkdir()
        (tmp_path / "litellm" / "day1.jsonl").write_text('{"request_id": "r1"}\n')
        monkeypatch.setenv("AIFINOPS_LANDING_DIR", str(tmp_path))
        tick = landing_files_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert [request.run_config for request in tick.run_requests] == [incremental]


# --- fixed cost of a run --------------------------------------------------------------------


def test_run_history_is_written_without_fsync_only_under_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the context, SQLite files under DAGSTER_HOME get synchronous=OFF (0); any other
    SQLite file, and every file after the context, keeps SQLite's default FULL (2)."""
    import sqlalchemy

    from dagster_project.run_history import FSYNC_VAR, without_fsync

    monkeypatch.delenv(FSYNC_VAR, raising=False)
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    (home / "history").mkdir(parents=True)
    elsewhere.mkdir()

    def synchronous(path: Path) -> int:
        engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=sqlalchemy.NullPool)
        with engine.connect() as con:
            value = con.execute(sqlalchemy.text("pragma synchronous")).scalar()
        engine.dispose()
        return value

    with without_fsync(home):
        assert synchronous(home / "history" / "runs.db") == 0
        assert synchronous(elsewhere / "other.db") == 2
    assert synchronous(home / "history" / "runs.db") == 2
    monkeypatch.setenv(FSYNC_VAR, "on")
    with without_fsync(home):
        assert synchronous(home / "history" / "runs.db") == 2


def test_dbt_parses_with_the_profile_the_build_uses(
    duckdb_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare_dbt_manifest exports the warehouse path and DuckDB settings before it decides
    whether to parse, and parses again when they changed since the last parse (else dbt's build
    would re-parse the whole project, 10-20 s, because its profile changed)."""
    from dagster_project.transform import dbt_project

    parses: list[tuple[str, str]] = []

    def parse(project: object) -> None:
        parses.append(
            (os.environ["AIFINOPS_DUCKDB_PATH"], os.environ["AIFINOPS_DUCKDB_MEMORY_LIMIT"])
        )

    monkeypatch.setattr(dbt_project.dbt_project.preparer, "prepare", parse)
    target = dbt_project.dbt_project.manifest_path.parent
    stamps = {name: target / name for name in ("aifinops_profile.json",)}
    saved = {name: path.read_text() for name, path in stamps.items() if path.exists()}
    try:
        monkeypatch.setenv("AIFINOPS_DUCKDB_PATH", str(duckdb_env / "a.duckdb"))
        monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "3GB")
        dbt_project.prepare_dbt_manifest()
        dbt_project.prepare_dbt_manifest()  # same profile: no parse
        monkeypatch.setenv("AIFINOPS_DUCKDB_MEMORY_LIMIT", "4GB")
        dbt_project.prepare_dbt_manifest()
    finally:
        for name, text in saved.items():
            stamps[name].write_text(text)
    warehouse = str(duckdb_env / "a.duckdb")
    assert parses[-2:] == [(warehouse, "3GB"), (warehouse, "4GB")]
    assert len(parses) in (2, 3)  # a first parse if the project changed since the last one


def test_the_dbt_resource_knows_its_dbt_version_without_starting_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dbt.version import __version__ as installed

    from dagster_project.transform.dbt_project import DBT_EXECUTABLE, DbtCli, dbt_project

    def no_subprocess(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"dbt started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    assert str(resource._cli_version) == installed
    elsewhere = tmp_path / "dbt"
    elsewhere.write_text("#!/bin/sh\necho 'Core: 9.9.9'\n")
    elsewhere.chmod(0o755)
    other = DbtCli(project_dir=dbt_project, dbt_executable=str(elsewhere))
    with pytest.raises(AssertionError, match="dbt started"):
        other._cli_version  # noqa: B018 (another dbt is still asked its version)


def test_dbt_keeps_spilling_after_a_model_has_spilled(duckdb_env: Path) -> None:
    """A model larger than memory_limit spills to the temp folder, and the nodes after it still
    run: DuckDB refuses to set temp_directory again once it has been used ("Cannot switch
    temporary directory"), so the profile gives it once, when the database opens
    (config_options), not to every connection (settings), which failed every test after the
    first spill of a 10M-request build."""
    project = duckdb_env / "spill_project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: spill\nversion: '1.0'\nprofile: ai_finops\nconfig-version: 2\n"
        "models:\n  spill:\n    +materialized: table\n"
    )
    (project / "models" / "big.sql").write_text(
        "select i, hash(i) as h, repeat('x', 40) as pad from range(3000000) as t(i) order by h"
    )
    (project / "models" / "after_big.sql").write_text("select count(*) as n from {{ ref('big') }}")
    spill = duckdb_env / "spill"
    settings = DuckDBSettings(memory_limit="128MB", temp_directory=spill)
    from dagster_project.transform.dbt_project import DBT_EXECUTABLE

    env = {**os.environ, **settings.dbt_env(), "AIFINOPS_DBT_THREADS": "1",
           "AIFINOPS_DUCKDB_PATH": str(duckdb_env / "spill.duckdb")}  # fmt: skip
    result = subprocess.run(
        [DBT_EXECUTABLE, "run", "--profiles-dir", str(DBT_PROJECT_DIR),
         "--project-dir", str(project)],
        env=env, capture_output=True, text=True, cwd=project, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Cannot switch temporary directory" not in result.stdout
    with duckdb.connect(str(duckdb_env / "spill.duckdb"), read_only=True) as con:
        assert con.execute("select n from main.after_big").fetchone() == (3000000,)
