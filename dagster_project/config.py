"""Where the pipeline reads and writes. Every path comes from an environment variable with a default
under the repository's `data/` folder, so a user points the pipeline at their own exports by
setting variables, not by editing code. A relative path is taken from the working directory the
pipeline was started in and made absolute here, so dbt (which runs in `dbt_models/`) and every
step see the same files."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_models"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# The pipeline's dbt target folder (manifest, partial parse state, run artifacts, a company's
# assembled seeds); relative to the dbt project. The tests give each parallel worker its own
# (tests/conftest.py). Handed to dagster-dbt as DBT_TARGET_PATH around each dbt call only: in
# os.environ it would also move the target of every other dbt project run from this process.
DBT_TARGET_DIR_VAR = "AIFINOPS_DBT_TARGET_DIR"
DBT_TARGET_DIR = DBT_PROJECT_DIR / (os.environ.get(DBT_TARGET_DIR_VAR, "").strip() or "target")
SEEDS_VAR = (
    "AIFINOPS_SEEDS_DIR"  # a company's own org seeds (dagster_project/transform/org_seeds.py)
)
MEMORY_LIMIT_VAR = "AIFINOPS_DUCKDB_MEMORY_LIMIT"
TEMP_DIR_VAR = "AIFINOPS_DUCKDB_TEMP_DIR"
THREADS_VAR = "AIFINOPS_DUCKDB_THREADS"
DBT_THREADS_VAR = "AIFINOPS_DBT_THREADS"
# DuckDB's own default: 80% of the machine's memory, per process (dbt runs as a child process
# while the pipeline's Python connections are closed, so the two do not add up)
DEFAULT_MEMORY_LIMIT = "80%"
DEFAULT_DBT_THREADS = 4  # 4 on 2 cores: dbt spends much of each test in Python


class ConfigError(ValueError):
    """An AIFINOPS_* variable with a value the pipeline cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    publish_dir: Path
    export_dir: Path
    # a company's own organisation seeds (dagster_project/transform/org_seeds.py); None: the repo's
    seeds_dir: Path | None = None
    duckdb: DuckDBSettings | None = None  # None: DuckDBSettings.from_env() when asked

    @classmethod
    def from_env(cls) -> Settings:
        data = data_dir()
        return cls(
            landing_dir=_path("AIFINOPS_LANDING_DIR", data / "landing"),
            warehouse_path=_path("AIFINOPS_DUCKDB_PATH", data / "warehouse.duckdb"),
            publish_dir=_path("AIFINOPS_PUBLISH_DIR", data / "published"),
            export_dir=_path("AIFINOPS_EXPORT_DIR", data / "exports"),
            seeds_dir=_path(SEEDS_VAR, REPO_ROOT)
            if os.environ.get(SEEDS_VAR, "").strip()
            else None,
            duckdb=DuckDBSettings.from_env(),
        )


@dataclass(frozen=True)
class DuckDBSettings:
    """How much memory, disk for spilling and how many threads DuckDB gets: every Python
    connection (dagster_project.db) and dbt (profiles.yml, through `dbt_env`) alike."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT  # a DuckDB size ("6GB", "512MiB") or "80%"
    temp_directory: Path = REPO_ROOT / "data" / "tmp"  # where DuckDB spills beyond the limit
    threads: int | None = None  # None: DuckDB's default (one per core)
    dbt_threads: int = DEFAULT_DBT_THREADS  # dbt's model threads

    @classmethod
    def from_env(cls) -> DuckDBSettings:
        limit = os.environ.get(MEMORY_LIMIT_VAR, "").strip() or DEFAULT_MEMORY_LIMIT
        return cls(
            memory_limit=_memory_limit(limit),
            temp_directory=_path(TEMP_DIR_VAR, data_dir() / "tmp"),
            threads=_positive_int(THREADS_VAR, None),
            dbt_threads=_positive_int(DBT_THREADS_VAR, DEFAULT_DBT_THREADS),
        )

    def dbt_env(self) -> dict[str, str]:
        """The variables profiles.yml reads, resolved (absolute temp path, checked limit)."""
        env = {
            MEMORY_LIMIT_VAR: self.memory_limit,
            TEMP_DIR_VAR: str(self.temp_directory),
            DBT_THREADS_VAR: str(self.dbt_threads),
        }
        if self.threads is not None:
            env[THREADS_VAR] = str(self.threads)
        return env


@functools.lru_cache(maxsize=32)
def _memory_limit(value: str) -> str:
    """`value` if DuckDB accepts it as memory_limit (asked of DuckDB itself, so the accepted
    units are exactly DuckDB's); else a ConfigError naming the variable."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("set memory_limit = '" + value.replace("'", "''") + "'")
    except duckdb.Error as exc:
        raise ConfigError(
            f"{MEMORY_LIMIT_VAR}={value!r} is not a DuckDB memory size (e.g. 6GB, 512MiB or "
            f"80% of RAM): {exc}"
        ) from None
    finally:
        con.close()
    return value


def _positive_int(variable: str, default: int | None) -> int | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{variable}={value!r} is not a whole number of threads of 1 or more")
    return int(value)


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """What dbt's profile reads from the environment, resolved: the absolute warehouse path (dbt
    runs in dbt_models/, a relative one would move), the checked memory limit, spill folder and
    threads. Given to dbt's processes only (dagster_project/transform/dbt_project.py), never left
    in this process's environment: a second run in the same process must not inherit them."""
    settings = settings or Settings.from_env()
    duckdb_settings = settings.duckdb or DuckDBSettings.from_env()
    return {"AIFINOPS_DUCKDB_PATH": str(settings.warehouse_path), **duckdb_settings.dbt_env()}


@contextmanager
def environment(values: Mapping[str, str] | None = None) -> Iterator[None]:
    """`values` set in os.environ inside the block; after it os.environ is exactly as before,
    also for whatever the block itself set (child processes started inside see the values)."""
    saved = dict(os.environ)
    os.environ.update(values or {})
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update({k: v for k, v in saved.items() if os.environ.get(k) != v})


def data_dir_env(folder: Path) -> dict[str, str]:
    """The variables that keep every file of a run under `folder` (the landing folder, the
    warehouse, its published copy, the exports, DuckDB's spill folder and Dagster's home), as
    the defaults keep them under data/: a second pipeline in one process, or a test's."""
    return {
        "AIFINOPS_DATA_DIR": str(folder),
        "AIFINOPS_LANDING_DIR": str(folder / "landing"),
        "AIFINOPS_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "AIFINOPS_PUBLISH_DIR": str(folder / "published"),
        "AIFINOPS_EXPORT_DIR": str(folder / "exports"),
        "AIFINOPS_DUCKDB_TEMP_DIR": str(folder / "tmp"),  # else pinned by an earlier export
        "DAGSTER_HOME": str(folder / ".dagster"),
    }


def data_dir() -> Path:
    """AIFINOPS_DATA_DIR: the folder every other path defaults under (and the run logs)."""
    return _path("AIFINOPS_DATA_DIR", REPO_ROOT / "data")


def _path(variable: str, default: Path) -> Path:
    """The variable's path (`~` expanded), absolute against the current working directory;
    unset or empty means the default."""
    value = os.environ.get(variable, "").strip()
    return Path(os.path.abspath(Path(value).expanduser() if value else default))
