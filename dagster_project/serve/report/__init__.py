"""The HTML report: one self-contained file (executive page, one chargeback statement per team)
built from the published DuckDB file. `build_report` is what the asset and the tests call."""

from dagster_project.serve.report.build import REPORT_NAME, build_report, report_path

__all__ = ["REPORT_NAME", "build_report", "report_path"]
