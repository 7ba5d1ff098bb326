"""Where the pipeline reads and writes. Every path comes from an environment variable with a default
under the repository's `data/` folder, so a user points the pipeline at their own exports by
setting variables, not by editing code. A relative path is taken from the working directory the
pipeline was started in and made absolute here, so dbt (which runs in `dbt_models/`) and every
step see the same files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_models"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SEEDS_VAR = "AIFINOPS_SEEDS_DIR"  # a company's own org seeds (dagster_project/org_seeds.py)


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    publish_dir: Path
    export_dir: Path
    # a company's own organisation seeds (dagster_project/org_seeds.py); None: the repo's
    seeds_dir: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = _path("AIFINOPS_DATA_DIR", REPO_ROOT / "data")
        return cls(
            landing_dir=_path("AIFINOPS_LANDING_DIR", data_dir / "landing"),
            warehouse_path=_path("AIFINOPS_DUCKDB_PATH", data_dir / "warehouse.duckdb"),
            publish_dir=_path("AIFINOPS_PUBLISH_DIR", data_dir / "published"),
            export_dir=_path("AIFINOPS_EXPORT_DIR", data_dir / "exports"),
            seeds_dir=_path(SEEDS_VAR, REPO_ROOT)
            if os.environ.get(SEEDS_VAR, "").strip()
            else None,
        )


def _path(variable: str, default: Path) -> Path:
    """The variable's path (`~` expanded), absolute against the current working directory;
    unset or empty means the default."""
    value = os.environ.get(variable, "").strip()
    return Path(os.path.abspath(Path(value).expanduser() if value else default))
