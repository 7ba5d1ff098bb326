"""The whole dbt project as Dagster assets; dbt tests surface as asset checks. What a run
rebuilds (incremental, full refresh, backfill from a day) is its run config: dbt_build.py."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.transform.dbt_build import DBT_OP_NAME, DbtBuildConfig, dbt_build_args
from dagster_project.transform.dbt_project import dbt_project


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/... -> group per layer; seeds are reference data
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        path = dbt_resource_props.get("path") or ""
        return path.split("/", 1)[0] if "/" in path else "transform"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    name=DBT_OP_NAME,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    args = dbt_build_args(config)
    context.log.info(f"dbt {' '.join(args)}")
    yield from dbt.cli(args, context=context).stream()
