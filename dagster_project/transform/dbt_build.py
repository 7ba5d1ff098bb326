"""What a run's dbt step rebuilds, as run config (kept apart from the dbt assets, which need a
parsed manifest to import: the schedule, the sensor and `aifinops-run` build run config without
one).

How much a run rebuilds is the run's config (`DbtBuildConfig`), not Dagster partitions: the
landing files are not cut by day (a revised bill or a retracted log file touches past days), so
the incremental dbt models decide which days changed from the raw load metadata, with a
lookback (dbt var `lookback_days`); a run can force a full rebuild (`--full-refresh`) or a
rebuild from a day on (dbt var `backfill_from`)."""

import json
from datetime import date
from typing import Any

import dagster as dg

DBT_OP_NAME = "dbt_models"  # the dbt step's op (transform/assets.py)


class DbtBuildConfig(dg.Config):
    """What the dbt step rebuilds. Default: only what changed (the incremental models' own
    choice: new and changed days plus the lookback)."""

    full_refresh: bool = False  # dbt --full-refresh: every incremental model rebuilt in full
    backfill_from: str | None = None  # YYYY-MM-DD: every day from this one on is rebuilt


def dbt_build_args(config: DbtBuildConfig) -> list[str]:
    """The dbt command line of a run with this config. dbt unit tests check the SQL, not the
    data: they run in the test suite (tests/test_allocation_invariants.py), not on every
    production build."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    dbt_vars: dict[str, Any] = {}
    if config.backfill_from:
        dbt_vars["backfill_from"] = backfill_day(config.backfill_from).isoformat()
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    return args


def backfill_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"backfill_from={value!r} is not a day (YYYY-MM-DD)") from None


def run_config(full_refresh: bool = False, backfill_from: str | date | None = None) -> dict:
    """The job's run config for the dbt step (aifinops-run, the schedule, the UI's launchpad)."""
    config: dict[str, Any] = {"full_refresh": full_refresh}
    if backfill_from:
        config["backfill_from"] = (
            backfill_from.isoformat()
            if isinstance(backfill_from, date)
            else backfill_day(backfill_from).isoformat()
        )
    return {"ops": {DBT_OP_NAME: {"config": config}}}
