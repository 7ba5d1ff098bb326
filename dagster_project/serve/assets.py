"""Serving assets: what BI tools and FinOps tools read."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.resources import WarehouseResource
from dagster_project.serve.governance.assets import RPT_ALERTS_KEY
from dagster_project.serve.publish import publish
from dagster_project.transform.assets import dbt_models

# Every mart must be built (and its dbt tests passed: a failing test fails the dbt step, and
# nothing downstream runs) before the published file is replaced.
MARTS = [
    "fct_allocated_costs",
    "fct_llm_requests",
    "rpt_allocation_reconciliation",
    "rpt_cost_per_outcome_monthly",
    "rpt_unpriced_models",
    "fct_unit_economics_daily",
    "rpt_unit_economics_long",
    "rpt_driver_unit_economics_long",
    "rpt_uncataloged_drivers",
    "rpt_budget_status",
    "rpt_budget_thresholds",
    "rpt_request_waste",
    "rpt_cache_batch_savings",
    "rpt_environment_mismatches",
    "rpt_cheaper_model_candidates",
    "rpt_gpu_idle_cost",
    "rpt_cost_anomalies",
    "rpt_usage_reconciliation",
    "bi_allocated_costs_daily",
]


@dg.asset(
    group_name="serving",
    kinds={"duckdb"},
    deps=[*(get_asset_key_for_model([dbt_models], name) for name in MARTS), RPT_ALERTS_KEY],
    description="The marts and reference tables copied into the published DuckDB file BI tools "
    "read (AIFINOPS_PUBLISH_DIR/ai_finops.duckdb), swapped in atomically.",
)
def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = publish(warehouse.warehouse_file, warehouse.publish_folder)
    return dg.MaterializeResult(metadata=result)
