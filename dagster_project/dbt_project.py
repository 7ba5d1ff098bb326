"""The dbt project as Dagster sees it (kept in its own module, as dagster-dbt requires)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.config import DBT_PROJECT_DIR

# Use the dbt installed beside this Python even when its virtualenv is not activated (make
# targets and CI call .venv/bin/... directly).
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses the project on start; `aifinops-run` and the tests call
# `prepare_dbt_manifest()` first.
dbt_project.prepare_if_dev()


def prepare_dbt_manifest() -> None:
    dbt_project.preparer.prepare(dbt_project)
