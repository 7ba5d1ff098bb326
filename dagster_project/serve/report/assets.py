"""Serving: the HTML report (executive page, one chargeback statement per team)."""

import dagster as dg

from dagster_project.resources import WarehouseResource
from dagster_project.serve.assets import published_warehouse
from dagster_project.serve.publish import published_path
from dagster_project.serve.report import build_report, report_path


@dg.asset(
    group_name="serving",
    kinds={"html"},
    # reads the published file only: never the working warehouse while a run writes it
    deps=[published_warehouse],
    description="One self-contained HTML report (no server, no internet: plotly.js, styles and "
    "scripts inline) built from the published DuckDB file: an executive page and one "
    "chargeback statement per team, at AIFINOPS_PUBLISH_DIR/ai_finops_report.html, "
    "replaced atomically.",
)
def html_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    publish_dir = warehouse.publish_folder
    result = build_report(published_path(publish_dir), report_path(publish_dir))
    context.log.info(f"report: {result['path']} ({result['pages']} pages)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result["path"])),
            "size": result["size"],
            "pages": result["pages"],
            "teams": result["teams"],
        }
    )
