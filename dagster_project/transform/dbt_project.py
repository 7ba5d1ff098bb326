"""The dbt project as Dagster sees it (kept in its own module, as dagster-dbt requires)."""

from __future__ import annotations

import json
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dbt.version import __version__ as dbt_core_version
from packaging import version

from dagster_project.config import (
    DBT_PROJECT_DIR,
    DBT_TARGET_DIR,
    SEEDS_DIR,
    Settings,
    dbt_env,
    environment,
)
from dagster_project.transform.org_seeds import DBT_SEED_PATH_VARIABLE, dbt_seed_path, prepare_seeds

# Use the dbt installed beside this Python even when its virtualenv is not activated (make
# targets and CI call .venv/bin/... directly).
_bin = str(Path(sys.executable).parent)
DBT_EXECUTABLE = str(Path(_bin) / "dbt") if (Path(_bin) / "dbt").exists() else "dbt"
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


class DbtCli(DbtCliResource):
    """dagster-dbt's resource, without the `dbt --version` subprocess it starts before every
    invocation to learn the version (3-5 s of a run here): the dbt beside this Python is the
    dbt-core this process imports. Any other dbt executable is still asked. Every dbt process
    it starts gets what dbt reads from the environment (`dbt_environment`)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(_bin) / "dbt":
            return version.parse(dbt_core_version)
        return super()._cli_version

    def cli(self, args: Any, **kwargs: Any) -> Any:
        with environment(dbt_environment()):  # the dbt process starts inside the block
            return super().cli(args, **kwargs)


def dbt_environment(settings: Settings | None = None) -> dict[str, str]:
    """The variables dbt reads for the configured run (profiles.yml: warehouse path, DuckDB
    settings; dbt_project.yml: the company's seed folder, AIFINOPS_DBT_SEED_PATH), resolved.
    Set around each dbt process, never left behind in this process's environment."""
    settings = settings or Settings.from_env()
    return {
        DBT_SEED_PATH_VARIABLE: dbt_seed_path(settings),
        **dbt_env(settings),
        # dagster-dbt makes each call's target folder, and copies dbt's partial parse state from,
        # under DBT_TARGET_PATH
        "DBT_TARGET_PATH": str(DBT_TARGET_DIR),
    }


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_TARGET_DIR
)
# dbt's seed folder follows AIFINOPS_SEEDS_DIR (a company's own org seeds): assembled before any
# parse. `dagster dev` re-parses the project on start; `aifinops-run` and the tests call
# `prepare_dbt_manifest()` first.
with environment(dbt_environment()):
    prepare_seeds()
    dbt_project.prepare_if_dev()


def _newest_project_file() -> float:
    roots = (DBT_PROJECT_DIR, SEEDS_DIR)
    skip = {DBT_PROJECT_DIR / "target", DBT_TARGET_DIR, DBT_PROJECT_DIR / "logs"}
    return max(
        path.stat().st_mtime
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and not any(part in skip for part in path.parents)
    )


def prepare_dbt_manifest() -> None:
    """Parse the dbt project unless the manifest is newer than every project file and was
    parsed for the same seeds (a parse takes some 25 s, and a changed warehouse path defeats
    dbt's partial parsing). The seeds are the company's (AIFINOPS_SEEDS_DIR) or the repo's.
    Leaves this process's environment as it found it."""
    with environment(dbt_environment()):
        _prepare_dbt_manifest()


def _prepare_dbt_manifest() -> None:
    if _bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
    seeds = prepare_seeds()
    # parse with the profile the build will use (warehouse path, DuckDB settings): dbt
    # re-parses everything in the build when its profile differs from the parse's
    profile = json.dumps(dbt_env(), sort_keys=True)
    manifest = dbt_project.manifest_path
    stamp = manifest.with_name("aifinops_seeds.sha256")
    profile_stamp = manifest.with_name("aifinops_profile.json")
    project_unchanged = (
        manifest.exists()
        and manifest.stat().st_mtime > _newest_project_file()
        and stamp.exists()
        and stamp.read_text() == seeds
    )
    if project_unchanged and profile_stamp.exists() and profile_stamp.read_text() == profile:
        return
    if not project_unchanged:
        # A full parse: dbt's partial-parse state can outlive a changed semantic-layer file
        # (seen: a deleted metric still referenced, failing the parse until target/ was
        # removed). Only the profile changed: dbt itself parses in full, its state is kept.
        manifest.with_name("partial_parse.msgpack").unlink(missing_ok=True)
    dbt_project.preparer.prepare(dbt_project)
    stamp.write_text(seeds)
    profile_stamp.write_text(profile)
