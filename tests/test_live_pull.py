"""Live pulls against a fake vendor API on 127.0.0.1.

The fake server serves three pages per endpoint chained by `has_more`/`next_page`, checks the
auth headers, answers 401 to a wrong key, 429 once (Retry-After: 0) to exercise the retry, and
500 on demand; its 401 and 500 bodies echo the credentials it received, as a careless server or
proxy might, so the tests prove that redaction, not luck, keeps the key out of every output.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import traceback
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import requests

from dagster_project.extract import live_pull
from dagster_project.extract.live_pull import (
    LivePullError,
    pull_anthropic_cost_report,
    pull_openai_costs,
    redact,
)
from dagster_project.extract.sources import SOURCES_BY_NAME, extract
from dagster_project.extract.vendor_costs import pulled_at
from tests.fake_vendor_api import FakeApi, direct_session, serving_without_real_keys

OPENAI_KEY = "sk-admin-TEST-0123456789abcdef-do-not-leak"
ANTHROPIC_KEY = "sk-ant-admin01-TEST-fedcba9876543210-do-not-leak"
WRONG_KEY = "sk-admin-WRONG-5555555555-do-not-leak"
START, END = date(2026, 7, 1), date(2026, 7, 4)
OPENAI_PATH = "/v1/organization/costs"
ANTHROPIC_PATH = "/v1/organizations/cost_report"


def _openai_page(day: int, amounts: list[str], next_page: str | None) -> bytes:
    """A page as the API might format it. Amounts are spliced in as literal JSON numbers, with
    digits (trailing zeros, 12 decimals) a float round-trip would not keep, and the layout is
    deliberately irregular: a re-serialised page would not match these bytes."""
    start = 1782864000 + (day - 1) * 86400  # 2026-07-01T00:00:00Z
    results = ",".join(
        f'{{"object":"organization.costs.result","amount":{{"value":{amount},"currency":"usd"}},'
        f'"line_item":"gpt-4o-2024-08-06, input","project_id":"proj_{i}","api_key_id":null,'
        f'"quantity":null,"quantity_unit":null}}'
        for i, amount in enumerate(amounts)
    )
    more = "true" if next_page else "false"
    cursor = json.dumps(next_page)
    return (
        f'{{"object": "page",\n  "data": [{{"object":"bucket","start_time":{start},'
        f'"end_time":{start + 86400},"results":[{results}]}}],\n'
        f'  "has_more": {more}, "next_page": {cursor}}}\n'
    ).encode()


def _anthropic_page(day: int, amounts: list[str], next_page: str | None) -> bytes:
    results = ",".join(
        f'{{"amount":"{amount}","currency":"USD","cost_type":"tokens",'
        f'"description":"Claude Sonnet 4 Usage - Input Tokens #{i}","token_type":'
        f'"uncached_input_tokens","model":"claude-sonnet-4","service_tier":"standard",'
        f'"workspace_id":"wrkspc_{i}"}}'
        for i, amount in enumerate(amounts)
    )
    more = "true" if next_page else "false"
    return (
        f'{{"data":[{{"starting_at":"2026-07-0{day}T00:00:00Z",'
        f'"ending_at":"2026-07-0{day + 1}T00:00:00Z","results":[{results}]}}],'
        f'"has_more":{more},"next_page":{json.dumps(next_page)}}}'
    ).encode()


OPENAI_AMOUNTS = [["0.123456789012", "1.10"], ["17.000000000001"], ["1234.5", "0.000000000001"]]
ANTHROPIC_AMOUNTS = [["123.4567890123", "0.0000000001"], ["5.50"], ["99999.9999999999"]]
CURSORS = [None, "page_2_cursor", "page_3_cursor"]


def _pages(make, amounts: list[list[str]]) -> dict[str | None, bytes]:
    nexts = [*CURSORS[1:], None]
    return {
        cursor: make(day, amts, nxt)
        for day, (cursor, amts, nxt) in enumerate(zip(CURSORS, amounts, nexts, strict=True), 1)
    }


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    pages = {
        OPENAI_PATH: _pages(_openai_page, OPENAI_AMOUNTS),
        ANTHROPIC_PATH: _pages(_anthropic_page, ANTHROPIC_AMOUNTS),
    }
    yield from serving_without_real_keys(
        FakeApi(OPENAI_KEY, ANTHROPIC_KEY, pages=pages), monkeypatch
    )


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with direct_session() as s:
        yield s


def _openai(api: FakeApi, session: requests.Session, landing: Path, **kwargs):
    return pull_openai_costs(landing, START, END, base_url=api.url, session=session, **kwargs)


def _anthropic(api: FakeApi, session: requests.Session, landing: Path, **kwargs):
    return pull_anthropic_cost_report(
        landing, START, END, base_url=api.url, session=session, **kwargs
    )


def _unstamped(path: Path) -> bytes:
    """A saved page less the pull time the pull adds as its first field (checked here)."""
    body = path.read_bytes()
    stamped = pulled_at(path)
    assert stamped is not None and abs(datetime.now(UTC) - stamped) < timedelta(minutes=5)
    return re.sub(rb'^\{"x_aifinops_pulled_at": "[0-9T:.Z-]+", ', b"{", body)


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _exception_text(error: BaseException) -> str:
    return str(error) + "".join(traceback.format_exception(error))


# --- pagination and files -------------------------------------------------------------------


def test_openai_pages_followed_to_the_end_and_written_verbatim(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)  # the key comes from the environment
    summary = _openai(fake_api, session, tmp_path)

    assert (summary.pages, summary.results) == (3, 5)
    folder = tmp_path / "openai" / "costs"
    expected = [folder / f"live_2026-07-01_2026-07-04_page_{n}.json" for n in (1, 2, 3)]
    assert list(summary.files) == expected
    assert sorted(folder.iterdir()) == expected  # no temp files left behind
    served = fake_api.pages[OPENAI_PATH]
    for path, cursor in zip(expected, CURSORS, strict=True):
        assert _unstamped(path) == served[cursor]
    # page 2 was throttled once and retried; every page was asked for once more at most
    assert [fake_api.calls(OPENAI_PATH, c) for c in CURSORS] == [1, 2, 1]


def test_openai_query_parameters(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path
) -> None:
    _openai(fake_api, session, tmp_path, api_key=OPENAI_KEY)
    path, query = fake_api.requests[0]
    assert path == OPENAI_PATH
    assert query == [
        ("start_time", "1782864000"),
        ("end_time", "1783123200"),
        ("bucket_width", "1d"),
        ("group_by", "project_id"),
        ("group_by", "line_item"),
        ("limit", "30"),
    ]
    assert dict(fake_api.requests[-1][1])["page"] == "page_3_cursor"


def test_anthropic_pages_and_query_parameters(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    summary = _anthropic(fake_api, session, tmp_path)

    assert (summary.pages, summary.results) == (3, 4)
    served = fake_api.pages[ANTHROPIC_PATH]
    assert [_unstamped(p) for p in summary.files] == [served[c] for c in CURSORS]
    assert all(p.parent == tmp_path / "anthropic" / "cost_report" for p in summary.files)
    assert fake_api.requests[0][1] == [
        ("starting_at", "2026-07-01T00:00:00Z"),
        ("ending_at", "2026-07-04T00:00:00Z"),
        ("group_by[]", "workspace_id"),
        ("group_by[]", "description"),
    ]


def test_repull_replaces_pages_and_drops_stale_ones(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path
) -> None:
    folder = tmp_path / "openai" / "costs"
    folder.mkdir(parents=True)
    stale = folder / "live_2026-07-01_2026-07-04_page_4.json"
    other_range = folder / "live_2026-06-01_2026-07-01_page_4.json"
    stale.write_text("{}")
    other_range.write_text("{}")

    summary = _openai(fake_api, session, tmp_path, api_key=OPENAI_KEY)

    assert summary.removed == (stale,)
    assert not stale.exists() and other_range.exists()


# --- one code path: live pages load through the saved-page parsers ---------------------------


def test_live_pages_load_through_the_existing_parsers_with_exact_amounts(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    _openai(fake_api, session, landing, api_key=OPENAI_KEY)
    _anthropic(fake_api, session, landing, api_key=ANTHROPIC_KEY)

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        openai = extract(con, SOURCES_BY_NAME["openai_costs"], landing)
        anthropic = extract(con, SOURCES_BY_NAME["anthropic_cost_report"], landing)
        openai_amounts = con.execute("select amount_value from raw.openai_costs").fetchall()
        anthropic_amounts = con.execute(
            "select amount_cents from raw.anthropic_cost_report"
        ).fetchall()
    finally:
        con.close()

    assert (openai.files_loaded, openai.rows_loaded, openai.rows_quarantined) == (3, 5, 0)
    assert (anthropic.files_loaded, anthropic.rows_loaded, anthropic.rows_quarantined) == (3, 4, 0)
    assert sorted(v for (v,) in openai_amounts) == sorted(
        Decimal(a) for page in OPENAI_AMOUNTS for a in page
    )
    assert sorted(v for (v,) in anthropic_amounts) == sorted(
        Decimal(a) for page in ANTHROPIC_AMOUNTS for a in page
    )


# --- errors and secrets ---------------------------------------------------------------------


def test_wrong_key_gives_401_error_naming_endpoint_and_status_not_key(
    fake_api: FakeApi, session: requests.Session, tmp_path: Path
) -> None:
    with pytest.raises(LivePullError) as caught:
        _openai(fake_api, session, tmp_path, api_key=WRONG_KEY)
    text = _exception_text(caught.value)
    assert "/v1/organization/costs" in text and "401" in text and "OPENAI_ADMIN_KEY" in text
    assert WRONG_KEY not in text and "Bearer" not in text
    assert fake_api.calls(OPENAI_PATH) == 1  # an auth failure is not retried

    with pytest.raises(LivePullError) as caught:
        _anthropic(fake_api, session, tmp_path, api_key=WRONG_KEY)
    text = _exception_text(caught.value)
    assert "/v1/organizations/cost_report" in text and "401" in text
    assert WRONG_KEY not in text
    assert not list(tmp_path.rglob("*.json"))


def test_secret_never_leaks_even_when_the_server_echoes_it(
    fake_api: FakeApi,
    session: requests.Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 and requests too
    landing = tmp_path / "landing"
    errors: list[str] = []

    _openai(fake_api, session, landing, api_key=OPENAI_KEY)  # success, with one 429 retry

    fake_api.fail_cursor = "page_3_cursor"  # 500 echoing the Authorization header, every time
    before = fake_api.calls(OPENAI_PATH, "page_3_cursor")
    with pytest.raises(LivePullError) as caught:
        _openai(fake_api, session, tmp_path / "failed", api_key=OPENAI_KEY)
    message = str(caught.value)
    assert "HTTP 500 after 5 tries" in message and OPENAI_PATH in message
    assert "[REDACTED]" in message  # the echo reached us and was redacted, not dropped
    assert fake_api.calls(OPENAI_PATH, "page_3_cursor") - before == live_pull.MAX_TRIES
    assert not (tmp_path / "failed").exists()  # a failed pull writes no partial range
    errors.append(_exception_text(caught.value))

    with pytest.raises(LivePullError) as caught:  # 500 echoing x-api-key
        _anthropic(fake_api, session, tmp_path / "failed", api_key=ANTHROPIC_KEY)
    assert "[REDACTED]" in str(caught.value)
    errors.append(_exception_text(caught.value))

    fake_api.fail_cursor = None
    fake_api.echo_key_in_page = True  # a 200 page carrying the key is refused, not saved
    with pytest.raises(LivePullError, match="echoes the API key"):
        _anthropic(fake_api, session, tmp_path / "failed", api_key=ANTHROPIC_KEY)
    assert not (tmp_path / "failed").exists()

    captured = capsys.readouterr()
    outputs = [
        captured.out,
        captured.err,
        caplog.text,
        *(r.getMessage() for r in caplog.records),
        *errors,
    ]
    files = _all_bytes(tmp_path)
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert not any(key in text for text in outputs)
        assert key.encode() not in files
    assert caplog.records  # the pull did log (pages, retries): the check above is not vacuous


def test_missing_env_var_names_the_variable(fake_api: FakeApi, tmp_path: Path) -> None:
    with pytest.raises(LivePullError, match="OPENAI_ADMIN_KEY"):
        pull_openai_costs(tmp_path, START, END, base_url=fake_api.url)
    with pytest.raises(LivePullError, match="ANTHROPIC_ADMIN_KEY"):
        pull_anthropic_cost_report(tmp_path, START, END, base_url=fake_api.url)
    assert fake_api.requests == []  # nothing was sent without a key


def test_cli_prints_summary_or_one_line_error(
    fake_api: FakeApi,
    session: requests.Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["openai", "--start", "2026-07-01", "--end", "2026-07-04", "--landing", str(tmp_path)]

    assert live_pull.main(args) == 1  # no key in the environment
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OPENAI_ADMIN_KEY" in err and "Traceback" not in err

    # Point the CLI at the fake server; the real default base URL is never contacted.
    local = functools.partial(pull_openai_costs, base_url=fake_api.url, session=session)
    monkeypatch.setitem(live_pull.PULLS, "openai", local)

    monkeypatch.setenv("OPENAI_ADMIN_KEY", WRONG_KEY)
    assert live_pull.main(args) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "401" in err and "Traceback" not in err
    assert WRONG_KEY not in out + err

    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    assert live_pull.main(args) == 0
    out, err = capsys.readouterr()
    assert "3 page(s), 5 result(s), 3 file(s)" in out
    assert OPENAI_KEY not in out + err


def test_plain_http_refused_off_loopback(tmp_path: Path) -> None:
    with pytest.raises(LivePullError, match="https"):
        pull_openai_costs(tmp_path, START, END, base_url="http://example.com", api_key="k-123")


def test_redact() -> None:
    text = "Authorization: Bearer abc.def, x-api-key: zzz, body sk-secret-1 and sk-secret-12"
    cleaned = redact(text, ["sk-secret-1", "sk-secret-12", None, ""])
    assert "abc.def" not in cleaned and "zzz" not in cleaned and "sk-secret" not in cleaned
    assert cleaned.count("[REDACTED]") == 4


def test_error_snippet_redacts_before_cutting() -> None:
    # A key straddling the snippet's length limit must not leave a readable prefix behind.
    response = requests.Response()
    response._content = b"x" * (live_pull.ERROR_BODY_CHARS - 10) + OPENAI_KEY.encode()
    snippet = live_pull._error_snippet(response, [OPENAI_KEY])
    assert OPENAI_KEY[:10] not in snippet and len(snippet) <= live_pull.ERROR_BODY_CHARS
