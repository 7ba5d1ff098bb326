"""Everything a run of `aifinops-run` reads, as one fingerprint, so that a run with nothing new
to read is skipped: the warehouse already holds the answer the last run gave to the same inputs.

A run's inputs are
- the landing folder's data files (relative path, size, modification time);
- the code and configuration that turn them into marts: `dagster_project/`, `dbt_models/` (not
  its `target/`), `seeds/`, `expectations/`, the company's seed folder (AIFINOPS_SEEDS_DIR), by
  content, and the versions of the engines (duckdb, dbt, Dagster, Great Expectations);
- every AIFINOPS_*, DBT_* and DAGSTER_* variable (hashed, so no secret is written down);
- the UTC day: a model prices "current" entries from today's date, and alerts look at dates;
- the outputs as the last run left them: the warehouse file, the published folder and the
  FOCUS export (a file changed or removed since then makes the next run a real one).

A run is never skipped when asked to rebuild (`--full-refresh`, `--backfill-from`, `--force`), when
it has just generated demo data, when a source reads a system outside the landing folder (the
LiteLLM database: its new rows cannot be seen without reading it), or when the last run did not
succeed: only a run that exited 0 is recorded, in `<warehouse>.last-run.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from dagster_project.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT, SEEDS_DIR
from dagster_project.extract.landing import is_data

RECORD_SUFFIX = ".last-run.json"
CODE_FOLDERS = (REPO_ROOT / "dagster_project", DBT_PROJECT_DIR, SEEDS_DIR, EXPECTATIONS_DIR)
# what dbt and Python write into the code folders while running: not inputs
NOT_CODE = {"target", "logs", "dbt_packages", "__pycache__", ".user.yml"}
ENGINES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great-expectations")
ENV_PREFIXES = ("AIFINOPS_", "DBT_", "DAGSTER_")


def landing_fingerprint(landing_dir: Path) -> tuple[str | None, int]:
    """(sha256 of the sorted data-file listing, number of files); (None, 0) if no files."""
    entries = [
        f"{path.relative_to(landing_dir).as_posix()}\t{size}\t{mtime_ns}"
        for path, size, mtime_ns in _listing(landing_dir, lambda p: is_data(p, landing_dir))
    ]
    if not entries:
        return None, 0
    return _sha256(sorted(entries)), len(entries)


def _listing(folder: Path, keep) -> Iterable[tuple[Path, int, int]]:
    """(path, size, mtime_ns) of the files under `folder` that `keep` keeps (folders too)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if keep(Path(root, d)))
        for name in files:
            path = Path(root, name)
            if not keep(path):
                continue
            try:
                stat = path.stat()
            except OSError:  # vanished while listing: the next look sees the new state
                continue
            yield path, stat.st_size, stat.st_mtime_ns


def _sha256(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _is_code(path: Path) -> bool:
    """Not what dbt and Python write while running (a dbt target folder may have any name
    starting with `target`: one per test worker, Spark's)."""
    return path.name not in NOT_CODE and not (path.name.startswith("target") and path.is_dir())


def _code_digest(folders: Iterable[Path]) -> str:
    lines = []
    for folder in folders:
        files = _listing(folder, _is_code)
        for path, _, _ in sorted(files):
            lines.append(f"{path}\t{hashlib.sha256(path.read_bytes()).hexdigest()}")
    return _sha256(lines)


def _engine_versions() -> list[str]:
    versions = []
    for name in ENGINES:
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return versions


def _outputs(warehouse: Path, publish_dir: Path, export_dir: Path) -> str:
    """The outputs as they are now: the warehouse file (and its WAL), the published and exported
    files; a change to any of them since the last run means the warehouse is not its answer."""
    lines = []
    for path in (warehouse, Path(f"{warehouse}.wal")):
        stat = path.stat() if path.exists() else None
        lines.append(f"{path.name}\t{stat.st_size}\t{stat.st_mtime_ns}" if stat else path.name)
    for folder in (publish_dir, export_dir):
        lines += [f"{p}\t{size}\t{mtime}" for p, size, mtime in _listing(folder, lambda _: True)]
    return _sha256(sorted(lines))


@dataclass(frozen=True)
class RunInputs:
    warehouse: Path
    publish_dir: Path
    export_dir: Path
    landing_dir: Path
    seeds_dir: Path | None

    @property
    def record_path(self) -> Path:
        return Path(f"{self.warehouse}{RECORD_SUFFIX}")

    def fingerprint(self) -> str:
        landing, files = landing_fingerprint(self.landing_dir)
        code_folders = CODE_FOLDERS + ((self.seeds_dir,) if self.seeds_dir else ())
        settings = sorted(
            f"{key}={value}" for key, value in os.environ.items() if key.startswith(ENV_PREFIXES)
        )
        return _sha256([
            f"landing {landing} {files}",
            f"code {_code_digest(code_folders)}",
            *_engine_versions(),
            f"settings {_sha256(settings)}",
            f"day {datetime.now(UTC).date().isoformat()}",
        ])  # fmt: skip

    def outputs(self) -> str:
        return _outputs(self.warehouse, self.publish_dir, self.export_dir)

    def unchanged_since(self, fingerprint: str) -> str | None:
        """When the last successful run read the same inputs and its outputs are untouched,
        the time it finished; else None."""
        try:
            record = json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return None
        if record.get("inputs") != fingerprint or record.get("outputs") != self.outputs():
            return None
        return str(record.get("finished_at"))

    def record(self, fingerprint: str) -> None:
        """After a successful run: the inputs it read (taken when it started) and the outputs
        it left."""
        record = {
            "inputs": fingerprint,
            "outputs": self.outputs(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        temporary = self.record_path.with_name(self.record_path.name + ".tmp")
        temporary.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(temporary, self.record_path)

    def forget(self) -> None:
        """Before a run writes: a run that does not finish leaves no record."""
        self.record_path.unlink(missing_ok=True)
