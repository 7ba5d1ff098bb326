"""Incremental == full rebuild (issue 11): after each delivery of a sequence - a new day, a late
file for a day older than the lookback, duplicate copies of requests across files and days, a
retracted log file, a re-delivered file whose content changed, a price-catalog change - the
incremental run leaves every mart and every incremental model with exactly the rows (every
column, byte for byte in value) that a `--full-refresh` build of the same raw state gives.

dbt runs on a copy of the project (tests/dbt_copy.py); raw rows are written the way the landing
rules leave them (a retraction deletes a file's rows, a changed file replaces them with a newer
`loaded_at`)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project import db
from tests.dbt_copy import DbtCopy

INCREMENTAL_MODELS = [
    "staging.stg_litellm__requests",
    "staging.stg_otel__genai_spans",
    "intermediate.int_requests_unioned",
    "intermediate.int_requests_priced",
    "intermediate.int_usage_by_allocation_key",
    "intermediate.int_requests_repeated",
]
# the request grain and everything computed from it (or from the price catalog)
SELECTION = [
    "stg_litellm__requests+",
    "stg_otel__genai_spans+",
    "int_price_catalog+",
    "stg_openai__costs+",
]
START = date(2026, 8, 1)


def _add_litellm_file(
    con,
    path: str,
    day: date,
    count: int,
    prefix: str,
    tokens: int = 100,
    offset: int = 0,
    first_second: int = 0,
) -> None:
    """One LiteLLM spend-log file: `count` requests on `day` from `first_second` on, 37 s apart,
    ids prefix-<offset + i>. Request i's caller, model and prompt (cache key) depend on i alone,
    so requests of other files with the same i within the repeat window are its repeats."""
    con.execute(
        """insert into raw.litellm_spend_logs (request_id, call_type, api_key, spend,
               prompt_tokens, completion_tokens, start_time, model, custom_llm_provider,
               metadata, request_tags, team_id, status, cache_key, row_hash, source_file,
               source_row, content_hash, loaded_at, load_id)
           select $prefix || '-' || (i + $offset), 'acompletion',
                  case when i % 3 = 0 then 'sk-unknown'
                       else (select min(api_key_hash) from reference.org_api_keys) end,
                  0.001, $tokens + i, 20 + i % 7,
                  $day::timestamptz + to_seconds($first_second + i * 37),
                  case when i % 4 = 0 then 'gpt-4o' else 'gpt-4o-mini' end, 'openai',
                  json_object('usage_object', json_object('prompt_tokens_details',
                      json_object('cached_tokens', i % 5))),
                  to_json(['env:production', 'product:p' || (i % 2)]),
                  null, case when i % 11 = 0 then 'failure' else 'success' end,
                  'prompt-' || (i % 4),
                  md5($path || i), $path, i, md5($path), current_timestamp, md5($path)
           from range($count) as t(i)""",
        {"prefix": prefix, "offset": offset, "tokens": tokens, "day": day, "path": path,
         "count": count, "first_second": first_second},
    )  # fmt: skip


def _add_otel_file(con, path: str, day: date, count: int, tokens: int = 50) -> None:
    con.execute(
        """insert into raw.otel_genai_spans (trace_id, span_id, start_time, status_code,
               service_name, deployment_environment, provider_name, operation_name,
               request_model, input_tokens, output_tokens, cache_read_input_tokens,
               row_hash, source_file, source_row, content_hash, loaded_at, load_id)
           select 'trace-' || (i // 3), 'span-' || $day || '-' || i,
                  $day::timestamptz + to_seconds(i * 53), case when i % 13 = 0 then 2 else 1 end,
                  (select service_name from reference.org_services order by 1 limit 1),
                  'prod', 'openai', 'chat', 'gpt-4o-mini', $tokens + i, 10 + i % 3, i % 4,
                  md5($path || i), $path, i, md5($path), current_timestamp, md5($path)
           from range($count) as t(i)""",
        {"day": day, "path": path, "count": count, "tokens": tokens},
    )


def _add_openai_cost_page(con, path: str, day: date, amount: str, delivery: str) -> None:
    """One OpenAI Costs API page: the input tokens of gpt-4o-mini on `day` for an OpenAI
    project of the org seed; a newer delivery of the same bill key supersedes the first."""
    con.execute(
        """insert into raw.openai_costs (bucket_start_time, bucket_end_time, amount_value,
               amount_currency, line_item, project_id, result_json, row_hash, source_file,
               source_row, content_hash, loaded_at, load_id, bill_key, delivery_id,
               delivered_at)
           select $day::timestamptz, $day::timestamptz + interval 1 day, $amount::decimal(38, 12),
                  'usd', 'gpt-4o-mini, input', accounts.sub_account_id, '{}', md5($path), $path,
                  0, md5($path), current_timestamp, md5($path),
                  $day || '/' || accounts.sub_account_id || '/gpt-4o-mini, input', $delivery,
                  current_timestamp
           from reference.org_provider_accounts as accounts
           where accounts.provider_id = 'openai'
           order by accounts.sub_account_id
           limit 1""",
        {"day": day, "amount": amount, "path": path, "delivery": delivery},
    )
    con.execute(
        """update raw.openai_costs as older set superseded_by = $delivery
           where delivery_id <> $delivery and bill_key in (
               select bill_key from raw.openai_costs where delivery_id = $delivery)""",
        {"delivery": delivery},
    )


def _retract(con, table: str, path: str) -> None:
    con.execute(f"delete from {table} where source_file = ?", [path])


def _content_hashes(warehouse: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every column of every row, per relation."""
    with db.connect(warehouse, read_only=True) as con:
        marts = [
            f"marts.{name}"
            for (name,) in con.execute(
                """select table_name from information_schema.tables
                   where table_schema = 'marts' and table_type = 'BASE TABLE'"""
            ).fetchall()
        ]
        hashes = {}
        for relation in sorted(set(INCREMENTAL_MODELS + marts)):
            hashes[relation] = con.execute(
                f"""select count(*), sum(hash(cast(content as varchar))::hugeint)
                    from (select columns(*) from {relation}) as content"""
            ).fetchone()
        return hashes


class Warehouse:
    def __init__(self, root: Path):
        self.copy = DbtCopy(root)
        # The full rebuild's copy of the warehouse has one path, and dbt keeps its parse state
        # for it in a target folder of its own: alternating two warehouse paths in one target
        # would make dbt re-parse the whole project on every run (its profile changed).
        self.full = root / "full.duckdb"
        self.full_target = root / "target-full"

    def dbt_ok(self, *args: str, warehouse: Path | None = None) -> None:
        if warehouse is not None:
            saved, self.copy.warehouse = self.copy.warehouse, warehouse
        try:
            result = self.copy.dbt(*args)
        finally:
            if warehouse is not None:
                self.copy.warehouse = saved
        assert result.returncode == 0, result.stdout[-4000:]

    def write(self, action) -> None:
        with db.connect(self.copy.warehouse) as con:
            action(con)

    def rebuilt_days(self, model: str) -> list[date]:
        return [
            day
            for (day,) in self.copy.query(
                f"""select day from intermediate._incremental_days
                    where model = '{model}' and day is not null and built_at = (
                        select max(built_at) from intermediate._incremental_days
                        where model = '{model}' and status = 'done')
                    order by day"""
            )
        ]

    def incremental_equals_full(self) -> None:
        """Run incrementally, then rebuild a copy of the same state in full: same rows."""
        self.dbt_ok("run", "--select", *SELECTION)
        shutil.copy(self.copy.warehouse, self.full)
        self.dbt_ok("run", "--select", *SELECTION, "--full-refresh",
                    "--target-path", str(self.full_target), warehouse=self.full)  # fmt: skip
        incremental, rebuilt = _content_hashes(self.copy.warehouse), _content_hashes(self.full)
        assert incremental["marts.fct_llm_requests"][0] > 0
        differing = [name for name in rebuilt if incremental.get(name) != rebuilt[name]]
        assert not differing, f"incremental differs from a full rebuild in {differing}"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    built = Warehouse(tmp_path_factory.mktemp("incremental"))
    built.dbt_ok("seed")
    built.write(
        lambda con: (
            [
                _add_litellm_file(
                    con, "/landing/litellm/l1.jsonl", START + timedelta(d), 30, f"a{d}"
                )
                for d in range(5)
            ]
            + [
                _add_otel_file(con, "/landing/otel/o1.json", START + timedelta(d), 12)
                for d in range(5)
            ]
        )
    )
    built.dbt_ok("run")  # the first run builds everything in full
    return built


def test_a_run_with_no_new_file_rebuilds_only_the_lookback(warehouse: Warehouse):
    warehouse.incremental_equals_full()
    assert warehouse.rebuilt_days("stg_litellm__requests") == [
        START + timedelta(d) for d in (2, 3, 4)
    ]


def test_a_new_day_is_added(warehouse: Warehouse):
    new_day = START + timedelta(5)
    warehouse.write(
        lambda con: _add_litellm_file(con, "/landing/litellm/l2.jsonl", new_day, 25, "b")
    )
    warehouse.incremental_equals_full()
    assert new_day in warehouse.rebuilt_days("fct_llm_requests")


def test_a_late_file_for_a_day_older_than_the_lookback(warehouse: Warehouse):
    # new requests on day 0, and a second copy (more tokens) of requests already loaded on day
    # 1: the first loaded copy must stay, never both
    def late(con):
        _add_litellm_file(con, "/landing/litellm/late.jsonl", START, 8, "late")
        _add_litellm_file(con, "/landing/litellm/late.jsonl", START + timedelta(1), 4, "a1",
                          tokens=999)  # fmt: skip

    warehouse.write(late)
    warehouse.incremental_equals_full()
    assert {START, START + timedelta(1)} <= set(warehouse.rebuilt_days("stg_litellm__requests"))


def test_a_copy_of_a_request_on_another_day(warehouse: Warehouse):
    # the same request ids re-logged with a start time on the newest day: the first loaded copy
    # (day 2) wins, and the day-5 copy must not appear as a second request
    warehouse.write(
        lambda con: _add_litellm_file(
            con, "/landing/litellm/moved.jsonl", START + timedelta(5), 3, "a2", tokens=5
        )
    )
    warehouse.incremental_equals_full()


def test_a_revised_bill_supersedes_the_first_delivery(warehouse: Warehouse):
    day = START + timedelta(2)
    warehouse.write(
        lambda con: _add_openai_cost_page(con, "/landing/openai/p1.json", day, "0.004", "d1")
    )
    warehouse.incremental_equals_full()
    warehouse.write(
        lambda con: _add_openai_cost_page(con, "/landing/openai/p2.json", day, "0.005", "d2")
    )
    warehouse.incremental_equals_full()
    # only the revision is in force: billed once, at its amount
    billed = warehouse.copy.query("select sum(billed_cost) from marts.fct_allocated_costs")
    assert billed[0][0] == Decimal("0.005")


def test_a_retracted_log_file(warehouse: Warehouse):
    # the first copies of the duplicates above go with it: the later copies take their place
    first = "/landing/litellm/l1.jsonl"
    warehouse.write(lambda con: _retract(con, "raw.litellm_spend_logs", first))
    warehouse.incremental_equals_full()
    rebuilt = set(warehouse.rebuilt_days("stg_litellm__requests"))
    assert {START + timedelta(d) for d in range(6)} <= rebuilt


def test_a_redelivered_file_with_changed_content(warehouse: Warehouse):
    def redeliver(con):
        _retract(con, "raw.otel_genai_spans", "/landing/otel/o1.json")
        _add_otel_file(con, "/landing/otel/o1.json", START + timedelta(1), 9, tokens=77)

    warehouse.write(redeliver)
    warehouse.incremental_equals_full()


def test_a_price_change_reprices_past_days(warehouse: Warehouse):
    rows = warehouse.copy.read_seed("price_catalog")
    header = rows[0]
    column = {name: i for i, name in enumerate(header)}
    for row in rows[1:]:
        if row[column["model_id"]] == "gpt-4o-mini" and row[column["effective_to"]] == "2026-10-14":
            # a correction effective from day 1: a day older than the lookback is re-priced
            later = list(row)
            row[column["effective_to"]] = str(START + timedelta(1))
            later[column["effective_from"]] = str(START + timedelta(1))
            later[column["input_usd_per_mtok"]] = "0.2"
            rows.append(later)
            break
    else:
        pytest.fail("the catalog has no gpt-4o-mini row to change")
    warehouse.copy.write_seed("price_catalog", rows)
    warehouse.dbt_ok("seed", "--select", "price_catalog")
    warehouse.incremental_equals_full()
    assert START + timedelta(1) in warehouse.rebuilt_days("int_requests_priced")


def test_a_backfill_rebuilds_every_day_from_the_given_one(warehouse: Warehouse):
    """`aifinops-run --backfill-from DAY` passes the dbt var backfill_from: every day from it on
    is rebuilt (beyond the lookback), in every incremental model, and the result still equals a
    full rebuild."""
    day = START + timedelta(1)
    backfill = ["--vars", json.dumps({"backfill_from": day.isoformat()})]
    warehouse.dbt_ok("run", "--select", *SELECTION, *backfill)
    held = [
        held_day
        for (held_day,) in warehouse.copy.query(
            "select distinct request_date from staging.stg_litellm__requests order by 1"
        )
    ]
    expected = [held_day for held_day in held if held_day >= day]
    assert any(d <= max(held) - timedelta(3) for d in expected)  # beyond the lookback
    for model in ("stg_litellm__requests", "int_requests_priced", "fct_llm_requests"):
        assert warehouse.rebuilt_days(model) == expected, model
    warehouse.incremental_equals_full()


def test_a_late_request_before_midnight_makes_the_next_days_first_request_a_duplicate(
    warehouse: Warehouse,
):
    """int_requests_repeated reads the day before each rebuilt day: a late file for day 0
    whose request at 23:59 has the same caller, model and prompt as request a1-1 at 00:00:37 on
    day 1 makes that one a duplicate. Both days are older than the lookback, so only rebuilding
    the day after a changed day gets it right."""
    day = START + timedelta(1)
    warehouse.write(
        lambda con: _add_litellm_file(
            con, "/landing/litellm/midnight.jsonl", START, 2, "m", first_second=86400 - 97
        )
    )
    warehouse.incremental_equals_full()
    assert {START, day} <= set(warehouse.rebuilt_days("int_requests_repeated"))
    assert day < max(warehouse.rebuilt_days("int_requests_repeated")) - timedelta(3)
    assert warehouse.copy.query(
        "select waste_kind from intermediate.int_requests_repeated where request_id = 'a1-1'"
    ) == [("duplicate",)]


def test_a_repeat_window_longer_than_a_day_is_refused(warehouse: Warehouse):
    """The day before each rebuilt day is all the context int_requests_repeated reads: a window
    longer than a day would silently miss repeats, so it stops the build, naming the var."""
    result = warehouse.copy.dbt(
        "compile", "--select", "int_requests_repeated",
        "--vars", json.dumps({"waste_repeat_window_seconds": 90000}),
    )  # fmt: skip
    assert result.returncode != 0
    assert "waste_repeat_window_seconds must be at most 86400" in result.stdout


def test_a_scoped_test_that_failed_still_fails_when_the_next_run_rebuilds_other_days(
    warehouse: Warehouse,
):
    """A scoped test checks the days the model rebuilt since the last dbt invocation in which
    its tests all passed, not only its last build's: re-running with nothing new must not make
    a failure disappear because the failing day is no longer among the days just rebuilt."""
    uniqueness = ["--select", "fct_llm_requests,test_name:unique"]
    warehouse.dbt_ok("test", *uniqueness)  # passes: every day built so far is tested
    day = START + timedelta(1)  # older than the lookback

    def faulty_build(con):
        # what a faulty build of that day would leave: a second copy of one of its requests
        con.execute(
            """insert into marts.fct_llm_requests
               select * from marts.fct_llm_requests where request_date = ? limit 1""",
            [day],
        )
        con.execute(
            """insert into intermediate._incremental_days
               values ('fct_llm_requests', ?, 'done', false, current_timestamp, null, null)""",
            [day],
        )

    warehouse.write(faulty_build)
    assert warehouse.copy.dbt("test", *uniqueness).returncode != 0
    # the next run rebuilds the lookback days only, not the faulty day: the test still fails
    rerun = warehouse.copy.dbt("build", "--select", "fct_llm_requests", "--exclude",
                               "resource_type:unit_test")  # fmt: skip
    assert rerun.returncode != 0, rerun.stdout[-3000:]
    assert day not in warehouse.rebuilt_days("fct_llm_requests")
    assert "unique_fct_llm_requests_request_uid" in rerun.stdout
    # a rebuild of the day mends it, and the test passes
    backfill = json.dumps({"backfill_from": str(day)})
    warehouse.dbt_ok("build", "--select", "fct_llm_requests", "--exclude",
                     "resource_type:unit_test", "--vars", backfill)  # fmt: skip
