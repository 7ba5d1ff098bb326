"""Specifications for the Great Expectations suites in `expectations/` and their asset checks.

Each test builds a small DuckDB file by hand: the suites are exercised on data whose faults are
known, never on the whole pipeline.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.config import EXPECTATIONS_DIR
from dagster_project.quality import expectations as qx
from dagster_project.resources import WarehouseResource

# 400 requests over the 10 days to 2026-09-30, half OpenAI (gpt-4o-mini at $0.60 per 1M tokens),
# half Anthropic (claude-sonnet-4-0 at $6 per 1M): 2% failed, 5% untagged. Plausible everywhere.
PLAUSIBLE_REQUESTS = """
create schema if not exists marts;
create or replace table marts.fct_llm_requests as
select
    'r' || i as request_uid,
    date '2026-09-30' - cast(i % 10 as integer) as request_date,
    case when i % 2 = 0 then 'openai' else 'anthropic' end as provider_id,
    case when i % 2 = 0 then 'gpt-4o-mini' else 'claude-sonnet-4-0' end as model_id,
    'priced' as pricing_status,
    i % 50 <> 0 as is_success,
    case when i % 20 = 1 then 'unassigned' else 'team_search' end as team_id,
    1000 as total_tokens,
    cast(case when i % 2 = 0 then 0.0006 else 0.006 end as decimal(38, 10)) as list_cost
from range(400) as t(i)
"""

# 120 spend-log lines, one an hour from 2026-09-01, loaded `{hours_ago}` hours ago.
SPEND_LOGS = """
create schema if not exists raw;
create or replace table raw.litellm_spend_logs as
select
    'spend_logs_2026-09.jsonl' as source_file,
    i + 1 as source_row,
    'gpt-4o-mini' as model,
    1200 as prompt_tokens,
    300 as completion_tokens,
    cast(0.00036 as decimal(20, 10)) as spend,
    850 as request_duration_ms,
    timestamptz '2026-09-01 00:30:00+00' + i * interval 1 hour as start_time,
    now() - {hours_ago} * interval 1 hour as loaded_at
