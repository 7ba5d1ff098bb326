"""Resources, built once and configured from the environment."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import db
from dagster_project.config import Settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file and the landing folder it loads from."""

    warehouse_path: str
    landing_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        return cls(
            warehouse_path=str(settings.warehouse_path), landing_dir=str(settings.landing_dir)
        )

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.warehouse_path).parent.mkdir(parents=True, exist_ok=True)
        con = db.connect(self.warehouse_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
