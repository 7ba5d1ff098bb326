"""LiteLLM spend logs read from a real PostgreSQL server holding LiteLLM's schema, and LiteLLM's
CSV export: both land through the one LiteLLM parser into raw.litellm_spend_logs.

The server is started by the fixture (tests/postgres_server.py); when it cannot start the
database tests are skipped with the reason, and fail under CI=true."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract import litellm_db
from dagster_project.extract.sources import SOURCES_BY_NAME, extract
from tests.postgres_server import ServerUnavailable, start_server

LITELLM = SOURCES_BY_NAME["litellm_spend_logs"]
SECRET = "SECRET-PROMPT-TEXT-0042"

# LiteLLM's tables as its Prisma schema (schema.prisma) makes them on PostgreSQL: String -> text,
# Int -> integer, BigInt -> bigint, Float -> double precision, DateTime -> timestamp(3), Json ->
# jsonb; quoted mixed-case names.
LITELLM_DDL = """
create table "LiteLLM_SpendLogs" (
    "request_id" text primary key,
    "call_type" text not null,
    "api_key" text not null default '',
    "spend" double precision not null default 0.0,
    "total_tokens" integer not null default 0,
    "prompt_tokens" integer not null default 0,
    "completion_tokens" integer not null default 0,
    "startTime" timestamp(3) not null,
    "endTime" timestamp(3) not null,
    "request_duration_ms" integer,
    "completionStartTime" timestamp(3),
    "model" text not null default '',
    "model_id" text default '',
    "model_group" text default '',
    "custom_llm_provider" text default '',
    "api_base" text default '',
    "user" text default '',
    "metadata" jsonb default '{}',
    "cache_hit" text default '',
    "cache_key" text default '',
    "request_tags" jsonb default '[]',
    "team_id" text,
    "organization_id" text,
    "end_user" text,
    "requester_ip_address" text,
    "messages" jsonb default '{}',
    "response" jsonb default '{}',
    "session_id" text,
    "status" text,
    "mcp_namespaced_tool_name" text,
    "agent_id" text,
    "proxy_server_request" jsonb default '{}'
);
create index on "LiteLLM_SpendLogs" ("startTime");
"""
ROLLUP_DDL = """
create table "{table}" (
    "id" text primary key,
    "{owner}" text,
    "date" text not null,
    "api_key" text not null,
    "model" text,
    "model_group" text,
    "custom_llm_provider" text,
    "mcp_namespaced_tool_name" text,
    "endpoint" text,
    "prompt_tokens" bigint not null default 0,
    "completion_tokens" bigint not null default 0,
    "cache_read_input_tokens" bigint not null default 0,
    "cache_creation_input_tokens" bigint not null default 0,
    "spend" double precision not null default 0.0,
    "api_requests" bigint not null default 0,
    "successful_requests" bigint not null default 0,
    "failed_requests" bigint not null default 0,
    "created_at" timestamp(3) not null default now(),
    "updated_at" timestamp(3) not null
);
"""
ROLLUP_TABLES = {
    "LiteLLM_DailyTeamSpend": "team_id",
    "LiteLLM_DailyUserSpend": "user_id",
    "LiteLLM_DailyTagSpend": "tag",
    "LiteLLM_DailyEndUserSpend": "end_user_id",
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    try:
        with start_server() as url:
            yield url
    except ServerUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL server could not start (CI=true): {error}")
        pytest.skip(f"PostgreSQL server could not start: {error}")


@pytest.fixture
def pg(server: str) -> Iterator[tuple[str, object]]:
    """A LiteLLM database with empty tables: (url, autocommit connection)."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as con:
        con.execute("drop schema public cascade; create schema public")
        con.execute(LITELLM_DDL)
        for table, owner in ROLLUP_TABLES.items():
            con.execute(ROLLUP_DDL.format(table=table, owner=owner))
        yield server, con


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        yield tmp_path / "landing", con
    finally:
        con.close()


