"""Vendor usage APIs: OpenAI Usage API and Anthropic usage report pages, saved and pulled live.

Parsers run on small pages in tmp_path with the vendors' real field names; live pulls run
against a fake API on 127.0.0.1 (pagination by has_more / next_page, a 429 retried, a bucket
revised on a re-pull)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import requests

from dagster_project.extract.live_pull import (
    LivePullError,
    pull_anthropic_usage_report,
    pull_openai_usage,
)
from dagster_project.extract.sources import SOURCES_BY_NAME, extract
from dagster_project.serve.summary import build_summary
from tests.fake_vendor_api import FakeApi, direct_session, serving_without_real_keys

OPENAI_KEY = "sk-admin-TEST-usage-0123456789-do-not-leak"
ANTHROPIC_KEY = "sk-ant-admin01-TEST-usage-9876543210-do-not-leak"
DAY = 1782864000  # 2026-07-01T00:00:00Z
OPENAI_USAGE = "/v1/organization/usage/completions"
OPENAI_EMBEDDINGS = "/v1/organization/usage/embeddings"
ANTHROPIC_USAGE = "/v1/organizations/usage_report/messages"


def openai_result(input_tokens: int = 1000, cached: int = 400, **fields: object) -> dict:
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        "output_tokens": 250,
        "num_model_requests": 3,
        "project_id": "proj_a",
        "user_id": None,
        "api_key_id": "key_1",
        "model": "gpt-4o-mini-2024-07-18",
        "batch": False,
        "input_cached_tokens": cached,
        "input_audio_tokens": 0,
        "output_audio_tokens": 0,
    } | fields


def openai_page(results: list[dict], day: int = 0, **extra: object) -> bytes:
    start = DAY + day * 86400
    bucket = {"object": "bucket", "start_time": start, "end_time": start + 86400}
    page = {"object": "page", "data": [bucket | {"results": results}], "has_more": False}
    return json.dumps(page | {"next_page": None} | extra).encode()


def anthropic_result(uncached: int = 500, **fields: object) -> dict:
    return {
        "uncached_input_tokens": uncached,
        "cache_creation": {"ephemeral_1h_input_tokens": 20, "ephemeral_5m_input_tokens": 30},
        "cache_read_input_tokens": 700,
        "output_tokens": 90,
        "server_tool_use": {"web_search_requests": 2},
        "api_key_id": "apikey_01",
        "workspace_id": "wrkspc_a",
        "model": "claude-sonnet-4-20250514",
        "service_tier": "standard",
        "context_window": "0-200k",
    } | fields


def anthropic_page(results: list[dict], day: int = 1, **extra: object) -> bytes:
    bucket = {
        "starting_at": f"2026-07-0{day}T00:00:00Z",
        "ending_at": f"2026-07-0{day + 1}T00:00:00Z",
        "results": results,
    }
    return json.dumps({"data": [bucket], "has_more": False, "next_page": None} | extra).encode()


def write(path: Path, body: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def load(con: duckdb.DuckDBPyConnection, landing: Path, source: str):
    return extract(con, SOURCES_BY_NAME[source], landing)


# --- parsers on saved pages -----------------------------------------------------------------


def test_openai_usage_page_keeps_counts_and_grouping_as_sent(con, tmp_path):
    landing = tmp_path / "landing"
    write(
        landing / "openai/usage/completions/page_1.json",
        openai_page([openai_result(), openai_result(2000, 0, batch=True, api_key_id=None)]),
    )
    summary = load(con, landing, "openai_usage")
    assert (summary.rows_loaded, summary.rows_quarantined) == (2, 0)
    rows = con.execute(
        """select endpoint, project_id, api_key_id, batch, input_tokens, input_cached_tokens,
                  output_tokens, num_model_requests, cast(bucket_start_time as date)
           from raw.openai_usage order by input_tokens"""
    ).fetchall()
    assert rows == [
        ("completions", "proj_a", "key_1", False, 1000, 400, 250, 3, date(2026, 7, 1)),
        ("completions", "proj_a", None, True, 2000, 0, 250, 3, date(2026, 7, 1)),
    ]


def test_a_gzipped_usage_page_is_read(con, tmp_path):
    landing = tmp_path / "landing"
    write(
        landing / "anthropic/usage_report/page_1.json.gz",
        gzip.compress(anthropic_page([anthropic_result()])),
    )
    summary = load(con, landing, "anthropic_usage_report")
    assert summary.rows_loaded == 1
    row = con.execute(
        """select uncached_input_tokens, cache_read_input_tokens, cache_creation_5m_input_tokens,
                  cache_creation_1h_input_tokens, output_tokens, web_search_requests,
                  workspace_id, service_tier, context_window, source_file
           from raw.anthropic_usage_report"""
    ).fetchone()
    assert row[:9] == (500, 700, 30, 20, 90, 2, "wrkspc_a", "standard", "0-200k")
    assert row[9].endswith("page_1.json.gz")  # lineage names the file as delivered


def test_a_revised_usage_bucket_supersedes_the_earlier_pull_but_other_keys_stay(con, tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "openai/usage/completions"
    first = {"x_aifinops_pulled_at": "2026-07-02T06:00:00Z"}
    write(
        folder / "live_a_page_1.json",
        openai_page([openai_result(1000), openai_result(300, 0, api_key_id="key_2")], **first),
    )
    load(con, landing, "openai_usage")
    # re-pulled a day later: key_1's bucket revised upwards, key_2's not delivered again
    later = {"x_aifinops_pulled_at": "2026-07-03T06:00:00Z"}
    write(folder / "live_b_page_1.json", openai_page([openai_result(1100)], **later))
    load(con, landing, "openai_usage")
    in_force = con.execute(
        """select api_key_id, input_tokens from raw.openai_usage
           where superseded_by is null order by api_key_id"""
    ).fetchall()
    assert in_force == [("key_1", 1100), ("key_2", 300)]
    assert con.execute("select count(*) from raw.openai_usage").fetchone()[0] == 3


def test_bad_usage_results_are_quarantined_naming_the_field(con, tmp_path):
    landing = tmp_path / "landing"
    write(
        landing / "openai/usage/completions/page_1.json",
        openai_page(
            [
                openai_result(),
                openai_result(100, 400),  # cached above input: OpenAI counts cached inside
                openai_result(output_tokens="12"),
                openai_result(object="organization.costs.result"),
            ]
        ),
    )
    write(
        landing / "anthropic/usage_report/page_1.json",
        anthropic_page([anthropic_result(), anthropic_result(-5), anthropic_result(None)]),
    )
    openai = load(con, landing, "openai_usage")
    anthropic = load(con, landing, "anthropic_usage_report")
    assert (openai.rows_loaded, openai.rows_quarantined) == (1, 3)
    assert (anthropic.rows_loaded, anthropic.rows_quarantined) == (1, 2)
    reasons = con.execute(
        "select source, source_row, field from raw._quarantine order by source, source_row"
    ).fetchall()
    assert reasons == [
        ("anthropic_usage_report", 2, "uncached_input_tokens"),
        ("anthropic_usage_report", 3, "uncached_input_tokens"),
        ("openai_usage", 2, "input_cached_tokens"),
        ("openai_usage", 3, "output_tokens"),
        ("openai_usage", 4, "object"),
    ]


# --- live pulls against a fake API ----------------------------------------------------------


SECOND_PAGE = "cursor_2"  # the fake API answers 429 once on it


def chained(first: bytes, second: bytes) -> dict[str | None, bytes]:
    page_one = json.loads(first) | {"has_more": True, "next_page": SECOND_PAGE}
    return {None: json.dumps(page_one).encode(), SECOND_PAGE: second}


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    api = FakeApi(
        OPENAI_KEY,
        ANTHROPIC_KEY,
        throttle_cursor=SECOND_PAGE,
        pages={
            OPENAI_USAGE: chained(
                openai_page([openai_result()], day=0), openai_page([openai_result()], day=1)
            ),
            OPENAI_EMBEDDINGS: {
                None: openai_page(
                    [
                        openai_result(
                            900,
                            0,
                            object="organization.usage.embeddings.result",
                            output_tokens=None,
                            batch=None,
                            input_cached_tokens=None,
                        )
                    ]
                )
            },
            ANTHROPIC_USAGE: chained(
                anthropic_page([anthropic_result()], day=1),
                anthropic_page([anthropic_result(workspace_id=None)], day=2),
            ),
        },
    )
    yield from serving_without_real_keys(api, monkeypatch)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with direct_session() as s:
        yield s


def test_openai_usage_pull_follows_pages_retries_429_and_loads(fake_api, session, tmp_path, con):
    landing = tmp_path / "landing"
    summary = pull_openai_usage(
        landing, date(2026, 7, 1), date(2026, 7, 3), base_url=fake_api.url,
        api_key=OPENAI_KEY, session=session,
    )  # fmt: skip
    assert (summary.pages, summary.results) == (2, 2)
    assert [p.parent.name for p in summary.files] == ["completions", "completions"]
    calls = [q for path, q in fake_api.requests if path == OPENAI_USAGE]
    assert len(calls) == 3  # page 1, page 2 throttled, page 2 again
    first = calls[0]
    assert [v for k, v in first if k == "group_by"] == [
        "project_id",
        "model",
        "api_key_id",
        "batch",
    ]
    assert ("bucket_width", "1d") in first and ("start_time", str(DAY)) in first
    assert ("page", "cursor_2") in calls[2]
    assert load(con, landing, "openai_usage").rows_loaded == 2


def test_openai_embeddings_usage_has_its_own_folder_and_no_batch_grouping(
    fake_api, session, tmp_path, con
):
    landing = tmp_path / "landing"
    summary = pull_openai_usage(
        landing, date(2026, 7, 1), date(2026, 7, 2), base_url=fake_api.url,
        api_key=OPENAI_KEY, session=session, endpoint="embeddings",
    )  # fmt: skip
    assert [p.parent.name for p in summary.files] == ["embeddings"]
    (query,) = [q for path, q in fake_api.requests if path == OPENAI_EMBEDDINGS]
    assert [v for k, v in query if k == "group_by"] == ["project_id", "model", "api_key_id"]
    load(con, landing, "openai_usage")
    assert con.execute(
        "select endpoint, input_tokens, output_tokens, batch from raw.openai_usage"
    ).fetchall() == [("embeddings", 900, None, None)]
    with pytest.raises(LivePullError, match="unknown OpenAI usage endpoint 'chat'"):
        pull_openai_usage(
            landing, date(2026, 7, 1), date(2026, 7, 2), base_url=fake_api.url,
            api_key=OPENAI_KEY, session=session, endpoint="chat",
        )  # fmt: skip


def test_anthropic_usage_repull_supersedes_the_revised_bucket(fake_api, session, tmp_path, con):
    landing = tmp_path / "landing"

    def pull():
        return pull_anthropic_usage_report(
            landing, date(2026, 7, 1), date(2026, 7, 3), base_url=fake_api.url,
            api_key=ANTHROPIC_KEY, session=session,
        )  # fmt: skip

    pull()
    calls = [q for path, q in fake_api.requests if path == ANTHROPIC_USAGE]
    assert [v for k, v in calls[0] if k == "group_by[]"] == [
        "workspace_id", "model", "api_key_id", "service_tier", "context_window",
    ]  # fmt: skip
    assert ("starting_at", "2026-07-01T00:00:00Z") in calls[0]
    load(con, landing, "anthropic_usage_report")
    # the vendor revises day 1 (late usage arrives); the re-pull writes the same file names
    fake_api.pages[ANTHROPIC_USAGE] = chained(
        anthropic_page([anthropic_result(800)], day=1),
        anthropic_page([anthropic_result(workspace_id=None)], day=2),
    )
    for path in (landing / "anthropic/usage_report").glob("*.json"):
        os.utime(path, (0, 0))  # the pull time in the page decides, not the mtime
    pull()
    load(con, landing, "anthropic_usage_report")
    in_force = con.execute(
        """select cast(bucket_starting_at as date), workspace_id, uncached_input_tokens
           from raw.anthropic_usage_report where superseded_by is null order by 1"""
    ).fetchall()
    assert in_force == [(date(2026, 7, 1), "wrkspc_a", 800), (date(2026, 7, 2), None, 500)]


# --- the whole pipeline on the demo ---------------------------------------------------------


def test_reconciliation_names_the_demo_traffic_that_bypasses_the_gateway(built_warehouse):
    unlogged = built_warehouse.truth["usage_api"]["unlogged_tokens"]
    assert built_warehouse.run_exit_code == 0
    with built_warehouse.connect() as con:
        per_project = con.execute(
            """select provider_id, sub_account_id, sum(token_difference),
                      count(*) filter (where reconciliation_status = 'unlogged_traffic'),
                      count(*) filter (where reconciliation_status = 'logged_not_in_usage_api'),
                      count(*)
               from marts.rpt_usage_reconciliation group by 1, 2"""
        ).fetchall()
        summary = build_summary(con)
    assert {p for p, *_ in per_project} == {"openai", "anthropic"}
    for provider, project, difference, flagged, logged_only, _rows in per_project:
        expected = unlogged.get(provider, {}).get(project, 0)
        # every token the vendor counted and the logs did not is in the difference, exactly
        assert difference == expected, (provider, project)
        assert logged_only == 0, (provider, project)
        if expected == 0:
            assert flagged == 0, (provider, project)
    # the project that never goes through the gateway is flagged on every day it has usage
    research = next(r for r in per_project if r[1] == "proj_research")
    assert research[3] == research[5] > 0
    flagged_projects = {r[1] for r in per_project if r[3]}
    assert flagged_projects == set(unlogged["openai"])
    assert "openai/proj_research:" in summary


def test_anthropic_bill_quantities_come_from_the_usage_report_and_money_is_unchanged(
    built_warehouse,
):
    truth = built_warehouse.truth
    with built_warehouse.connect() as con:
        by_part = dict(
            con.execute(
                """select token_part, sum(consumed_quantity)
                   from intermediate.int_billed_charges_unioned
                   where provider_id = 'anthropic' and token_part is not null
                   group by 1"""
            ).fetchall()
        )
        sources = con.execute(
            """select distinct quantity_source from intermediate.int_billed_charges_unioned
               where provider_id = 'anthropic' and token_part is not null"""
        ).fetchall()
        billed = con.execute(
            """select sum(billed_cost) from marts.fct_allocated_costs
               where provider_id = 'anthropic'"""
        ).fetchone()[0]
    assert sources == [("usage_api",)]
    assert {k: int(v) for k, v in by_part.items()} == truth["usage_api"]["anthropic_billed_tokens"]
    assert round(billed, 2) == round(Decimal(truth["billed_usd"]["anthropic"]), 2)


def test_anthropic_flat_cache_creation_fields_are_read_but_never_added_to_the_object(con, tmp_path):
    landing = tmp_path / "landing"
    flat = anthropic_result(cache_creation=None, cache_creation_5m_input_tokens=7)
    both = anthropic_result(cache_creation_5m_input_tokens=7, model="claude-b")
    write(landing / "anthropic/usage_report/page_1.json", anthropic_page([flat, both]))
    load(con, landing, "anthropic_usage_report")
    rows = con.execute(
        """select model, cache_creation_5m_input_tokens, cache_creation_1h_input_tokens
           from raw.anthropic_usage_report order by model"""
    ).fetchall()
    assert rows == [("claude-b", 30, 20), ("claude-sonnet-4-20250514", 7, 0)]
