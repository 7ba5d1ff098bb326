"""Great Expectations suites, kept as JSON in `expectations/`, run as Dagster asset checks.

dbt tests guard keys, nulls and accepted values. These suites guard what they do not: volume
bands, value ranges, distributions (cost per 1M tokens per model, share of failed and of
untagged requests) and the freshness of every source.

Suite files
-----------
`expectations/<schema>.<table>.json`, one per guarded table, is a GX 1.x ExpectationSuite:

    {
      "name": "raw.litellm_spend_logs",
      "notes": "What the suite guards.",
      "meta": {"queries": {
        "rows": {"sql": "select source_file, source_row, prompt_tokens from raw.litellm_...",
                 "id_columns": ["source_file", "source_row"]},
        "load": {"sql": "select ... as hours_since_load from raw.litellm_... having count(*) > 0"}
      }},
      "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "prompt_tokens", "min_value": 0, "max_value": 2000000},
         "meta": {"query": "rows", "why": "The largest context windows hold 1 to 2M tokens."},
         "severity": "critical"}
      ]
    }

- `name` is the file name without `.json` and the table guarded; `SUITE_ASSET_KEYS` below maps
  it to the Dagster asset the check attaches to.
- `meta.queries` declares the SQL the suite validates (a string, or a list of lines joined with
  newlines). Each query runs on a read-only connection and its result becomes pandas
  DataFrames (GX cannot read DuckDB through SQLAlchemy): one chunk of about a million rows at a
  time when all of the query's expectations are row-wise (`ROW_WISE`) or the row count, so a
  table of 100M rows never sits in memory whole; else one frame (profile queries: a row per
  group).
  Whatever GX cannot express directly (cost per 1M tokens per model, share of failed requests,
  hours since the last load) is a column of a "profile" query, one row per group, so a failure
  names the group. `id_columns` (optional) are reported beside each offending value: the
  lineage columns source_file/source_row for raw rows, the group keys for profile queries.
- Every expectation names its query in `meta.query`; `meta.why` says why the bound is what it is.
- `severity` is GX's own field: a failed "critical" expectation fails the check with ERROR
  severity; "warning" or "info" fail it with WARN. Either way the failure is visible in Dagster
  and printed by `aifinops-run`; only ERROR severity makes it exit non-zero.
- kwargs may use GX suite parameters, `{"$PARAMETER": "freshness_max_age_hours"}`, filled in at
  run time by `suite_parameters()`, so the JSON carries no environment-specific numbers.
- Queries turn dates and timestamps into numbers (hours since, hours long) before GX sees them:
  GX bounds written as strings in JSON silently fail to compare with datetime columns.

Freshness
---------
Each raw suite checks `hours_since_load`: hours between the newest `loaded_at` in its table and
now. `loaded_at` is stamped when a landing file is loaded and files already loaded are skipped,
so it answers "when did this source last deliver something new". That works alike for the demo
(whose data covers 2026-07 to 2026-09) and for real exports, whereas comparing the newest *data*
date with now would fail every demo run and every backfill. The bound is the environment variable
AIFINOPS_FRESHNESS_MAX_AGE_HOURS, read when a check runs: unset means 48 hours (a daily export
may run a day late before anyone is warned). A source delivered less often (monthly business
drivers, say) needs a larger value. Freshness failures have WARN severity. An empty table gives
no freshness row; its volume expectation reports the emptiness instead.
"""

import contextlib
import copy
import dataclasses
import functools
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from dagster_project.config import EXPECTATIONS_DIR
from dagster_project.resources import WarehouseResource

FRESHNESS_ENV = "AIFINOPS_FRESHNESS_MAX_AGE_HOURS"
DEFAULT_FRESHNESS_MAX_AGE_HOURS = 48.0
SEVERITIES = ("critical", "warning", "info")
CHECK_NAME = "expectation_suite"
# Offending values reported per failed expectation: enough to act on, short enough to read.
MAX_REPORTED_VALUES = 10
# Dagster shows the description in lists; the full detail is in the `failures` metadata.
MAX_DESCRIPTION_CHARS = 4000

