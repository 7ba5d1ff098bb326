"""LiteLLM spend logs read from LiteLLM's own PostgreSQL database, written as landing files.

A pull writes what it reads as JSONL files under `<landing>/litellm/postgres/`, one JSON object
per row with the field names LiteLLM uses (its JSONL spend logs are the same rows), and the
LiteLLM source then loads them like any other spend log file (`litellm.parse` through
`landing.load_source`): one definition of a LiteLLM row, one quarantine, one lineage, one
request-id deduplication (staging keeps the first loaded copy of a request id). The file name
names the table a row came from, which the raw row's `source_file` keeps.

What is read, from `"LiteLLM_SpendLogs"` (LiteLLM's Prisma schema): the columns in
`SPEND_LOG_COLUMNS`, named one by one. `messages`, `response` and `proxy_server_request` (prompt
and completion text) and `requester_ip_address` are never selected; of `metadata` only the keys
the pipeline reads (`litellm.METADATA_KEPT`) leave the database, chosen in SQL with the key names
bound as values.

Incremental: each file is named `LiteLLM_SpendLogs__<first startTime>__<last startTime>.jsonl`
(`__<n>` added when that name is taken).
The cursor is the latest startTime any such file in the folder holds; the next pull reads rows
with startTime at or after cursor minus the lookback (a request committed late, up to that long
after later ones, is still read) and writes only request ids that no file in the lookback window
already holds. Deleting a file retracts its rows (landing rules) and the next pull reads them
again. A request committed later than the lookback is missed: raise the lookback
(AIFINOPS_LITELLM_LOOKBACK_MINUTES, default 60).

Request logging off (`disable_spend_logs`): for a complete day (ended at least the lookback ago)
that has no row in SpendLogs, the day's rows of `"LiteLLM_DailyTeamSpend"` (else of
`"LiteLLM_DailyUserSpend"`) are read instead, one usage row per day x team (or user) x api key x
model x provider, written as a spend log row with request_id `<table>:<date>:<id>`, call_type
`daily_rollup`, startTime the day's 00:00 UTC and the day's tokens and spend. The other daily
tables (tag, end user, organisation, agent) slice the same spend again and are not read: a
request with two tags is in two tag rows. What is coarser than request logs: no request ids, no
time of day, no request tags (environment, product, use case, feature stay unassigned unless the
api key or team maps them), failed and successful requests together, and each rollup row counts
as one row wherever requests are counted (its request counts are kept in
metadata.litellm_daily_rollup). Files: `LiteLLM_DailySpend__through_<last day>.jsonl`; the cursor
is the last day a pull looked at.

Configuration: AIFINOPS_LITELLM_DATABASE_URL, a libpq URL (postgresql://user:pw@host:5432/db);
unset, the source is off. The connection is read-only (`default_transaction_read_only`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dagster_project.atomic import commit, temp_path, write_atomic
from dagster_project.extract.landing import quote_ident  # LiteLLM's names are mixed case
from dagster_project.extract.litellm import METADATA_KEPT
from dagster_project.extract.privacy import redact
from dagster_project.extract.pull_cli import landing_folder, print_written

log = logging.getLogger(__name__)

URL_VAR = "AIFINOPS_LITELLM_DATABASE_URL"
LOOKBACK_VAR = "AIFINOPS_LITELLM_LOOKBACK_MINUTES"
DEFAULT_LOOKBACK = timedelta(minutes=60)
FOLDER = Path("litellm") / "postgres"  # under the landing folder, read by the LiteLLM source

SPEND_LOGS = "LiteLLM_SpendLogs"
# The columns read, in LiteLLM's names (which are the JSONL field names too).
SPEND_LOG_COLUMNS = (
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
    "completion_tokens", "startTime", "endTime", "request_duration_ms", "model", "model_id",
    "model_group", "custom_llm_provider", "api_base", "user", "metadata", "cache_hit",
    "cache_key", "request_tags", "team_id", "organization_id", "end_user", "session_id", "status",
)  # fmt: skip
NEVER_READ = ("messages", "response", "proxy_server_request", "requester_ip_address")
assert not set(NEVER_READ) & set(SPEND_LOG_COLUMNS)

# Day-grain rollups, first that has rows for a day wins: (table, its owner column, field it
# fills in the spend log row).
ROLLUPS = (("LiteLLM_DailyTeamSpend", "team_id", "team_id"),
           ("LiteLLM_DailyUserSpend", "user_id", "user"))  # fmt: skip
ROLLUP_COLUMNS = (
    "id", "date", "api_key", "model", "model_group", "custom_llm_provider", "prompt_tokens",
    "completion_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "spend",
    "api_requests", "successful_requests", "failed_requests",
)  # fmt: skip

_LOG_FILE = re.compile(
    r"^LiteLLM_SpendLogs__(\d{8}T\d{6}\.\d{6}Z)__(\d{8}T\d{6}\.\d{6}Z)(?:__\d+)?\.jsonl$"
)
_ROLLUP_FILE = re.compile(r"^LiteLLM_DailySpend__through_(\d{4}-\d{2}-\d{2})\.jsonl$")
_STAMP = "%Y%m%dT%H%M%S.%fZ"


@dataclass
class PullResult:
    files: list[Path] = field(default_factory=list)
    request_rows: int = 0
    skipped_already_landed: int = 0
    rollup_rows: int = 0
    rollup_days: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"LiteLLM database: {self.request_rows} new request row(s)"
            f" ({self.skipped_already_landed} already landed), {self.rollup_rows} daily rollup"
            f" row(s) for {len(self.rollup_days)} day(s) without request logs"
        )


def lookback_from_env() -> timedelta:
    value = os.environ.get(LOOKBACK_VAR, "").strip()
    if not value:
        return DEFAULT_LOOKBACK
    try:
        minutes = float(value)
    except ValueError:
        raise ValueError(f"{LOOKBACK_VAR}={value!r} is not a number of minutes") from None
    if minutes < 0:
        raise ValueError(f"{LOOKBACK_VAR}={value!r} is negative")
    return timedelta(minutes=minutes)


def is_configured() -> bool:
    """Whether AIFINOPS_LITELLM_DATABASE_URL names a database to pull from."""
    return bool(os.environ.get(URL_VAR, "").strip())


def pull_if_configured(landing_dir: Path) -> PullResult | None:
    """Pull when AIFINOPS_LITELLM_DATABASE_URL is set; None when the source is off."""
    if not is_configured():
        return None
    return pull(os.environ[URL_VAR].strip(), landing_dir, lookback_from_env())


def pull(
    url: str,
    landing_dir: Path,
    lookback: timedelta = DEFAULT_LOOKBACK,
    now: datetime | None = None,
) -> PullResult:
    """Read new SpendLogs rows (and rollups for days without any) into landing files."""
    import psycopg

    folder = Path(landing_dir) / FOLDER
    now = now or datetime.now(UTC)
    result = PullResult()
    try:
        with psycopg.connect(url, options="-c default_transaction_read_only=on") as con:
            _pull_spend_logs(con, folder, lookback, result)
            _pull_rollups(con, folder, lookback, now, result)
            con.rollback()
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise RuntimeError(redact(f"LiteLLM database: {first[:400]}", [url])) from None
    return result


def _log_files(folder: Path) -> list[tuple[Path, datetime, datetime]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _LOG_FILE.match(path.name)
        if match:
            first, last = (datetime.strptime(m, _STAMP).replace(tzinfo=UTC) for m in match.groups())
            found.append((path, first, last))
    return found


def _landed_ids(files: Iterable[Path]) -> set[str]:
    ids: set[str] = set()
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    ids.add(json.loads(line)["request_id"])
    return ids


def _pull_spend_logs(con, folder: Path, lookback: timedelta, result: PullResult) -> None:
    if not _table_exists(con, SPEND_LOGS):
        raise RuntimeError(
            f'no table "{SPEND_LOGS}" visible to this user: is the URL LiteLLM\'s database, '
            "and may the user read the table?"
        )
    files = _log_files(folder)
    since = max((last for _, _, last in files), default=None)
    if since is not None:
        since -= lookback
    landed = _landed_ids(p for p, _, last in files if since is not None and last >= since)
    columns = ", ".join(
        "(select jsonb_object_agg(key, value) from jsonb_each("
        f"case when jsonb_typeof({quote_ident(c)}) = 'object' then {quote_ident(c)} end)"
        f" where key = any(%(kept)s)) as {quote_ident(c)}"
        if c == "metadata"
        else quote_ident(c)
        for c in SPEND_LOG_COLUMNS
    )
    where = f"where {quote_ident('startTime')} >= %(since)s" if since is not None else ""
    query = (
        f"select {columns} from {quote_ident(SPEND_LOGS)} {where} "
        f"order by {quote_ident('startTime')}, {quote_ident('request_id')}"
    )
    params = {"kept": list(METADATA_KEPT), "since": _naive_utc(since) if since else None}
    folder.mkdir(parents=True, exist_ok=True)
    # a dot name is not data: never loaded half-written (dagster_project.atomic)
    tmp = temp_path(folder / f"{SPEND_LOGS}.pull")
    first = last = None
    written = 0
    try:
        cursor = con.cursor(name="aifinops_spend_logs")
        with cursor, open(tmp, "w", encoding="utf-8") as out:
            cursor.itersize = 5000
            cursor.execute(query, params)
            for row in cursor:
                record = dict(zip(SPEND_LOG_COLUMNS, row, strict=True))
                if record["request_id"] in landed:
                    result.skipped_already_landed += 1
                    continue
                start = record["startTime"]
                if isinstance(start, datetime):
                    start = _as_utc(start)
                    first = start if first is None or start < first else first
                    last = start if last is None or start > last else last
                out.write(_json_line(record))
                written += 1
        if written:
            first = first or since or datetime.now(UTC)
            last = last or first
            target = _unused(
                folder, f"{SPEND_LOGS}__{first.strftime(_STAMP)}__{last.strftime(_STAMP)}"
            )
            commit(tmp, target)
            result.files.append(target)
            result.request_rows += written
            log.info("wrote %d row(s) to %s", written, target)
    finally:
        tmp.unlink(missing_ok=True)


def _unused(folder: Path, stem: str) -> Path:
    """`<stem>.jsonl`, or `<stem>__<n>.jsonl` when a file of that name exists: a pull holding
    only late rows can span the same times as an earlier file and must not replace it."""
    target, n = folder / f"{stem}.jsonl", 1
    while target.exists():
        n += 1
        target = folder / f"{stem}__{n}.jsonl"
    return target


def _table_exists(con, table: str) -> bool:
    return con.execute("select to_regclass(%s) is not null", [quote_ident(table)]).fetchone()[0]


def _pull_rollups(con, folder: Path, lookback: timedelta, now: datetime, result: PullResult):
    """Rollup rows for complete days with no request logs, after the last day looked at."""
    through = [
        date.fromisoformat(m.group(1))
        for p in (folder.iterdir() if folder.is_dir() else [])
        if (m := _ROLLUP_FILE.match(p.name))
    ]
    after = max(through, default=None)
    # a day is complete once it ended at least the lookback ago (late rollup updates are in)
    last_day = (now - lookback).astimezone(UTC).date() - timedelta(days=1)
    if after is not None and after >= last_day:
        return
    tables = [t for t in ROLLUPS if _table_exists(con, t[0])]
    if not tables:
        return
    first_day = after + timedelta(days=1) if after else date(1970, 1, 1)
    logged_days = {
        d
        for (d,) in con.execute(
            f"select distinct to_char({quote_ident('startTime')}, 'YYYY-MM-DD') "
            f"from {quote_ident(SPEND_LOGS)} where {quote_ident('startTime')} >= %s",
            [datetime.combine(first_day, datetime.min.time())],
        ).fetchall()
    }
    window = ((after.isoformat() if after else ""), last_day.isoformat())
    by_day: dict[str, list[dict]] = {}
    for table, owner_column, owner_field in tables:
        # LiteLLM writes YYYY-MM-DD; any other text cannot be placed in the window at all
        bad = con.execute(
            f"select {quote_ident('id')}, {quote_ident('date')} from {quote_ident(table)} "
            f"where {quote_ident('date')} !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' limit 1"
        ).fetchone()
        if bad is not None:
            raise RuntimeError(
                f'table "{table}", row id {bad[0]!r}: field date {bad[1]!r} is not a '
                "YYYY-MM-DD date; fix or delete the row"
            )
        columns = ", ".join(quote_ident(c) for c in (*ROLLUP_COLUMNS, owner_column))
        rows = con.execute(
            f"select {columns} from {quote_ident(table)} where {quote_ident('date')} > %s "
            f"and {quote_ident('date')} <= %s order by {quote_ident('date')}, {quote_ident('id')}",
            list(window),
        ).fetchall()
        days: dict[str, list[dict]] = {}
        for row in rows:
            values = dict(zip((*ROLLUP_COLUMNS, owner_field), row, strict=True))
            days.setdefault(values["date"], []).append(_rollup_record(table, values))
        for day, records in days.items():
            if day not in logged_days and day not in by_day:
                by_day[day] = records
    records = [r for day in sorted(by_day) for r in by_day[day]]
    if records:
        name = f"LiteLLM_DailySpend__through_{last_day.isoformat()}.jsonl"
        result.files.append(_write(folder / name, records))
        result.rollup_rows += len(records)
        result.rollup_days += sorted(by_day)


def _rollup_record(table: str, values: dict) -> dict:
    day = values["date"]
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    start_text, end_text = start.isoformat(), (start + timedelta(days=1)).isoformat()
    prompt, completion = values["prompt_tokens"], values["completion_tokens"]
    record = {
        "request_id": f"{table}:{day}:{values['id']}",
        "call_type": "daily_rollup",
        "api_key": values["api_key"],
        "spend": values["spend"],
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion
        if isinstance(prompt, int) and isinstance(completion, int)
        else None,
        "startTime": start_text,
        "endTime": end_text,
        "model": values["model"] or values["model_group"],
        "model_group": values["model_group"],
        "custom_llm_provider": values["custom_llm_provider"],
        "status": "success",
        "metadata": {
            "usage_object": {
                "cache_read_input_tokens": values["cache_read_input_tokens"],
                "cache_creation_input_tokens": values["cache_creation_input_tokens"],
            },
            "litellm_daily_rollup": {
                "table": table,
                "api_requests": values["api_requests"],
                "successful_requests": values["successful_requests"],
                "failed_requests": values["failed_requests"],
            },
        },
    }
    for key in ("team_id", "user"):
        if key in values:
            record[key] = values[key]
    return record


def _naive_utc(moment: datetime) -> datetime:
    """LiteLLM's timestamp(3) columns hold UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return _as_utc(value).isoformat()
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _json_line(record: dict) -> str:
    line = {k: _json_value(v) for k, v in record.items()}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write(target: Path, records: list[dict]) -> Path:
    """Write atomically (dagster_project.atomic): a reader never sees half a file."""
    write_atomic(target, "".join(_json_line(r) for r in records))
    log.info("wrote %d row(s) to %s", len(records), target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.extract.litellm_db",
        description="Pull new LiteLLM spend logs (or daily rollups) from LiteLLM's PostgreSQL "
        "database into <landing>/litellm/postgres/ for the next pipeline run to load.",
    )
    parser.add_argument("--url", default=os.environ.get(URL_VAR),
                        help=f"libpq URL (default: {URL_VAR})")  # fmt: skip
    parser.add_argument("--landing", type=Path,
                        help="landing folder (default: AIFINOPS_LANDING_DIR)")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.url:
        print(f"no database: pass --url or set {URL_VAR}", file=sys.stderr)
        return 2
    landing = landing_folder(args.landing)
    try:
        result = pull(args.url, landing, lookback_from_env())
    except Exception as error:  # one line, no traceback, no password
        print(f"LiteLLM pull failed: {redact(str(error), [args.url])}", file=sys.stderr)
        return 1
    return print_written(result.summary(), result.files)


if __name__ == "__main__":
    raise SystemExit(main())
