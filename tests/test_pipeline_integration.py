"""The real pipeline on a small demo: numbers checked against what the generator knows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.integration


def scalar(wh: BuiltWarehouse, sql: str, params: list | None = None):
    with wh.connect() as con:
        return con.execute(sql, params or []).fetchone()[0]


def test_run_succeeds_with_every_asset_and_check_passing(built_warehouse: BuiltWarehouse):
    assert built_warehouse.run_exit_code == 0


def test_billed_total_equals_the_bills_to_the_last_digit(built_warehouse: BuiltWarehouse):
    # per billing currency: money in different currencies is never summed
    with built_warehouse.connect() as con:
        billed = dict(
            con.execute(
                """select billing_currency, sum(billed_cost) from marts.fct_allocated_costs
                   group by 1"""
            ).fetchall()
        )
    truth = built_warehouse.truth["billed_by_currency"]
    assert billed == {currency: Decimal(amount) for currency, amount in truth.items()}
    assert billed["USD"] == Decimal(built_warehouse.truth["billed_usd_total"])


def test_billed_total_per_provider_family_matches_truth(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        rows = dict(
            con.execute(
                """select case when provider_id in ('aws', 'aws_bedrock') then 'aws'
                               else provider_id end, sum(billed_cost)
                   from intermediate.int_billed_charges_unioned
                   where billing_currency = 'USD' group by 1"""
            ).fetchall()
        )
    assert rows == {k: Decimal(v) for k, v in built_warehouse.truth["billed_usd"].items()}


def test_every_request_reaches_the_request_mart_once(built_warehouse: BuiltWarehouse):
    truth = built_warehouse.truth
    with built_warehouse.connect() as con:
        total, distinct = con.execute(
            "select count(*), count(distinct request_uid) from marts.fct_llm_requests"
        ).fetchone()
        by_source = dict(
            con.execute(
                "select source_system, count(*) from marts.fct_llm_requests group by 1"
            ).fetchall()
        )
    assert total == distinct == truth["requests"]
    assert by_source == truth["requests_by_channel"]


def test_token_parts_match_the_generated_usage(built_warehouse: BuiltWarehouse):
    tokens = built_warehouse.truth["tokens"]
    with built_warehouse.connect() as con:
        row = con.execute(
            """select sum(uncached_input_tokens), sum(cache_read_tokens),
                      sum(cache_write_tokens), sum(output_tokens + reasoning_tokens),
                      sum(reasoning_tokens)
               from marts.fct_llm_requests"""
        ).fetchone()
    assert tuple(int(v) for v in row) == (
        tokens["uncached_input"],
        tokens["cache_read"],
        tokens["cache_write"],
        tokens["output"],
        tokens["reasoning"],
    )


def test_unknown_model_is_flagged_not_priced_at_zero(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        statuses = con.execute(
            """select pricing_status, count(*), count(list_cost)
               from marts.fct_llm_requests
               where model_id = 'claude-nimbus-preview' and is_success
                 and not is_proxy_cache_hit
               group by 1"""
        ).fetchall()
        flagged = con.execute(
            "select request_count from marts.rpt_unpriced_models "
            "where model_id = 'claude-nimbus-preview'"
        ).fetchone()
    assert statuses and all(status == "unpriced" and priced == 0 for status, _, priced in statuses)
    assert flagged is not None and flagged[0] == sum(count for _, count, _ in statuses)


def test_no_billable_priced_request_has_a_zero_or_missing_list_cost(
    built_warehouse: BuiltWarehouse,
):
    bad = scalar(
        built_warehouse,
        """select count(*) from marts.fct_llm_requests
           where pricing_status = 'priced' and total_tokens > 0
             and (list_cost is null or list_cost <= 0)""",
    )
    assert bad == 0


def test_redelivered_log_file_is_recorded_once_and_loaded_once(built_warehouse: BuiltWarehouse):
    original, copy = built_warehouse.truth["dirt"]["duplicate_files"][0]
    with built_warehouse.connect() as con:
        statuses = dict(
            con.execute(
                """select regexp_extract(source_file, '[^/]+$'), status
                   from raw._load_files where source = 'litellm_spend_logs'"""
            ).fetchall()
        )
    assert statuses[original] == "loaded"
    assert statuses[copy] == "duplicate"


def test_malformed_lines_are_quarantined_with_file_row_and_reason(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        rows = con.execute(
            """select regexp_extract(source_file, '[^/]+$'), source_row, field, reason
               from raw._quarantine order by 1"""
        ).fetchall()
    malformed = {name for name, _, _, reason in rows if reason == "malformed JSON line"}
    assert malformed == set(built_warehouse.truth["dirt"]["malformed_litellm_lines"])
    assert all(row is not None and field for _, row, field, _ in rows)
    assert any(reason.startswith("value is not a number") for *_, reason in rows)


def test_every_billed_cent_is_allocated_or_explicitly_unallocated(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        rows = con.execute(
            """select provider_id, billed_cost, allocated_to_owners, unallocated,
                      allocation_difference
               from marts.rpt_allocation_reconciliation"""
        ).fetchall()
        reasons = con.execute(
            """select count(*) from marts.fct_allocated_costs
               where is_unallocated and unallocated_reason is null"""
        ).fetchone()[0]
    assert rows
    for _, billed, allocated, unallocated, difference in rows:
        assert billed == allocated + unallocated
        assert difference == 0
    assert reasons == 0


def test_unlogged_research_project_sits_in_the_unallocated_bucket(
    built_warehouse: BuiltWarehouse,
):
    with built_warehouse.connect() as con:
        owners = con.execute(
            """select distinct team_id from marts.fct_allocated_costs
               where sub_account_id = 'proj_research'"""
        ).fetchall()
    assert owners == [("unallocated",)]


def test_cost_per_driver_is_reported_for_every_billed_month(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        rows = con.execute(
            """select billed_cost, driver_value, cost_per_driver
               from marts.rpt_cost_per_outcome_monthly
               where is_billing_complete and driver_value > 0"""
        ).fetchall()
    assert rows
    for cost, value, per_driver in rows:
        assert abs(per_driver - cost / value) < Decimal("0.0000001")


def test_pseudonymised_end_users_never_appear_in_clear(built_warehouse: BuiltWarehouse):
    with built_warehouse.connect() as con:
        leaked = con.execute(
            """select count(*) from marts.fct_llm_requests
               where end_user_pseudonym like '%@customers.example%'"""
        ).fetchone()[0]
        pseudonyms = con.execute(
            "select count(distinct end_user_pseudonym) from marts.fct_llm_requests"
        ).fetchone()[0]
    assert leaked == 0
    assert pseudonyms > 100