# The one place a suite (= table) meets its Dagster asset. Extract assets are `raw_<source>`;
# dbt models keep dagster-dbt's default key, <schema>/<model>.
SUITE_ASSET_KEYS: dict[str, dg.AssetKey] = {
    "raw.litellm_spend_logs": dg.AssetKey("raw_litellm_spend_logs"),
    "raw.otel_genai_spans": dg.AssetKey("raw_otel_genai_spans"),
    "raw.openai_costs": dg.AssetKey("raw_openai_costs"),
    "raw.anthropic_cost_report": dg.AssetKey("raw_anthropic_cost_report"),
    "raw.focus_billing": dg.AssetKey("raw_focus_billing"),
    "raw.business_drivers": dg.AssetKey("raw_business_drivers"),
    "marts.fct_llm_requests": dg.AssetKey(["marts", "fct_llm_requests"]),
    "marts.fct_allocated_costs": dg.AssetKey(["marts", "fct_allocated_costs"]),
}


class SuiteFileError(ValueError):
    """A suite file that cannot be run as written (the message names the file and the fault)."""


# --- Suite files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """SQL whose result is validated, and the columns that name a row of it in reports."""

    sql: str
    id_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    """One suite file: expectations stay plain dicts until a run needs GX."""

    name: str
    notes: str
    queries: Mapping[str, Query]
    expectations: tuple[dict[str, Any], ...]

    def expectations_for(self, query: str) -> list[dict[str, Any]]:
        return [e for e in self.expectations if e["meta"]["query"] == query]


