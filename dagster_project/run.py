"""`aifinops-run`: run the whole pipeline (extract -> dbt build -> checks) and print a summary.

aifinops-run --demo     generate the demo landing data first if the folder is empty
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import dagster as dg
import duckdb

from dagster_project import db
from dagster_project.config import REPO_ROOT, Settings


def _instance() -> dg.DagsterInstance:
    # Runs are kept, so `dagster dev` shows their history and asset check results.
    home = os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "data" / ".dagster"))
    # Dagster wants an absolute DAGSTER_HOME; a relative one is taken from the working directory
    home = os.environ["DAGSTER_HOME"] = os.path.abspath(os.path.expanduser(home))
    os.makedirs(home, exist_ok=True)
    return dg.DagsterInstance.get()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--demo", action="store_true", help="generate demo data if absent")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    began = time.perf_counter()
    if args.demo and not (settings.landing_dir / "_demo_truth.json").exists():
        from dagster_project.demo.cli import main as demo_main

        demo_main(["--out", str(settings.landing_dir)])
    print(f"landing folder: {settings.landing_dir}\nwarehouse:      {settings.warehouse_path}")

    from dagster_project.org_seeds import SeedsError

    try:  # the company's seed folder (AIFINOPS_SEEDS_DIR) is checked before anything runs
        from dagster_project.dbt_project import prepare_dbt_manifest

        prepare_dbt_manifest()
    except SeedsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from dagster_project.definitions import build_definitions

    job = build_definitions().resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=_instance(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    failed_checks = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and not event.event_specific_data.passed
    ]
    errors = [e for e in failed_checks if e.severity == dg.AssetCheckSeverity.ERROR]
    for evaluation in failed_checks:
        level = "FAILED CHECK" if evaluation in errors else "WARNING"
        print(f"{level} {evaluation.asset_key.to_user_string()}: {evaluation.check_name}")
        if evaluation.description:
            print(f"    {evaluation.description[:500]}")
        for reason in failure_reasons(settings.warehouse_path, evaluation.check_name):
            print(f"    {reason[:500]}")
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        print(f"run failed in step(s): {', '.join(failed) or 'unknown'}; see the log above")
        return 1
    with db.connect(settings.warehouse_path, read_only=True) as con:
        from dagster_project.summary import build_summary

        print(build_summary(con))
    print(f"\nfinished in {time.perf_counter() - began:.0f}s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
