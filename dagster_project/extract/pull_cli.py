"""What the pull command lines (`live_pull`, `litellm_db`) share."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def landing_folder(given: Path | None) -> Path:
    """The landing folder named on the command line, else the pipeline's (AIFINOPS_LANDING_DIR)."""
    if given is not None:
        return given
    from dagster_project.resources import WarehouseResource  # only when needed: imports dagster

    return WarehouseResource.from_env().landing_folder


def print_written(summary: str, files: Iterable[Path]) -> int:
    """Print a pull's summary line and the files it wrote; return the exit code 0."""
    print(summary)
    for path in files:
        print(f"  {path}")
    return 0