def load_suite(path: Path) -> Suite:
    """Read and check one suite file (plain JSON parsing: no GX import at definition time)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteFileError(f"{path}: not valid JSON ({error})") from error
    suite = parse_suite(document, source=str(path))
    if suite.name != path.stem:
        raise SuiteFileError(f"{path}: suite name {suite.name!r} must equal the file name")
    return suite


def load_suites(expectations_dir: Path = EXPECTATIONS_DIR) -> list[Suite]:
    return [load_suite(path) for path in sorted(expectations_dir.glob("*.json"))]


def parse_suite(document: Mapping[str, Any], source: str = "<suite>") -> Suite:
    """Check the parts of the format GX itself does not: named queries and their use."""

    def fail(problem: str) -> SuiteFileError:
        return SuiteFileError(f"{source}: {problem}")

    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise fail("'name' must be a non-empty string")
    queries = _parse_queries((document.get("meta") or {}).get("queries"), fail)
    expectations = document.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise fail("'expectations' must be a non-empty list")
    for index, expectation in enumerate(expectations):
        _check_expectation(expectation, queries, lambda p, i=index: fail(f"expectation {i}: {p}"))
    notes = document.get("notes") or ""
    return Suite(
        name=name,
        notes=" ".join(notes) if isinstance(notes, list) else str(notes),
        queries=queries,
        expectations=tuple(expectations),
    )


def _parse_queries(raw: Any, fail: Callable[[str], SuiteFileError]) -> dict[str, Query]:
    if not isinstance(raw, Mapping) or not raw:
        raise fail("'meta.queries' must map query names to {'sql': ..., 'id_columns': [...]}")
    queries = {}
    for query_name, spec in raw.items():
        sql = spec.get("sql") if isinstance(spec, Mapping) else None
        # JSON has no multi-line strings: a list of lines keeps longer SQL readable
        if isinstance(sql, list) and all(isinstance(line, str) for line in sql):
            sql = "\n".join(sql)
        if not isinstance(sql, str) or not sql.strip():
            raise fail(f"query {query_name!r} needs 'sql': a string or a list of lines")
        id_columns = spec.get("id_columns") or []
        if not isinstance(id_columns, list) or not all(isinstance(c, str) for c in id_columns):
            raise fail(f"query {query_name!r}: 'id_columns' must be a list of column names")
        queries[query_name] = Query(sql=sql, id_columns=tuple(id_columns))
    return queries


def _check_expectation(
    expectation: Any, queries: Mapping[str, Query], fail: Callable[[str], SuiteFileError]
) -> None:
    if not isinstance(expectation, Mapping):
        raise fail("must be an object")
    if not isinstance(expectation.get("type"), str) or not isinstance(
        expectation.get("kwargs"), Mapping
    ):
        raise fail("needs a 'type' string and a 'kwargs' object")
    query = (expectation.get("meta") or {}).get("query")
    if query not in queries:
        raise fail(f"meta.query {query!r} is not one of the suite's queries {sorted(queries)}")
    if expectation.get("severity", "critical") not in SEVERITIES:
        raise fail(f"severity must be one of {SEVERITIES}")


# --- Running a suite -----------------------------------------------------------------------


@dataclass(frozen=True)
class FailedExpectation:
    query: str
    type: str
    column: str | None
    kwargs: dict[str, Any]
    severity: str
    observed_value: Any = None
    unexpected_count: int | None = None
    offending_values: list[Any] = field(default_factory=list)
    # partial_unexpected_index_list: the query's id_columns beside each offending value
    offending_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def describe(self) -> str:
        target = f"{self.type}({self.column})" if self.column else self.type
        bounds = ", ".join(
            f"{k}={v}" for k, v in self.kwargs.items() if k not in ("column", "result_format")
        )
        head = f"[{self.severity}] {target}{f' [{bounds}]' if bounds else ''} on '{self.query}'"
        if self.error:
            return f"{head}: could not be evaluated: {self.error}"
        if self.offending_rows:
            shown = "; ".join(
                ", ".join(f"{k}={v}" for k, v in row.items()) for row in self.offending_rows
            )
        elif self.offending_values:
            shown = ", ".join(repr(v) for v in self.offending_values)
        else:
            return f"{head}: observed {self.observed_value!r}"
        listed = max(len(self.offending_rows), len(self.offending_values))
        more = (
            f" (and {self.unexpected_count - listed} more)"
            if self.unexpected_count and self.unexpected_count > listed
            else ""
        )
        return f"{head}: {self.unexpected_count} offending: {shown}{more}"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    evaluated: int
    failures: tuple[FailedExpectation, ...]
    rows_by_query: dict[str, int]
    parameters: dict[str, Any]

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def severity(self) -> str:
        """'critical' when a critical expectation failed, else 'warning' (a pass included)."""
        return "critical" if any(f.severity == "critical" for f in self.failures) else "warning"

    def describe(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed."
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed:"]
        lines += [f"- {failure.describe()}" for failure in self.failures]
        return "\n".join(lines)


def freshness_max_age_hours(environ: Mapping[str, str] = os.environ) -> float:
    raw = environ.get(FRESHNESS_ENV, "").strip()
    if not raw:
        return DEFAULT_FRESHNESS_MAX_AGE_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not hours > 0:  # also rejects nan
        raise ValueError(f"{FRESHNESS_ENV} must be a positive number of hours, got {raw!r}")
    return hours


def suite_parameters(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Values for the `{"$PARAMETER": ...}` placeholders suites may use."""
    return {"freshness_max_age_hours": freshness_max_age_hours(environ)}


@contextlib.contextmanager
def _quiet_conversion():
    with warnings.catch_warnings():
        # duckdb 2.0's DataFrame conversion calls DataFrame.drop(inplace=...), which pandas 3.1
        # deprecates: harmless here, and noise in every check's log.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        yield


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    with _quiet_conversion():
        return con.execute(sql).df()


# Expectations each row passes or fails on its own: a query holding only these (and the row
# count) is validated chunk by chunk, so memory holds one chunk whatever the table's size.
ROW_WISE = frozenset({
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_null",
    "expect_column_values_to_not_be_null",
})  # fmt: skip
ROW_COUNT = "expect_table_row_count_to_be_between"
# DuckDB vectors (2,048 rows) per pandas chunk: about a million rows
CHUNK_VECTORS = 512