def add_log(con, request_id: str, start: str, **fields) -> None:
    """Insert one SpendLogs row; prompt, response and request body always carry SECRET."""
    row = {
        "request_id": request_id,
        "call_type": "acompletion",
        "api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
        "spend": 0.00123,
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "startTime": start,
        "endTime": start,
        "model": "gpt-4o-mini",
        "model_group": "gpt-4o-mini",
        "custom_llm_provider": "openai",
        "metadata": json.dumps(
            {"user_api_key_team_alias": "search", "headers": {"authorization": SECRET}}
        ),
        "request_tags": json.dumps(["env:production"]),
        "team_id": "team-1",
        "status": "success",
        "requester_ip_address": f"10.1.2.3 {SECRET}",
        "messages": json.dumps([{"role": "user", "content": SECRET}]),
        "response": json.dumps({"choices": [{"message": {"content": SECRET}}]}),
        "proxy_server_request": json.dumps({"body": {"messages": SECRET}}),
    } | fields
    names = ", ".join(f'"{k}"' for k in row)
    con.execute(
        f'insert into "LiteLLM_SpendLogs" ({names}) values ({", ".join(["%s"] * len(row))})',
        list(row.values()),
    )


def add_rollup(con, table: str, row_id: str, day: str, owner: str, **fields) -> None:
    row = {
        "id": row_id, ROLLUP_TABLES[table]: owner, "date": day, "api_key": "key-hash-1",
        "model": "claude-sonnet-4", "model_group": "claude-sonnet-4",
        "custom_llm_provider": "anthropic", "prompt_tokens": 1000, "completion_tokens": 200,
        "cache_read_input_tokens": 300, "cache_creation_input_tokens": 50, "spend": 0.5,
        "api_requests": 7, "successful_requests": 6, "failed_requests": 1,
        "updated_at": f"{day} 23:59:00",
    } | fields  # fmt: skip
    names = ", ".join(f'"{k}"' for k in row)
    con.execute(
        f'insert into "{table}" ({names}) values ({", ".join(["%s"] * len(row))})',
        list(row.values()),
    )


def raw_rows(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute(
            """select request_id, start_time, prompt_tokens, completion_tokens, spend, team_id,
                      metadata::varchar, request_tags::varchar, call_type, source_file
               from raw.litellm_spend_logs"""
        ).fetchall()
    }


NOW = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)


