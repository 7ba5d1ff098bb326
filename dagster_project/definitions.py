"""Assembles the code location: assets, checks, resources. Nothing else lives here."""

from __future__ import annotations

import dagster as dg

from dagster_project.automation import pipeline_job, schedules, sensors
from dagster_project.config import Settings
from dagster_project.extract.assets import extract_assets, extract_checks
from dagster_project.quality.expectations import build_expectation_checks
from dagster_project.resources import WarehouseResource
from dagster_project.serve.assets import published_warehouse
from dagster_project.serve.focus.assets import focus_export
from dagster_project.serve.governance.assets import alert_checks, rpt_alerts
from dagster_project.serve.report.assets import html_report
from dagster_project.transform.assets import dbt_models
from dagster_project.transform.dbt_project import DBT_EXECUTABLE, DbtCli, dbt_project


def build_definitions() -> dg.Definitions:
    # dbt reads the same AIFINOPS_* variables through profiles.yml: configure by environment
    # (the dbt resource hands them to each dbt process, resolved: DbtCli).
    # memory limit, spill folder, threads: checked once, here, the same for dbt as for Python
    settings = Settings.from_env()
    return dg.Definitions(
        assets=[
            *extract_assets,
            dbt_models,
            rpt_alerts,
            published_warehouse,
            html_report,
            focus_export,
        ],
        asset_checks=[*extract_checks, *alert_checks, *build_expectation_checks()],
        jobs=[pipeline_job],
        schedules=schedules,
        sensors=sensors,
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "dbt": DbtCli(
                project_dir=dbt_project,
                profiles_dir=str(dbt_project.profiles_dir),
                dbt_executable=DBT_EXECUTABLE,
            ),
        },
        # one DuckDB writer at a time: run steps in one process, in order
        executor=dg.in_process_executor,
    )


defs = build_definitions()