def run_suite(
    suite: Suite,
    con: duckdb.DuckDBPyConnection,
    parameters: Mapping[str, Any] | None = None,
    chunk_vectors: int = CHUNK_VECTORS,
) -> SuiteResult:
    """Run every query of the suite on `con` and validate its expectations on the result."""
    params = {**suite_parameters(), **(parameters or {})}
    source = _ephemeral_context().data_sources.add_pandas(name="warehouse")
    failures: list[FailedExpectation] = []
    rows_by_query: dict[str, int] = {}
    evaluated = 0
    for query_name, query in suite.queries.items():
        specs = suite.expectations_for(query_name)
        if not specs:
            continue
        validate = functools.partial(
            _validate,
            source.add_dataframe_asset(name=query_name).add_batch_definition_whole_dataframe(
                "whole_frame"
            ),
            suite,
            query_name,
            query,
            params,
        )
        types = {spec["type"] for spec in specs}
        try:
            if types <= ROW_WISE | {ROW_COUNT}:
                rows, results = _validate_in_chunks(con, query.sql, chunk_vectors, validate, types)
            else:
                frame = fetch_frame(con, query.sql)
                rows, results = len(frame), validate(frame)
        except duckdb.Error as error:
            # a missing table or column is reported like any failure, naming the query
            failures.append(_query_failure(query_name, error))
            continue
        rows_by_query[query_name] = rows
        evaluated += len(specs)
        failures += _merged([_failure(query_name, r) for r in results if not r.success])
    return SuiteResult(
        suite=suite.name,
        evaluated=evaluated,
        failures=tuple(failures),
        rows_by_query=rows_by_query,
        parameters=params,
    )


def _validate(
    batches: Any,
    suite: Suite,
    query_name: str,
    query: Query,
    params: Mapping[str, Any],
    frame: pd.DataFrame,
    types: frozenset[str] | None = None,
) -> list[Any]:
    """GX's results of the query's expectations (of the given types) on one frame."""
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(
        gx_suite(suite, query_name, types),
        result_format=_result_format(query),
        expectation_parameters=params,
    ).results


def _validate_in_chunks(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    chunk_vectors: int,
    validate: Callable[[pd.DataFrame, frozenset[str] | None], list[Any]],
    types: set[str],
) -> tuple[int, list[Any]]:
    """(rows, validation results): the row-wise expectations (of `types`) on each chunk of the
    query's result (an empty result is one empty chunk), the row count once, on the total."""
    cursor = con.execute(sql)
    rows, results = 0, []
    while True:
        with _quiet_conversion():
            frame = cursor.fetch_df_chunk(chunk_vectors)
        if frame.empty and rows:
            break
        rows += len(frame)
        if types & ROW_WISE:
            results += validate(frame, ROW_WISE)
        if frame.empty:
            break
    if ROW_COUNT in types:
        # the count alone: a frame of that many rows and no column holds no data
        results += validate(pd.DataFrame(index=pd.RangeIndex(rows)), frozenset({ROW_COUNT}))
    return rows, results


def _merged(failures: list[FailedExpectation]) -> list[FailedExpectation]:
    """One failure per expectation: a row-wise one failing in several chunks adds up its
    offending rows (counted in full, listed up to MAX_REPORTED_VALUES)."""
    merged: dict[str, FailedExpectation] = {}
    for failure in failures:
        key = json.dumps([failure.type, failure.kwargs], sort_keys=True, default=str)
        seen = merged.get(key)
        if seen is None:
            merged[key] = failure
            continue
        merged[key] = dataclasses.replace(
            seen,
            unexpected_count=(seen.unexpected_count or 0) + (failure.unexpected_count or 0),
            offending_values=(seen.offending_values + failure.offending_values)[
                :MAX_REPORTED_VALUES
            ],
            offending_rows=(seen.offending_rows + failure.offending_rows)[:MAX_REPORTED_VALUES],
            error=seen.error or failure.error,
        )
    return list(merged.values())


