"""Waste and right-sizing marts on the demo warehouse: the repeats the generator injected are
found (and nothing else), idle GPU hours are their own allocated line that matches the hours
the self-hosted model logged no traffic, and every saving is a real, positive difference."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from tests.conftest import BuiltWarehouse

pytestmark = pytest.mark.integration


def test_the_pipeline_run_succeeded(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.run_exit_code == 0


def test_injected_retries_and_duplicates_are_found_and_nothing_else(
    built_warehouse: BuiltWarehouse,
) -> None:
    injected = built_warehouse.truth["waste_repeats"]
    assert injected["retries"] and injected["duplicates"]
    with built_warehouse.connect() as con:
        rows = con.execute(
            "select request_id, waste_kind from intermediate.int_requests_repeated"
            " where waste_kind in ('retry', 'duplicate')"
        ).fetchall()
        by_kind = con.execute(
            "select waste_kind, sum(request_count) from marts.rpt_request_waste group by 1"
        ).fetchall()
    found = defaultdict(set)
    for request_id, kind in rows:
        found[kind].add(request_id)
    assert found["retry"] == set(injected["retries"])
    assert found["duplicate"] == set(injected["duplicates"])
    counts = dict(by_kind)
    assert counts["retry"] == len(injected["retries"])
    assert counts["duplicate"] == len(injected["duplicates"])
    # every failed call the generator made (both log sources, the retried first attempts too)
    assert counts["failed"] == built_warehouse.truth["failed_requests"]


def test_repeats_are_priced_as_the_requests_themselves(built_warehouse: BuiltWarehouse) -> None:
    with built_warehouse.connect() as con:
        mart = con.execute(
            "select sum(estimated_list_cost_usd), sum(estimated_contracted_cost_usd)"
            " from marts.rpt_request_waste where waste_kind in ('retry', 'duplicate')"
        ).fetchone()
        requests = con.execute(
            "select sum(list_cost), sum(contracted_cost) from intermediate.int_requests_repeated"
            " where waste_kind in ('retry', 'duplicate')"
        ).fetchone()
    assert isinstance(mart[0], Decimal)
    assert mart[0] > 0
    assert mart == requests


def test_prompt_fingerprint_is_a_keyed_hash_never_the_text(built_warehouse: BuiltWarehouse) -> None:
    with built_warehouse.connect() as con:
        fingerprints = con.execute(
            "select prompt_fingerprint from raw.litellm_spend_logs"
        ).fetchall()
        leaked = con.execute(
            "select count(*) from raw.litellm_spend_logs"
            " where cast(metadata as varchar) like '%Customer message%'"
        ).fetchone()[0]
    assert fingerprints
    # SHA-256 in hex: nothing of the prompt ("Customer message #...") can be read back
    assert all(f is not None and len(f) == 64 and int(f, 16) >= 0 for (f,) in fingerprints)
    assert leaked == 0


def test_idle_gpu_hours_are_their_own_line_and_match_the_hours_without_traffic(
    built_warehouse: BuiltWarehouse,
) -> None:
    with built_warehouse.connect() as con:
        # hour-billed charges and the split the fact gives them
        split = con.execute(
            """
            select charge_id, cast(charge_period_start as date) as day,
                   sum(consumed_quantity) filter (where allocated_method_id like '%:idle')
                       as idle_hours,
                   sum(consumed_quantity) as hours,
                   sum(billed_cost) filter (where allocated_method_id like '%:idle') as idle_billed,
                   count(*) filter (where allocated_method_id like '%:idle'
                                    and product <> 'idle_capacity') as idle_rows_not_labelled
            from marts.fct_allocated_costs
            where consumed_unit = 'Hours' and allocated_method_id like 'rule:gpu_inference_hosts%'
            group by 1, 2
            """
        ).fetchall()
        # independently: the hours of each day in which the self-hosted model logged a call
        busy = dict(
            con.execute(
                """
                select request_date, count(distinct date_trunc('hour', requested_at))
                from marts.fct_llm_requests
                where provider_id = 'self_hosted' and is_success and not is_proxy_cache_hit
                group by 1
                """
            ).fetchall()
        )
        mart = con.execute(
            """select capacity, sum(billed_cost) from marts.rpt_gpu_idle_cost
               where rule_id = 'gpu_inference_hosts' group by 1"""
        ).fetchall()
        # (the demo's other hour-billed lines, Azure PTU hours, follow their own rule)
        billed = con.execute(
            """select sum(billed_cost) from intermediate.int_billed_charges_unioned
               where charge_id in (select charge_id from marts.fct_allocated_costs
                                   where allocated_method_id like 'rule:gpu_inference_hosts%')"""
        ).fetchone()[0]
    assert split, "the demo bills GPU host hours"
    idle_days = 0
    for _charge, day, idle_hours, hours, _idle_billed, unlabelled in split:
        assert hours == 24
        assert unlabelled == 0
        expected_idle = 24 - busy.get(day, 0)
        assert (idle_hours or 0) == pytest.approx(expected_idle, abs=1e-6), day
        idle_days += expected_idle > 0
    assert idle_days > 0, "the demo has hours without self-hosted traffic"
    totals = dict(mart)
    assert totals["idle"] > 0
    assert totals["used"] + totals["idle"] == billed


def test_cheaper_candidates_are_same_provider_and_really_cheaper(
    built_warehouse: BuiltWarehouse,
) -> None:
    with built_warehouse.connect() as con:
        rows = con.execute(
            """
            select candidates.provider_id, candidates.model_id, candidates.candidate_model_id,
                   candidates.current_cost_usd, candidates.candidate_cost_usd,
                   candidates.estimated_monthly_saving_usd,
                   current.provider_id, candidate.provider_id
            from marts.rpt_cheaper_model_candidates as candidates
            left join intermediate.int_prices_current as current
                on candidates.model_id = current.model_id
            left join intermediate.int_prices_current as candidate
                on candidates.candidate_model_id = candidate.model_id
                and current.provider_id = candidate.provider_id
            """
        ).fetchall()
    assert rows, "the demo has short, simple traffic on dear models"
    for _provider, model, cand, current_cost, cand_cost, saving, p1, p2 in rows:
        assert model != cand
        assert p1 is not None and p1 == p2
        assert isinstance(saving, Decimal)
        assert saving == current_cost - cand_cost > 0


def test_savings_are_never_negative_and_batch_needs_an_eligible_use_case(
    built_warehouse: BuiltWarehouse,
) -> None:
    with built_warehouse.connect() as con:
        bad = con.execute(
            """
            select count(*) from marts.rpt_cache_batch_savings
            where estimated_caching_saving_usd < 0 or estimated_batch_saving_usd < 0
               or (not is_batch_eligible and estimated_batch_saving_usd <> 0)
               or prompt_cache_hit_rate not between 0 and 1
            """
        ).fetchone()[0]
        totals = con.execute(
            "select sum(estimated_caching_saving_usd), sum(estimated_batch_saving_usd)"
            " from marts.rpt_cache_batch_savings"
        ).fetchone()
        mismatches = con.execute(
            "select finding, count(*) from marts.rpt_environment_mismatches group by 1"
        ).fetchall()
    assert bad == 0
    assert totals[0] > 0 and totals[1] > 0
    assert dict(mismatches).get("production_model_outside_production", 0) > 0
