"""dbt on the `spark` target with a local pyspark session (README, "Running on Spark").

dbt-spark runs Python models only on Databricks clusters (submission methods `job_cluster` and
`all_purpose_cluster`). With `method: session` the SparkSession lives in the dbt process
itself, so a Python model (int_model_matches) can simply run there: this module adds that
submission method, `session`, and makes it the default for the session method. dbt started
through `run_dbt` (or `python -m dagster_project.transform.spark_session <dbt args>`) has it;
a plain `dbt` command does not, and fails on the Python model with dbt-spark's own error.

The model runs the same `dagster_project.transform.prices.model_matching` rules as on DuckDB; on a
cluster the package must be installed there (README).
"""

from __future__ import annotations

import sys
from typing import Any

from dbt.adapters.base import PythonJobHelper

SESSION_SUBMISSION = "session"


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a compiled dbt Python model in this process's SparkSession (dbt-spark's session
    method): the compiled code calls `model(dbt, spark)` and writes the table itself."""

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.identifier = parsed_model["alias"]

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        # the session dbt-spark's session cursor created (getOrCreate returns it)
        spark = SparkSession.builder.getOrCreate()
        code = compile(compiled_code, f"<dbt python model {self.identifier}>", "exec")
        exec(code, {"spark": spark, "__name__": f"dbt_python_model_{self.identifier}"})


def enable_session_python_models() -> None:
    """Register the `session` submission method on dbt-spark's adapter (idempotent)."""
    from dbt.adapters.spark.impl import SparkAdapter

    if getattr(SparkAdapter, "_ai_finops_session_python", False):
        return
    helpers = SparkAdapter.python_submission_helpers.fget
    default_method = SparkAdapter.default_python_submission_method.fget

    def python_submission_helpers(self: Any) -> dict:
        return {**helpers(self), SESSION_SUBMISSION: SessionPythonJobHelper}

    def default_python_submission_method(self: Any) -> str:
        method = getattr(self.config.credentials, "method", None)
        if str(getattr(method, "value", method)) == SESSION_SUBMISSION:
            return SESSION_SUBMISSION
        return default_method(self)

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)
    SparkAdapter.default_python_submission_method = property(default_python_submission_method)
    SparkAdapter._ai_finops_session_python = True


def run_dbt(args: list[str]) -> Any:
    """dbt in this process, with Python models runnable on the local Spark session."""
    from dbt.cli.main import dbtRunner

    enable_session_python_models()
    return dbtRunner().invoke(args)


def main(argv: list[str] | None = None) -> int:
    result = run_dbt(list(sys.argv[1:] if argv is None else argv))
    if result.exception is not None:
        return 2
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