def gx_suite(suite: Suite, query: str | None = None, types: frozenset[str] | None = None) -> Any:
    """The suite's expectations (those of one query, and of the given types, if given) as a GX
    ExpectationSuite.

    GX's own constructor logs and drops an expectation it cannot build; a suite that silently
    shrinks would pass for the wrong reason, so each one is built here and failures raise.
    """
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    built = []
    for index, spec in enumerate(suite.expectations):
        if query is not None and spec["meta"]["query"] != query:
            continue
        if types is not None and spec["type"] not in types:
            continue
        try:
            # a copy: GX fills in parameters and batch ids, the loaded suite must stay as written
            built.append(ExpectationConfiguration(**copy.deepcopy(spec)).to_domain_obj())
        except Exception as error:
            raise SuiteFileError(
                f"{suite.name}: expectation {index} ({spec.get('type')}) is not valid: {error}"
            ) from error
    name = suite.name if query is None else f"{suite.name}:{query}"
    return ExpectationSuite(name=name, expectations=built)


def _ephemeral_context() -> Any:
    import great_expectations as gx  # ~5 s to import: only when a suite actually runs
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # a tqdm bar per metric would flood the Dagster compute log
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _result_format(query: Query) -> dict[str, Any]:
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": MAX_REPORTED_VALUES,
    }
    if query.id_columns:
        result_format["unexpected_index_column_names"] = list(query.id_columns)
    return result_format


def _failure(query: str, result: Any) -> FailedExpectation:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    detail = result.result or {}
    severity = getattr(config, "severity", None)
    return FailedExpectation(
        query=query,
        type=config.type,
        column=kwargs.get("column"),
        kwargs=_jsonable(kwargs),
        severity=getattr(severity, "value", severity) or "critical",
        observed_value=_jsonable(detail.get("observed_value")),
        unexpected_count=_jsonable(detail.get("unexpected_count")),
        offending_values=_jsonable(detail.get("partial_unexpected_list") or []),
        offending_rows=_jsonable(detail.get("partial_unexpected_index_list") or []),
        error=_exception_message(result.exception_info),
    )


def _query_failure(query: str, error: duckdb.Error) -> FailedExpectation:
    return FailedExpectation(
        query=query,
        type="query",
        column=None,
        kwargs={},
        severity="critical",
        error=f"{type(error).__name__}: {error}",
    )


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """GX reports exceptions either flat or keyed by the metric that raised them."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = {
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, Mapping) and e.get("raised_exception")
    }
    return "; ".join(sorted(messages)) or None


def _jsonable(value: Any) -> Any:
    """Plain JSON types for Dagster metadata: numpy scalars, NaN, timestamps and decimals."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == time(0):
        return value.date().isoformat()  # a DATE column arrives in pandas as midnight
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


# --- Dagster -------------------------------------------------------------------------------


def check_result(result: SuiteResult) -> dg.AssetCheckResult:
    description = result.describe()
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[: MAX_DESCRIPTION_CHARS - 40] + "\n... (see `failures` metadata)"
    return dg.AssetCheckResult(
        passed=result.success,
        severity=(
            dg.AssetCheckSeverity.ERROR
            if result.severity == "critical"
            else dg.AssetCheckSeverity.WARN
        ),
        description=description,
        metadata={
            "suite": f"expectations/{result.suite}.json",
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failures),
            "rows_validated": dg.MetadataValue.json(result.rows_by_query),
            "parameters": dg.MetadataValue.json(_jsonable(result.parameters)),
            "failures": dg.MetadataValue.json([asdict(f) for f in result.failures]),
        },
    )


def build_expectation_checks(
    expectations_dir: Path = EXPECTATIONS_DIR,
    asset_keys: Mapping[str, dg.AssetKey] = SUITE_ASSET_KEYS,
) -> list[dg.AssetChecksDefinition]:
    """One asset check per suite file, on the asset that materialises the suite's table."""
    suites = load_suites(expectations_dir)
    unmapped = [s.name for s in suites if s.name not in asset_keys]
    if unmapped:
        raise SuiteFileError(f"no asset key for suite(s) {unmapped}: add them to SUITE_ASSET_KEYS")
    return [_make_check(suite, asset_keys[suite.name]) for suite in suites]


def _make_check(suite: Suite, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name=CHECK_NAME,
        description=f"Great Expectations suite expectations/{suite.name}.json. {suite.notes}",
        # quality signals, not structural breakage: downstream assets still build
        blocking=False,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            return check_result(run_suite(suite, con))

    return _check