from range(120) as t(i)
"""


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse_path))
    yield connection
    connection.close()


@pytest.fixture(autouse=True)
def _default_freshness(monkeypatch: pytest.MonkeyPatch) -> None:
    # the developer's own setting must not change what these tests expect
    monkeypatch.delenv(qx.FRESHNESS_ENV, raising=False)


def _suite(name: str) -> qx.Suite:
    return qx.load_suite(EXPECTATIONS_DIR / f"{name}.json")


def _failure(result: qx.SuiteResult, column: str) -> qx.FailedExpectation:
    matches = [f for f in result.failures if f.column == column]
    assert matches, f"no failed expectation on {column!r}: {result.describe()}"
    return matches[0]


# --- The suite files -----------------------------------------------------------------------


# importing dbt (for the real asset keys) warns about a dependency of its own
@pytest.mark.filterwarnings("ignore:sqlglotrs is deprecated:DeprecationWarning")
def test_every_suite_file_is_valid_json_and_names_an_existing_asset() -> None:
    from dagster_project.extract.assets import extract_assets
    from dagster_project.transform.dbt_project import dbt_project, prepare_dbt_manifest

    if not dbt_project.manifest_path.exists():
        prepare_dbt_manifest()
    from dagster_project.transform.assets import dbt_models

    existing_keys = {key for assets in [*extract_assets, dbt_models] for key in assets.keys}
    files = sorted(EXPECTATIONS_DIR.glob("*.json"))
    assert {f.stem for f in files} == set(qx.SUITE_ASSET_KEYS), "one suite per mapped table"
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        suite = qx.load_suite(path)
        assert qx.SUITE_ASSET_KEYS[suite.name] in existing_keys, suite.name
        # GX builds every expectation: none is dropped for a typo in its type or kwargs
        assert len(qx.gx_suite(suite).expectations) == len(document["expectations"])
        for expectation in document["expectations"]:
            assert expectation["meta"].get("why"), f"{path.name}: every bound says why"


def test_every_raw_source_has_a_freshness_expectation() -> None:
    for name in (n for n in qx.SUITE_ASSET_KEYS if n.startswith("raw.")):
        kwargs = [e["kwargs"] for e in _suite(name).expectations]
        assert any(k.get("column") == "hours_since_load" for k in kwargs), name


def test_an_expectation_gx_does_not_know_is_rejected_not_dropped() -> None:
    suite = qx.parse_suite(
        {
            "name": "raw.example",
            "meta": {"queries": {"rows": {"sql": "select 1 as x"}}},
            "expectations": [
                {
                    "type": "expect_column_values_to_be_betwen",
                    "kwargs": {"column": "x", "min_value": 0},
                    "meta": {"query": "rows"},
                }
            ],
        }
    )
    with pytest.raises(qx.SuiteFileError, match="expect_column_values_to_be_betwen"):
        qx.gx_suite(suite)


def _row_count_suite(sql: str, query: str) -> dict:
    """A suite that declares one query, `rows` (running `sql`), and expects at least one row
    from the query named `query`."""
    return {
        "name": "raw.example",
        "meta": {"queries": {"rows": {"sql": sql}}},
        "expectations": [
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 1},
                "meta": {"query": query},
            }
        ],
    }


def test_an_expectation_on_an_undeclared_query_is_rejected() -> None:
    with pytest.raises(qx.SuiteFileError, match=r"meta\.query 'profile'"):
        qx.parse_suite(_row_count_suite("select 1 as x", query="profile"))


def test_a_query_that_cannot_run_fails_the_suite_naming_the_query(
    con: duckdb.DuckDBPyConnection,
) -> None:
    suite = qx.parse_suite(_row_count_suite("select x from raw.missing_table", query="rows"))

    result = qx.run_suite(suite, con)

    [failure] = result.failures
    assert (failure.query, failure.severity) == ("rows", "critical")
    assert "missing_table" in failure.error


# --- Distributions -------------------------------------------------------------------------


def test_suite_passes_on_plausible_data(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(PLAUSIBLE_REQUESTS)

    result = qx.run_suite(_suite("marts.fct_llm_requests"), con)

    assert result.success, result.describe()
    assert result.rows_by_query == {"rows": 400, "per_model": 2, "recent_shares": 2}


def test_failing_suite_names_expectation_and_offending_values(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(PLAUSIBLE_REQUESTS)
    # gpt-4o-mini priced per 1K tokens instead of per 1M: $600 per 1M tokens
    con.execute(
        "update marts.fct_llm_requests set list_cost = list_cost * 1000 "
        "where model_id = 'gpt-4o-mini'"
    )
    # a fifth of Anthropic calls fail
    con.execute(
        "update marts.fct_llm_requests set is_success = false "
        "where provider_id = 'anthropic' and cast(substr(request_uid, 2) as integer) % 5 = 1"
    )

    result = qx.run_suite(_suite("marts.fct_llm_requests"), con)

    assert not result.success
    assert {(f.type, f.column) for f in result.failures} == {
        ("expect_column_values_to_be_between", "list_cost_per_mtok"),
        ("expect_column_values_to_be_between", "failed_share"),
    }
    price = _failure(result, "list_cost_per_mtok")
    assert price.kwargs["max_value"] == 100
    assert [(r["model_id"], round(r["list_cost_per_mtok"])) for r in price.offending_rows] == [
        ("gpt-4o-mini", 600)
    ]
    failed = _failure(result, "failed_share")
    assert [r["provider_id"] for r in failed.offending_rows] == ["anthropic"]
    assert failed.offending_rows[0]["failed_share"] > 0.10
    # the description alone tells the reader what failed and where
    description = result.describe()
    assert "list_cost_per_mtok" in description and "model_id=gpt-4o-mini" in description
    assert "failed_share" in description and "provider_id=anthropic" in description
    # both are distribution checks: warnings, not errors
    assert result.severity == "warning"


def test_out_of_range_raw_rows_are_named_by_their_lineage(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(SPEND_LOGS.format(hours_ago=1))
    con.execute("update raw.litellm_spend_logs set completion_tokens = -5 where source_row = 7")

    result = qx.run_suite(_suite("raw.litellm_spend_logs"), con)

    tokens = _failure(result, "completion_tokens")
    assert tokens.severity == "critical"
    assert tokens.offending_values == [-5]
    assert tokens.offending_rows == [
        {"completion_tokens": -5, "source_file": "spend_logs_2026-09.jsonl", "source_row": 7}
    ]
    assert result.severity == "critical"


def test_a_day_without_rows_falls_outside_the_volume_band(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(SPEND_LOGS.format(hours_ago=1))
    con.execute(
        "delete from raw.litellm_spend_logs "
        "where cast(start_time at time zone 'UTC' as date) = date '2026-09-03'"
    )

    result = qx.run_suite(_suite("raw.litellm_spend_logs"), con)

    volume = _failure(result, "ratio_to_median_day")
    assert volume.offending_rows == [
        {"ratio_to_median_day": 0.0, "day": "2026-09-03", "requests": 0}
    ]


# --- Freshness -----------------------------------------------------------------------------


def test_freshness_fails_when_data_is_stale(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SPEND_LOGS.format(hours_ago=72))

    result = qx.run_suite(_suite("raw.litellm_spend_logs"), con)

    stale = _failure(result, "hours_since_load")
    assert [f.column for f in result.failures] == ["hours_since_load"]
    assert stale.kwargs["max_value"] == qx.DEFAULT_FRESHNESS_MAX_AGE_HOURS
    assert 71.9 < stale.offending_values[0] < 72.5
    assert "newest_load" in stale.offending_rows[0]
    assert result.severity == "warning"


def test_freshness_bound_comes_from_the_environment(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    con.execute(SPEND_LOGS.format(hours_ago=72))
    monkeypatch.setenv(qx.FRESHNESS_ENV, "96")

    assert qx.run_suite(_suite("raw.litellm_spend_logs"), con).success

    monkeypatch.setenv(qx.FRESHNESS_ENV, "2")
    con.execute("update raw.litellm_spend_logs set loaded_at = now() - interval 3 hour")
    assert not qx.run_suite(_suite("raw.litellm_spend_logs"), con).success


def test_freshness_bound_defaults_to_48_hours_and_rejects_nonsense() -> None:
    assert qx.freshness_max_age_hours({}) == 48
    assert qx.freshness_max_age_hours({qx.FRESHNESS_ENV: "168"}) == 168
    for bad in ("two days", "0", "-1", "nan"):
        with pytest.raises(ValueError, match=qx.FRESHNESS_ENV):
            qx.freshness_max_age_hours({qx.FRESHNESS_ENV: bad})


# --- As Dagster asset checks ---------------------------------------------------------------


def test_a_failing_suite_fails_its_asset_check_with_a_description(
    con: duckdb.DuckDBPyConnection, warehouse_path: Path, tmp_path: Path
) -> None:
    con.execute(SPEND_LOGS.format(hours_ago=1))
    con.execute("update raw.litellm_spend_logs set model = null where source_row = 3")
    con.close()  # the check opens the file itself
    suites_dir = tmp_path / "expectations"
    suites_dir.mkdir()
    (suites_dir / "raw.litellm_spend_logs.json").write_text(
        (EXPECTATIONS_DIR / "raw.litellm_spend_logs.json").read_text(encoding="utf-8")
    )
    [check] = qx.build_expectation_checks(suites_dir)

    @dg.asset(key=qx.SUITE_ASSET_KEYS["raw.litellm_spend_logs"])
    def raw_litellm_spend_logs() -> None:
        """Stands in for the extract asset: the table is already there."""

    result = dg.materialize(
        [raw_litellm_spend_logs, check],
        resources={
            "warehouse": WarehouseResource(
                warehouse_path=str(warehouse_path), landing_dir=str(tmp_path)
            )
        },
    )

    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == qx.CHECK_NAME
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_not_be_null(model)" in evaluation.description
    assert "source_row=3" in evaluation.description
    assert evaluation.metadata["expectations_failed"].value == 1


# --- Large tables: row-wise expectations chunk by chunk ------------------------------------


def test_row_wise_expectations_run_chunk_by_chunk_with_the_same_verdict(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query whose expectations are row-wise (and the row count) is validated one chunk of
    rows at a time, so memory holds one chunk of a 100M-row table: offending rows in several
    chunks add up, the row count is of the whole result, and the verdict is the one a single
    frame gives."""
    con.execute(PLAUSIBLE_REQUESTS.replace("range(400)", "range(20000)"))
    # a token count and a null cost in the first, middle and last chunks of 2,048 rows
    con.execute(
        "update marts.fct_llm_requests set total_tokens = 9000000, list_cost = null "
        "where cast(substr(request_uid, 2) as integer) in (5, 10000, 19999)"
    )
    suite = qx.parse_suite(
        {
            "name": "marts.fct_llm_requests",
            "meta": {"queries": {"rows": {
                "sql": "select request_uid, total_tokens, list_cost from marts.fct_llm_requests",
                "id_columns": ["request_uid"],
            }}},
            "expectations": [
                {"type": "expect_column_values_to_be_between",
                 "kwargs": {"column": "total_tokens", "min_value": 0, "max_value": 2200000},
                 "meta": {"query": "rows"}},
                {"type": "expect_column_values_to_not_be_null",
                 "kwargs": {"column": "list_cost"}, "meta": {"query": "rows"}},
                {"type": "expect_table_row_count_to_be_between",
                 "kwargs": {"min_value": 20001}, "meta": {"query": "rows"}},
            ],
        }
    )  # fmt: skip

    frames: list[int] = []  # the rows of each frame GX validated
    validate = qx._validate

    def counting(*args, **kwargs):
        frames.append(len(args[5]))
        return validate(*args, **kwargs)

    monkeypatch.setattr(qx, "_validate", counting)
    chunked = qx.run_suite(suite, con, chunk_vectors=1)  # 2,048 rows a chunk: 10 chunks
    assert frames == [2048] * 9 + [1568, 20000]  # the chunks, then the count alone
    frames.clear()
    whole = qx.run_suite(suite, con, chunk_vectors=1_000_000)
    assert frames == [20000, 20000]

    assert chunked.rows_by_query == whole.rows_by_query == {"rows": 20000}
    assert chunked.evaluated == whole.evaluated == 3
    for result in (chunked, whole):
        by_type = {f.type: f for f in result.failures}
        assert set(by_type) == {
            "expect_column_values_to_be_between",
            "expect_column_values_to_not_be_null",
            "expect_table_row_count_to_be_between",
        }
        tokens = by_type["expect_column_values_to_be_between"]
        assert tokens.unexpected_count == 3
        assert sorted(r["request_uid"] for r in tokens.offending_rows) == ["r10000", "r19999", "r5"]
        assert by_type["expect_column_values_to_not_be_null"].unexpected_count == 3
        assert by_type["expect_table_row_count_to_be_between"].observed_value == 20000


def test_an_empty_result_is_one_empty_chunk(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(PLAUSIBLE_REQUESTS.replace("range(400)", "range(0)"))

    result = qx.run_suite(_suite("marts.fct_llm_requests"), con, chunk_vectors=1)

    assert result.rows_by_query["rows"] == 0
    assert {(f.type, f.severity) for f in result.failures} == {
        ("expect_table_row_count_to_be_between", "warning")
    }
