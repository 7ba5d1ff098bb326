"""Resources, built once and configured from the environment.

`WarehouseResource` is the one way to the pipeline's folders and files: assets and checks take
it as the `warehouse` resource (definitions.py builds it from `Settings.from_env()`); sensors
and the command-line tools (outside any run) ask `WarehouseResource.from_env()`. Nothing else
reads the AIFINOPS_* path variables."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import db
from dagster_project.config import Settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file, the landing folder it loads from, and where the published
    copy, the report and the FOCUS export are written."""

    warehouse_path: str
    landing_dir: str
    # None only where a test builds the resource for assets that never publish or export
    publish_dir: str | None = None
    export_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        return cls(
            warehouse_path=str(settings.warehouse_path),
            landing_dir=str(settings.landing_dir),
            publish_dir=str(settings.publish_dir),
            export_dir=str(settings.export_dir),
        )

    @classmethod
    def from_env(cls) -> "WarehouseResource":
        """The paths the AIFINOPS_* variables name (config.Settings.from_env)."""
        return cls.from_settings(Settings.from_env())

    @property
    def warehouse_file(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def landing_folder(self) -> Path:
        return Path(self.landing_dir)

    @property
    def publish_folder(self) -> Path:
        return _required(self.publish_dir, "publish_dir")

    @property
    def export_folder(self) -> Path:
        return _required(self.export_dir, "export_dir")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.warehouse_file.parent.mkdir(parents=True, exist_ok=True)
        con = db.connect(self.warehouse_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def _required(value: str | None, field: str) -> Path:
    if not value:
        raise dg.DagsterInvariantViolationError(
            f"the warehouse resource has no {field}: build it with WarehouseResource.from_env()"
        )
    return Path(value)
