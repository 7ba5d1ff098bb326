"""Where the pipeline reads and writes. Every path comes from an environment variable with a default
under the repository's `data/` folder, so a user points the pipeline at their own exports by
setting variables, not by editing code."""

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
        data_dir = Path(os.environ.get("AIFINOPS_DATA_DIR", REPO_ROOT / "data"))
        return cls(
            landing_dir=Path(os.environ.get("AIFINOPS_LANDING_DIR", data_dir / "landing")),
            warehouse_path=Path(
                os.environ.get("AIFINOPS_DUCKDB_PATH", data_dir / "warehouse.duckdb")
            ),
            publish_dir=Path(os.environ.get("AIFINOPS_PUBLISH_DIR", data_dir / "published")),
            export_dir=Path(os.environ.get("AIFINOPS_EXPORT_DIR", data_dir / "exports")),
            seeds_dir=Path(seeds).resolve() if (seeds := os.environ.get(SEEDS_VAR)) else None,
        )