def test_second_pull_reads_only_new_rows(pg, warehouse) -> None:
    url, con = pg
    landing, duck = warehouse
    for i in range(3):
        add_log(con, f"req-{i}", f"2026-07-01 10:0{i}:00.250")
    first = litellm_db.pull(url, landing, now=NOW)
    assert first.request_rows == 3 and len(first.files) == 1
    assert first.files[0].name == (
        "LiteLLM_SpendLogs__20260701T100000.250000Z__20260701T100200.250000Z.jsonl"
    )
    add_log(con, "req-3", "2026-07-01 12:00:00")
    add_log(con, "req-4", "2026-07-01 12:30:00")
    second = litellm_db.pull(url, landing, now=NOW)
    assert second.request_rows == 2
    lines = second.files[0].read_text().splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == ["req-3", "req-4"]
    assert litellm_db.pull(url, landing, now=NOW).files == []  # nothing new: no file

    summary = extract(duck, LITELLM, landing)
    assert summary.rows_loaded == 5 and summary.rows_quarantined == 0
    rows = raw_rows(duck)
    assert sorted(rows) == [f"req-{i}" for i in range(5)]
    assert rows["req-0"][0] == datetime(2026, 7, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert "LiteLLM_SpendLogs__" in rows["req-4"][-1]  # the row names the table it came from


def test_row_committed_late_within_lookback_is_read_once(pg, warehouse) -> None:
    url, con = pg
    landing, duck = warehouse
    add_log(con, "early", "2026-07-01 10:00:00")
    add_log(con, "latest", "2026-07-01 10:30:00")
    litellm_db.pull(url, landing, timedelta(minutes=60), now=NOW)
    # committed after the first pull, with a startTime before that pull's cursor (10:30)
    add_log(con, "late", "2026-07-01 10:10:00")
    add_log(con, "too-late", "2026-07-01 09:00:00")  # older than cursor - lookback: not read
    add_log(con, "new", "2026-07-01 11:00:00")
    second = litellm_db.pull(url, landing, timedelta(minutes=60), now=NOW)
    assert second.request_rows == 2 and second.skipped_already_landed == 2
    third = litellm_db.pull(url, landing, timedelta(minutes=60), now=NOW)
    assert third.request_rows == 0 and third.files == []
    extract(duck, LITELLM, landing)
    counts = dict(
        duck.execute(
            "select request_id, count(*) from raw.litellm_spend_logs group by all"
        ).fetchall()
    )
    assert counts == {"early": 1, "latest": 1, "late": 1, "new": 1}


def test_late_rows_spanning_the_same_times_as_an_earlier_file_do_not_replace_it(
    pg, warehouse
) -> None:
    url, con = pg
    landing, duck = warehouse
    add_log(con, "first", "2026-07-01 10:00:00")
    litellm_db.pull(url, landing, now=NOW)
    add_log(con, "same-time", "2026-07-01 10:00:00")  # committed later, same startTime
    second = litellm_db.pull(url, landing, now=NOW)
    assert second.files[0].name.endswith("__2.jsonl")
    add_log(con, "after", "2026-07-01 10:05:00")
    assert [r.name for r in litellm_db.pull(url, landing, now=NOW).files] == [
        "LiteLLM_SpendLogs__20260701T100500.000000Z__20260701T100500.000000Z.jsonl"
    ]
    extract(duck, LITELLM, landing)
    assert sorted(raw_rows(duck)) == ["after", "first", "same-time"]


def test_prompt_and_response_are_never_read(pg, warehouse) -> None:
    """The extraction runs as a role that may not read messages, response,
    proxy_server_request or requester_ip_address at all: selecting one would fail."""
    url, con = pg
    landing, duck = warehouse
    add_log(con, "req-1", "2026-07-01 10:00:00")
    columns = ", ".join(f'"{c}"' for c in litellm_db.SPEND_LOG_COLUMNS)
    con.execute("drop role if exists spend_reader")
    con.execute("create role spend_reader login")
    con.execute("grant usage on schema public to spend_reader")
    con.execute(f'grant select ({columns}) on "LiteLLM_SpendLogs" to spend_reader')
    for table in ROLLUP_TABLES:
        con.execute(f'grant select on "{table}" to spend_reader')
    with pytest.raises(Exception, match="permission denied"):
        import psycopg

        with psycopg.connect(url.replace("postgres@", "spend_reader@")) as reader:
            reader.execute('select "messages" from "LiteLLM_SpendLogs"')
    result = litellm_db.pull(url.replace("postgres@", "spend_reader@"), landing, now=NOW)
    assert result.request_rows == 1
    landed = result.files[0].read_text()
    assert SECRET not in landed and "authorization" not in landed
    extract(duck, LITELLM, landing)
    assert raw_rows(duck)["req-1"][5] == '{"user_api_key_team_alias":"search"}'
    for schema, table in duck.execute(
        "select table_schema, table_name from information_schema.tables"
    ).fetchall():
        dump = duck.execute(f'select string_agg(t::varchar, \'\') from "{schema}"."{table}" t')
        assert SECRET not in (dump.fetchone()[0] or ""), f"{schema}.{table}"


def test_rollups_are_read_for_days_without_request_logs(pg, warehouse) -> None:
    url, con = pg
    landing, duck = warehouse
    add_log(con, "req-1", "2026-07-07 10:00:00")
    # day 7 has request logs: its rollups are the same spend again and are not read
    add_rollup(con, "LiteLLM_DailyTeamSpend", "t7", "2026-07-07", "team-a")
    add_rollup(con, "LiteLLM_DailyTeamSpend", "t8a", "2026-07-08", "team-a")
    add_rollup(con, "LiteLLM_DailyTeamSpend", "t8b", "2026-07-08", "team-b", spend=0.25,
               prompt_tokens=400, completion_tokens=100, cache_read_input_tokens=0,
               cache_creation_input_tokens=0)  # fmt: skip
    add_rollup(con, "LiteLLM_DailyUserSpend", "u8", "2026-07-08", "alice")  # team rows win
    add_rollup(con, "LiteLLM_DailyTagSpend", "g8", "2026-07-08", "product:search")  # never
    add_rollup(con, "LiteLLM_DailyUserSpend", "u9", "2026-07-09", "bob")  # no team rows: user
    add_rollup(con, "LiteLLM_DailyTeamSpend", "t10", "2026-07-10", "team-a")  # today: not yet
    result = litellm_db.pull(url, landing, now=NOW)
    assert result.rollup_days == ["2026-07-08", "2026-07-09"] and result.rollup_rows == 3
    assert litellm_db.pull(url, landing, now=NOW).rollup_rows == 0  # looked at already

    extract(duck, LITELLM, landing)
    rows = raw_rows(duck)
    assert set(rows) == {
        "req-1",
        "LiteLLM_DailyTeamSpend:2026-07-08:t8a",
        "LiteLLM_DailyTeamSpend:2026-07-08:t8b",
        "LiteLLM_DailyUserSpend:2026-07-09:u9",
    }
    start, prompt, completion, spend, team, metadata, _, call_type, _ = rows[
        "LiteLLM_DailyTeamSpend:2026-07-08:t8a"
    ]
    assert (start, prompt, completion, team, call_type) == (
        datetime(2026, 7, 8, tzinfo=UTC), 1000, 200, "team-a", "daily_rollup"
    )  # fmt: skip
    assert str(spend) == "0.5000000000"
    assert json.loads(metadata) == {
        "usage_object": {"cache_read_input_tokens": 300, "cache_creation_input_tokens": 50},
        "litellm_daily_rollup": {"table": "LiteLLM_DailyTeamSpend", "api_requests": 7,
                                 "successful_requests": 6, "failed_requests": 1},
    }  # fmt: skip
    user = duck.execute(
        """select user_pseudonym is not null, team_id from raw.litellm_spend_logs
           where request_id = 'LiteLLM_DailyUserSpend:2026-07-09:u9'"""
    ).fetchone()
    assert user == (True, None)
    # the next day's pull reads day 10 once it is complete
    later = litellm_db.pull(url, landing, now=NOW + timedelta(days=1))
    assert later.rollup_days == ["2026-07-10"]


def test_malformed_row_is_quarantined_naming_table_request_id_and_field(pg, warehouse) -> None:
    url, con = pg
    landing, duck = warehouse
    add_log(con, "good", "2026-07-01 10:00:00")
    add_log(con, "negative", "2026-07-01 10:01:00", prompt_tokens=-5)
    add_log(con, "bad-cache", "2026-07-01 10:02:00",
            metadata=json.dumps({"usage_object": {"cache_read_input_tokens": "many"}}))  # fmt: skip
    add_rollup(
        con,
        "LiteLLM_DailyTeamSpend",
        "bad-rollup",
        "2026-07-08",
        "team-a",
        cache_read_input_tokens=5000,
    )  # more cache reads than prompt tokens
    litellm_db.pull(url, landing, now=NOW)
    summary = extract(duck, LITELLM, landing)
    assert summary.rows_loaded == 1 and summary.rows_quarantined == 3
    quarantined = duck.execute(
        """select source_file, field, reason, raw_value from raw._quarantine
           order by source_file, source_row"""
    ).fetchall()
    by_id = {json.loads(r[3])["request_id"]: r for r in quarantined}
    assert set(by_id) == {"negative", "bad-cache", "LiteLLM_DailyTeamSpend:2026-07-08:bad-rollup"}
    assert "LiteLLM_SpendLogs__" in Path(by_id["negative"][0]).name
    assert by_id["negative"][1:3] == ("prompt_tokens", "prompt_tokens is negative")
    assert by_id["bad-cache"][1] == "metadata.usage_object.cache_read_input_tokens"
    rollup = by_id["LiteLLM_DailyTeamSpend:2026-07-08:bad-rollup"]
    assert "LiteLLM_DailySpend__" in Path(rollup[0]).name and rollup[1] == "prompt_tokens"


def test_rollup_row_with_a_date_that_is_not_a_date_stops_the_pull(pg, tmp_path) -> None:
    url, con = pg
    add_rollup(
        con, "LiteLLM_DailyTeamSpend", "odd", "July 8th", "team-a", updated_at="2026-07-08 23:59:00"
    )
    with pytest.raises(RuntimeError, match=r"LiteLLM_DailyTeamSpend.*'odd'.*field date"):
        litellm_db.pull(url, tmp_path, now=NOW)


def test_quotes_in_identifiers_and_metadata_keys_stay_data(pg, warehouse) -> None:
    url, con = pg
    landing, duck = warehouse
    odd = 'o\'brien "ops"); drop table raw.litellm_spend_logs; --'
    add_log(
        con, "req'1\"", "2026-07-01 10:00:00", team_id=odd,
        metadata=json.dumps({"user_api_key_team_alias": odd, "we'ird\" key": "x",
                             "usage_object\"": {"cache_read_input_tokens": 999999}}),
        request_tags=json.dumps(["product:it's \"quoted\""]),
    )  # fmt: skip
    litellm_db.pull(url, landing, now=NOW)
    summary = extract(duck, LITELLM, landing)
    assert summary.rows_loaded == 1
    row = raw_rows(duck)["req'1\""]
    assert row[4] == odd
    assert json.loads(row[5]) == {"user_api_key_team_alias": odd}
    assert json.loads(row[6]) == ['product:it\'s "quoted"']


def test_source_is_off_without_a_database_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(litellm_db.URL_VAR, raising=False)
    assert litellm_db.pull_if_configured(tmp_path) is None
    assert not (tmp_path / "litellm").exists()


def test_unreachable_database_fails_loudly_without_the_password(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(litellm_db.URL_VAR, "postgresql://u:s3cr3t-pw@127.0.0.1:1/x")
    with pytest.raises(RuntimeError, match="LiteLLM database") as error:
        litellm_db.pull_if_configured(tmp_path)
    assert "s3cr3t-pw" not in str(error.value)


# LiteLLM's CSV export: one request per row, LiteLLM's field names (or its UI's labels).
CSV_HEADER = ("Request ID,Start Time,endTime,model,custom_llm_provider,api_key,team_id,"
              "prompt_tokens,completion_tokens,spend,metadata,request_tags,status,messages,"
              "response\n")  # fmt: skip
CSV_ROW = (
    "exp-1,2026-07-01 10:00:00,2026-07-01 10:00:02,gpt-4o,openai,hash-1,team-9,1200,300,"
    '0.0045,"{""usage_object"": {""prompt_tokens_details"": {""cached_tokens"": 200}}}",'
    f'"[""env:staging""]",success,"{SECRET}","{SECRET}"\n'
)


def test_csv_export_loads_like_jsonl_and_never_keeps_prompt_text(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "litellm" / "exports"
    folder.mkdir(parents=True)
    (folder / "spend_logs.csv").write_text(CSV_HEADER + CSV_ROW)
    with gzip.open(folder / "older.csv.gz", "wt") as out:
        out.write(CSV_HEADER + CSV_ROW.replace("exp-1", "exp-2").replace(",300,", ",-1,"))
    (folder / "broken.csv").write_text("id,when\n1,2\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = extract(con, LITELLM, landing)
    assert (summary.rows_loaded, summary.files_failed) == (1, 1)
    row = con.execute(
        """select request_id, start_time, model, prompt_tokens, completion_tokens, spend,
                  team_id, metadata::varchar, request_tags::varchar, status
           from raw.litellm_spend_logs"""
    ).fetchone()
    assert row == (
        "exp-1", datetime(2026, 7, 1, 10, tzinfo=UTC), "gpt-4o", 1200, 300,
        __import__("decimal").Decimal("0.0045000000"), "team-9",
        '{"usage_object":{"prompt_tokens_details":{"cached_tokens":200}}}', '["env:staging"]',
        "success",
    )  # fmt: skip
    quarantined = con.execute(
        "select source_file, source_row, field, reason from raw._quarantine order by all"
    ).fetchall()
    assert [(Path(q[0]).name, q[1], q[2]) for q in quarantined] == [
        ("broken.csv", None, "<file>"),
        ("older.csv.gz", 1, "completion_tokens"),
    ]
    assert "no column for request_id, startTime, model" in quarantined[0][3]
    for (table,) in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall():
        dump = con.execute(f"select string_agg(t::varchar, '') from {table} t").fetchone()[0]
        assert SECRET not in (dump or ""), table


@pytest.mark.integration
def test_pipeline_allocates_spend_logs_and_rollups_read_from_postgres(pg, tmp_path) -> None:
    """The demo's LiteLLM logs moved into LiteLLM's database (one day only as team rollups, as
    with request logging off): the whole pipeline runs, every invariant check passes, each
    logged request is loaded once and the rollup day's spend is allocated to owners."""
    from dagster_project.demo.generator import generate
    from tests.conftest import TEST_DEMO, run_pipeline

    url, con = pg
    landing = tmp_path / "landing"
    generate(TEST_DEMO, landing)
    files = sorted((landing / "litellm").rglob("*.jsonl"))  # the cloud AI traffic too
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'LiteLLM_SpendLogs'"
        ).fetchall()
    }
    records = []
    for path in files:
        for line in path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # the demo's truncated lines: the JSONL source quarantines them
        path.unlink()
    rollup_day = min(record["startTime"][:10] for record in records)  # every log of that day
    logs, rollup_lines = {}, []
    for record in records:
        if record["startTime"][:10] == rollup_day:
            rollup_lines.append(record)
        else:
            logs[record["request_id"]] = record
    for record in logs.values():
        row = {
            k: json.dumps(v) if isinstance(v, dict | list) else v
            for k, v in record.items()
            if k in columns
        }
        names = ", ".join(f'"{k}"' for k in row)
        con.execute(
            f'insert into "LiteLLM_SpendLogs" ({names}) values ({", ".join(["%s"] * len(row))})',
            list(row.values()),
        )
    day = rollup_day
    groups: dict[tuple, dict] = {}
    for record in rollup_lines:
        key = (record.get("team_id"), record["api_key"], record["model"],
               record["custom_llm_provider"])  # fmt: skip
        usage = record["metadata"]["usage_object"]
        group = groups.setdefault(key, {"p": 0, "c": 0, "r": 0, "w": 0, "s": 0.0, "n": 0})
        group["p"] += record["prompt_tokens"]
        group["c"] += record["completion_tokens"]
        group["r"] += usage.get("cache_read_input_tokens") or 0
        group["w"] += usage.get("cache_creation_input_tokens") or 0
        group["s"] += record["spend"]
        group["n"] += 1
    for i, ((team, key, model, provider), g) in enumerate(sorted(groups.items(), key=str)):
        add_rollup(con, "LiteLLM_DailyTeamSpend", f"r{i}", day, team, api_key=key, model=model,
                   model_group=model, custom_llm_provider=provider, prompt_tokens=g["p"],
                   completion_tokens=g["c"], cache_read_input_tokens=g["r"],
                   cache_creation_input_tokens=g["w"], spend=g["s"], api_requests=g["n"],
                   successful_requests=g["n"], failed_requests=0)  # fmt: skip

    os.environ[litellm_db.URL_VAR] = url
    try:
        assert run_pipeline(tmp_path) == 0
    finally:
        os.environ.pop(litellm_db.URL_VAR, None)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as duck:
        counts = duck.execute(
            """select count(*) filter (where call_type <> 'daily_rollup'),
                      count(*) filter (where call_type = 'daily_rollup'),
                      sum(input_tokens_reported) filter (where call_type = 'daily_rollup'),
                      sum(output_tokens_reported) filter (where call_type = 'daily_rollup')
               from staging.stg_litellm__requests"""
        ).fetchone()
        assert counts == (
            len(logs), len(groups), sum(g["p"] for g in groups.values()),
            sum(g["c"] for g in groups.values()),
        )  # fmt: skip
        owned = duck.execute(
            """select coalesce(sum(billed_cost) filter (where not is_unallocated), 0)
               from marts.fct_allocated_costs
               where cast(charge_period_start as date) = ?
               and provider_id in (select distinct provider_id from staging.stg_litellm__requests
                                   where call_type = 'daily_rollup')""",
            [day],
        ).fetchone()[0]
        assert owned > 0
