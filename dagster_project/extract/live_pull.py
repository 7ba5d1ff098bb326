"""Live pulls of the vendor cost APIs into the landing folder.

Each pull walks one paginated endpoint and writes every page it receives, byte for byte, as
`<landing>/<provider folder>/live_<start>_<end>_page_<n>.json`, with one addition: the pull
time, as the first top-level field `x_aifinops_pulled_at` (UTC). A later pull of an overlapping
window supersedes the lines it delivers again (see `landing.supersede`): "latest" is this time.
The extract step then reads those files with the same parsers as saved exports
(`vendor_costs.py`): one code path for saved and live data, and the landing file stays the audit
record of what the vendor sent.

Endpoints (as the vendors publish them):

- OpenAI `GET /v1/organization/costs`: `start_time`/`end_time` (unix s), `bucket_width=1d`,
  `group_by=project_id&group_by=line_item`, `limit=30`, cursor `page`. Auth `Authorization:
  Bearer $OPENAI_ADMIN_KEY`.
- Anthropic `GET /v1/organizations/cost_report`: `starting_at`/`ending_at` (RFC 3339),
  `group_by[]=workspace_id&group_by[]=description`, cursor `page`. Auth `x-api-key:
  $ANTHROPIC_ADMIN_KEY` and `anthropic-version: 2023-06-01`.

- OpenAI `GET /v1/organization/usage/completions` (Usage API): the same parameters with
  `group_by` project_id, model, api_key_id and batch; pages go to `openai/usage/completions/`.
- Anthropic `GET /v1/organizations/usage_report/messages`: `bucket_width=1d`, `group_by[]`
  workspace_id, model, api_key_id, service_tier and context_window; pages go to
  `anthropic/usage_report/`.

Both APIs treat the end as exclusive, and so does this module: `--end 2026-08-01` pulls July.

Secrets: keys come only from the environment (or the `api_key` argument, for tests). They are
never logged, request headers are never logged, redirects are not followed (a redirect to another
host would carry the `x-api-key` header with it), and every error message passes through
`redact` first, because error bodies can echo request headers back.

Usage:
    python -m dagster_project.extract.live_pull openai --start 2026-07-01 --end 2026-08-01
    python -m dagster_project.extract.live_pull anthropic --start 2026-07-01 --end 2026-08-01 \
        --landing /path/to/landing
    python -m dagster_project.extract.live_pull openai-usage --start 2026-07-01 --end 2026-08-01
    python -m dagster_project.extract.live_pull anthropic-usage --start 2026-07-01 --end 2026-08-01
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TypedDict, Unpack
from urllib.parse import urlsplit

import requests

from dagster_project.atomic import write_atomic
from dagster_project.extract.privacy import redact
from dagster_project.extract.pull_cli import landing_folder, print_written
from dagster_project.extract.vendor_costs import PULLED_AT_FIELD

log = logging.getLogger(__name__)

OPENAI_KEY_ENV = "OPENAI_ADMIN_KEY"
ANTHROPIC_KEY_ENV = "ANTHROPIC_ADMIN_KEY"
ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = "ai-finops-warehouse-live-pull/0.1"

MAX_TRIES = 5  # per request, first try included
MAX_RETRY_AFTER_S = 30.0  # a longer Retry-After is cut to this, so a run never stalls for long
TIMEOUT_S = 30.0  # connect and read
MAX_PAGES = 1000  # ~80 years of daily buckets at 30 a page: more means a cursor that never ends
ERROR_BODY_CHARS = 300  # enough of an error body to diagnose a 400, never the whole page
OPENAI_PAGE_LIMIT = 30  # buckets per page (API range 1-180; usage API 1-31 for 1d buckets)
ANTHROPIC_USAGE_PAGE_LIMIT = 31  # daily buckets per page (the usage report's maximum for 1d)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Query-string form of the multi-valued `group_by`, as each vendor's API reference names it:
# OpenAI `group_by` (its usage cookbook passes a list to `requests`, which repeats the plain key:
# `group_by=a&group_by=b`), Anthropic `group_by[]`. OpenAI's official Python SDK sends the
# bracketed form instead, so the API takes both; should that change, edit this constant only.
OPENAI_GROUP_BY_PARAM = "group_by"
ANTHROPIC_GROUP_BY_PARAM = "group_by[]"


class LivePullError(RuntimeError):
    """A pull failed. The message is already redacted and safe to print."""


@dataclass(frozen=True)
class PullSummary:
    provider: str
    endpoint: str
    pages: int
    results: int
    files: tuple[Path, ...]
    removed: tuple[Path, ...] = field(default=())  # stale pages of an earlier pull of this range

    def describe(self) -> str:
        folder = self.files[0].parent if self.files else "-"
        text = (
            f"{self.provider} {self.endpoint}: {self.pages} page(s), {self.results} result(s), "
            f"{len(self.files)} file(s) written to {folder}"
        )
        if self.removed:
            text += f"; removed {len(self.removed)} stale page file(s) of an earlier pull"
        return text


@dataclass(frozen=True)
class _Endpoint:
    provider: str  # display name
    path: str
    folder: str  # under the landing folder, as in `sources.SOURCES`
    key_env: str


OPENAI_COSTS = _Endpoint("OpenAI", "/v1/organization/costs", "openai/costs", OPENAI_KEY_ENV)
ANTHROPIC_COST_REPORT = _Endpoint(
    "Anthropic", "/v1/organizations/cost_report", "anthropic/cost_report", ANTHROPIC_KEY_ENV
)
# The OpenAI Usage API's token-counting endpoints (the others count images, seconds or bytes).
# `batch` is a grouping field of completions only.
OPENAI_USAGE_ENDPOINTS = ("completions", "embeddings", "moderations")


def _openai_usage_endpoint(name: str) -> _Endpoint:
    if name not in OPENAI_USAGE_ENDPOINTS:
        raise LivePullError(
            f"unknown OpenAI usage endpoint {name!r}: one of {', '.join(OPENAI_USAGE_ENDPOINTS)}"
        )
    path = f"/v1/organization/usage/{name}"
    return _Endpoint("OpenAI", path, f"openai/usage/{name}", OPENAI_KEY_ENV)


ANTHROPIC_USAGE_REPORT = _Endpoint(
    "Anthropic",
    "/v1/organizations/usage_report/messages",
    "anthropic/usage_report",
    ANTHROPIC_KEY_ENV,
)
OPENAI_COSTS_GROUP_BY = ("project_id", "line_item")
OPENAI_USAGE_GROUP_BY = ("project_id", "model", "api_key_id", "batch")
ANTHROPIC_COSTS_GROUP_BY = ("workspace_id", "description")
ANTHROPIC_USAGE_GROUP_BY = (
    "workspace_id", "model", "api_key_id", "service_tier", "context_window",
)  # fmt: skip


# --- secrets --------------------------------------------------------------------------------


def _resolve_key(api_key: str | None, env_name: str) -> str:
    key = api_key if api_key is not None else os.environ.get(env_name, "")
    key = key.strip()
    if not key:
        raise LivePullError(
            f"missing API key: set the environment variable {env_name} to an admin key "
            "(keys are read only from the environment, never from the command line)"
        )
    return key


def _check_base_url(base_url: str) -> str:
    """Refuse to send an admin key in clear text anywhere but this machine."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return base_url.rstrip("/")
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return base_url.rstrip("/")
    # The host only: a URL's user-info part may hold credentials of its own.
    raise LivePullError(f"base URL must be https (plain http only to localhost): {parts.hostname}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- HTTP -----------------------------------------------------------------------------------


def _retry_delay(response: requests.Response | None, attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`: the server's Retry-After when it sent one
    (seconds or HTTP date), else exponential backoff; always within [0, MAX_RETRY_AFTER_S]."""
    header = response.headers.get("Retry-After") if response is not None else None
    delay: float | None = None
    if header:
        try:
            delay = float(header)
        except ValueError:
            with suppress(TypeError, ValueError, IndexError):
                delay = (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
    if delay is None or not math.isfinite(delay):  # "nan" would make time.sleep raise
        delay = 2.0 ** (attempt - 1)
    return min(max(delay, 0.0), MAX_RETRY_AFTER_S)


def _error_snippet(response: requests.Response, secrets: Sequence[str]) -> str:
    # Redact the whole body before cutting it: a cut through a key would leave a prefix that
    # no longer matches the secret.
    text = redact(response.content.decode("utf-8", errors="replace"), secrets)
    return " ".join(text.split())[:ERROR_BODY_CHARS]


@dataclass(frozen=True)
class _Client:
    """What every request of one pull shares. `secrets` are redacted from every message."""

    endpoint: _Endpoint
    session: requests.Session
    url: str
    headers: dict[str, str]
    secrets: tuple[str, ...]

    @property
    def label(self) -> str:
        """Names the endpoint in every message, e.g. "OpenAI GET /v1/organization/costs"."""
        return f"{self.endpoint.provider} GET {self.endpoint.path}"


def _get_page(client: _Client, params: list[tuple[str, str]]) -> bytes:
    """One page's raw body, retrying 429/5xx and network errors up to MAX_TRIES times."""
    label, secrets = client.label, client.secrets
    for attempt in range(1, MAX_TRIES + 1):
        last_try = attempt == MAX_TRIES
        try:
            response = client.session.get(
                client.url,
                params=params,
                headers=client.headers,
                timeout=TIMEOUT_S,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            # The exception text names the URL, not headers; redacted anyway, and not chained,
            # so a traceback cannot carry the request object along.
            reason = redact(f"{type(error).__name__}: {error}", secrets)
            if last_try:
                raise LivePullError(f"{label}: gave up after {attempt} tries: {reason}") from None
            log.warning("%s: try %d failed (%s); retrying", label, attempt, reason)
            time.sleep(_retry_delay(None, attempt))
            continue
        status = response.status_code
        if status == 200:
            return response.content
        if status in (401, 403):
            # No body here: an auth error body is the likeliest to echo the credentials.
            meaning = "authentication failed" if status == 401 else "permission denied"
            raise LivePullError(
                f"{label}: HTTP {status} ({meaning}): check that {client.endpoint.key_env} "
                "holds a valid admin key with read access to usage and costs"
            )
        if status in RETRY_STATUSES and not last_try:
            delay = _retry_delay(response, attempt)
            log.warning("%s: HTTP %d on try %d; retrying in %.1f s", label, status, attempt, delay)
            time.sleep(delay)
            continue
        # Anything else (400, 404, a redirect we refuse to follow, 5xx on the last try) is final.
        tries = f" after {attempt} tries" if status in RETRY_STATUSES else ""
        raise LivePullError(f"{label}: HTTP {status}{tries}: {_error_snippet(response, secrets)}")
    raise AssertionError("unreachable: the last try returns or raises")


def _page_fields(body: bytes, label: str, page_no: int) -> tuple[int, bool, str | None]:
    """(results on the page, has_more, next_page), checking the page is a page at all."""
    try:
        page = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise LivePullError(f"{label}: page {page_no} is not valid JSON") from None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise LivePullError(f"{label}: page {page_no} has no 'data' list: not an API page")
    results = sum(
        len(bucket.get("results") or []) for bucket in page["data"] if isinstance(bucket, dict)
    )
    has_more = page.get("has_more") is True
    next_page = page.get("next_page")
    if has_more and (not isinstance(next_page, str) or not next_page):
        raise LivePullError(f"{label}: page {page_no} says has_more but gives no next_page")
    return results, has_more, next_page if has_more else None


def _fetch_all(client: _Client, params: list[tuple[str, str]]) -> tuple[list[bytes], int]:
    """Every page of one query, following `next_page` until `has_more` is false."""
    bodies: list[bytes] = []
    results = 0
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        if len(bodies) >= MAX_PAGES:
            raise LivePullError(f"{client.label}: more than {MAX_PAGES} pages; stopped")
        body = _get_page(client, [*params, ("page", cursor)] if cursor else params)
        number = len(bodies) + 1
        if any(secret.encode() in body for secret in client.secrets):
            # A cost page never contains the key; one that does must not reach the disk.
            raise LivePullError(f"{client.label}: page {number} echoes the API key; not saved")
        count, has_more, cursor = _page_fields(body, client.label, number)
        bodies.append(body)
        results += count
        log.info("%s: page %d, %d result(s)", client.label, number, count)
        if not has_more:
            return bodies, results
        if cursor in seen:
            raise LivePullError(f"{client.label}: next_page repeats an earlier cursor; stopped")
        seen.add(cursor)


# --- landing files --------------------------------------------------------------------------


def stamp_pull_time(body: bytes, pulled_at: datetime) -> bytes:
    """The page with the pull time inserted as its first top-level field; the vendor's bytes
    follow unchanged. (`_page_fields` made sure the page is a JSON object with a data list.)"""
    opening = body.index(b"{") + 1
    stamp = json.dumps({PULLED_AT_FIELD: pulled_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    return body[:opening] + stamp[1:-1].encode() + b", " + body[opening:]


def _write_pages(folder: Path, stem: str, bodies: list[bytes]) -> tuple[list[Path], list[Path]]:
    """Write pages 1..n, then delete page files of an earlier pull of the same range beyond n, so
    the folder holds exactly what the API returned this time."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    pulled_at = datetime.now(UTC)
    for number, body in enumerate(bodies, start=1):
        path = folder / f"{stem}_page_{number}.json"
        write_atomic(path, stamp_pull_time(body, pulled_at))
        written.append(path)
    own = re.compile(rf"{re.escape(stem)}_page_(\d+)\.json")
    stale = [
        p
        for p in folder.glob(f"{stem}_page_*.json")
        if (m := own.fullmatch(p.name)) and int(m.group(1)) > len(bodies)
    ]
    for path in stale:
        path.unlink()
    return written, stale


# --- pulls ----------------------------------------------------------------------------------


def _midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _check_range(start: date, end: date) -> None:
    if end <= start:
        raise LivePullError(f"end ({end}) must be after start ({start}): the end is exclusive")


@contextmanager
def _open_client(
    endpoint: _Endpoint,
    base_url: str,
    auth_headers: dict[str, str],
    key: str,
    session: requests.Session | None,
) -> Iterator[_Client]:
    """A client for one pull; a session made here is closed after it, a caller's is not."""
    url = _check_base_url(base_url) + endpoint.path
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **auth_headers}
    own = requests.Session() if session is None else None
    try:
        yield _Client(endpoint, session or own, url, headers, (key,))
    finally:
        if own is not None:
            own.close()


def _save(
    client: _Client, landing_dir: Path, start: date, end: date, pages: tuple[list[bytes], int]
) -> PullSummary:
    """Called only once every page arrived, so a failed pull leaves no partial range behind."""
    bodies, results = pages
    stem = f"live_{start.isoformat()}_{end.isoformat()}"
    try:
        written, stale = _write_pages(Path(landing_dir) / client.endpoint.folder, stem, bodies)
    except OSError as error:
        message = f"{client.label}: cannot write landing files: {error}"
        raise LivePullError(redact(message, client.secrets)) from None
    return PullSummary(
        client.endpoint.provider.lower(),
        client.endpoint.path,
        len(bodies),
        results,
        tuple(written),
        tuple(stale),
    )


class Connection(TypedDict, total=False):
    """How a pull reaches its API; every field is optional."""

    base_url: str  # default: the vendor's own API host
    api_key: str | None  # default: the vendor's key variable (OPENAI_ADMIN_KEY, ...)
    session: requests.Session | None  # default: a session of the pull's own


BASE_URLS = {"OpenAI": "https://api.openai.com", "Anthropic": "https://api.anthropic.com"}


def _auth_headers(endpoint: _Endpoint, key: str) -> dict[str, str]:
    if endpoint.provider == "Anthropic":
        return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
    return {"Authorization": f"Bearer {key}"}


def _openai_params(start: date, end: date, group_by: Sequence[str]) -> list[tuple[str, str]]:
    return [
        ("start_time", str(int(_midnight_utc(start).timestamp()))),
        ("end_time", str(int(_midnight_utc(end).timestamp()))),
        ("bucket_width", "1d"),
        *((OPENAI_GROUP_BY_PARAM, field) for field in group_by),
        ("limit", str(OPENAI_PAGE_LIMIT)),
    ]


def _anthropic_params(
    start: date, end: date, extra: Sequence[tuple[str, str]], group_by: Sequence[str]
) -> list[tuple[str, str]]:
    return [
        ("starting_at", _midnight_utc(start).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("ending_at", _midnight_utc(end).strftime("%Y-%m-%dT%H:%M:%SZ")),
        *extra,
        *((ANTHROPIC_GROUP_BY_PARAM, field) for field in group_by),
    ]


def _pull(
    endpoint: _Endpoint,
    params: list[tuple[str, str]],
    landing_dir: Path,
    start: date,
    end: date,
    connection: Connection,
) -> PullSummary:
    """Every page of `endpoint` for [start, end), saved once all of them arrived."""
    unknown = connection.keys() - Connection.__optional_keys__
    if unknown:  # what an explicit keyword-only signature would refuse
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    _check_range(start, end)
    key = _resolve_key(connection.get("api_key"), endpoint.key_env)
    base_url = connection.get("base_url", BASE_URLS[endpoint.provider])
    headers = _auth_headers(endpoint, key)
    with _open_client(endpoint, base_url, headers, key, connection.get("session")) as client:
        return _save(client, landing_dir, start, end, _fetch_all(client, params))


def pull_openai_costs(
    landing_dir: Path, start: date, end: date, **connection: Unpack[Connection]
) -> PullSummary:
    """Pull OpenAI organization costs for [start, end) into `<landing>/openai/costs/`."""
    params = _openai_params(start, end, OPENAI_COSTS_GROUP_BY)
    return _pull(OPENAI_COSTS, params, landing_dir, start, end, connection)


def pull_openai_usage(
    landing_dir: Path,
    start: date,
    end: date,
    *,
    endpoint: str = "completions",
    **connection: Unpack[Connection],
) -> PullSummary:
    """Pull OpenAI usage of one endpoint (completions by default) for [start, end), daily
    buckets grouped by project, model, API key (and batch, for completions), into
    `<landing>/openai/usage/<endpoint>/`."""
    target = _openai_usage_endpoint(endpoint)
    group_by = [g for g in OPENAI_USAGE_GROUP_BY if g != "batch" or endpoint == "completions"]
    params = _openai_params(start, end, group_by)
    return _pull(target, params, landing_dir, start, end, connection)


def pull_anthropic_cost_report(
    landing_dir: Path, start: date, end: date, **connection: Unpack[Connection]
) -> PullSummary:
    """Pull the Anthropic cost report for [start, end) into `<landing>/anthropic/cost_report/`."""
    params = _anthropic_params(start, end, (), ANTHROPIC_COSTS_GROUP_BY)
    return _pull(ANTHROPIC_COST_REPORT, params, landing_dir, start, end, connection)


def pull_anthropic_usage_report(
    landing_dir: Path, start: date, end: date, **connection: Unpack[Connection]
) -> PullSummary:
    """Pull the Anthropic messages usage report for [start, end), daily buckets, into
    `<landing>/anthropic/usage_report/`."""
    extra = (("bucket_width", "1d"), ("limit", str(ANTHROPIC_USAGE_PAGE_LIMIT)))
    params = _anthropic_params(start, end, extra, ANTHROPIC_USAGE_GROUP_BY)
    return _pull(ANTHROPIC_USAGE_REPORT, params, landing_dir, start, end, connection)


# --- CLI ------------------------------------------------------------------------------------

PULLS = {
    "openai": pull_openai_costs,
    "anthropic": pull_anthropic_cost_report,
    "openai-usage": pull_openai_usage,
    "anthropic-usage": pull_anthropic_usage_report,
}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.extract.live_pull",
        description="Pull a vendor cost API into the landing folder, one file per page. Keys "
        f"come from {OPENAI_KEY_ENV} / {ANTHROPIC_KEY_ENV}.",
    )
    parser.add_argument("provider", choices=sorted(PULLS))
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument(
        "--end", required=True, type=date.fromisoformat, help="YYYY-MM-DD, exclusive"
    )
    parser.add_argument("--landing", type=Path, help="landing folder (default: from settings)")
    parser.add_argument(
        "--endpoint",
        default="completions",
        choices=OPENAI_USAGE_ENDPOINTS,
        help="openai-usage only: which Usage API endpoint (default completions)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    secrets = [os.environ.get(OPENAI_KEY_ENV), os.environ.get(ANTHROPIC_KEY_ENV)]
    try:
        landing = landing_folder(args.landing)
        options = {"endpoint": args.endpoint} if args.provider == "openai-usage" else {}
        summary = PULLS[args.provider](landing, args.start, args.end, **options)
    except Exception as error:  # the CLI's promise: one line, no traceback, no secret
        message = (
            str(error) if isinstance(error, LivePullError) else f"{type(error).__name__}: {error}"
        )
        print(f"error: {' '.join(redact(message, secrets).split())}", file=sys.stderr)
        return 1
    return print_written(summary.describe(), summary.files)


if __name__ == "__main__":
    sys.exit(main())
