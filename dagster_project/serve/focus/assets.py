"""Serving: the cost fact exported as a FOCUS cost-and-usage dataset (Parquet and CSV)."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.resources import WarehouseResource
from dagster_project.serve.focus.export import export_focus
from dagster_project.transform.assets import dbt_models

# The dbt translator prefixes model keys with their schema (["marts", "fct_allocated_costs"]);
# ask dagster-dbt for the key rather than spelling it, so the lineage edge cannot dangle.
FCT_ALLOCATED_COSTS = get_asset_key_for_model([dbt_models], "fct_allocated_costs")


@dg.asset(
    group_name="serving",
    deps=[FCT_ALLOCATED_COSTS],
    kinds={"duckdb", "parquet", "csv"},
    description=(
        "marts.fct_allocated_costs as a FOCUS dataset: focus_cost_and_usage.parquet and "
        "focus_cost_and_usage.csv in the export folder (AIFINOPS_EXPORT_DIR), FOCUS column "
        "names, project columns prefixed x_, written atomically."
    ),
)
def focus_export(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    out_dir = warehouse.export_folder
    with warehouse.connect(read_only=True) as con:
        meta = export_focus(con, out_dir)
    context.log.info(
        f"exported {meta['row_count']} rows to {out_dir} "
        f"(BilledCost {meta['billed_cost_sum']}, added columns: {meta['added_columns']})"
    )
    if meta["neutralised_cells"]:
        context.log.warning(
            f"{meta['neutralised_cells']} CSV cell(s) began like a spreadsheet formula "
            "and were prefixed with an apostrophe"
        )
    nulled = {k: v for k, v in meta["json_values_nulled"].items() if v}
    if nulled:
        context.log.warning(f"JSON values that were not objects, written as null: {nulled}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(meta["row_count"]),
            "parquet_path": dg.MetadataValue.path(meta["parquet_path"]),
            "csv_path": dg.MetadataValue.path(meta["csv_path"]),
            # exact decimal text; a float would not be
            "billed_cost_sum": dg.MetadataValue.text(str(meta["billed_cost_sum"])),
            "billed_cost_sum_by_currency": dg.MetadataValue.json(
                {cur: str(total) for cur, total in meta["billed_cost_sum_by_currency"].items()}
            ),
            "columns": dg.MetadataValue.json(meta["columns"]),
            "added_columns": dg.MetadataValue.json(meta["added_columns"]),
            "neutralised_cells": dg.MetadataValue.int(meta["neutralised_cells"]),
            "json_values_nulled": dg.MetadataValue.json(meta["json_values_nulled"]),
        }
    )
