"""Bill staging (issue 8, part 1; contract C1): staging keeps exactly the bill rows in force
(superseded_by is null), all of them: no content deduplication, so two identical rows of one
delivery are two charges and two Anthropic lines differing only in context_window are two
lines. FOCUS billing periods are kept as the export gives them. rpt_bill_revisions lists what
was superseded and by what.

Raw rows are written straight into the raw tables (as extraction leaves them, supersession
columns filled) of a copy of the dbt project, then dbt runs the bill models alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dagster_project import db
from tests.dbt_copy import DbtCopy

EARLY = datetime(2026, 8, 2, 6, 0, tzinfo=UTC)
LATE = datetime(2026, 8, 5, 6, 0, tzinfo=UTC)
DAY = datetime(2026, 7, 14, tzinfo=UTC)
NEXT_DAY = datetime(2026, 7, 15, tzinfo=UTC)


def _insert(con, table: str, rows: list[dict]) -> None:
    for ordinal, row in enumerate(rows, start=1):
        values = {
            "source_row": ordinal,
            "content_hash": f"hash-{row['source_file']}",
            "loaded_at": LATE,
            "load_id": "test-load",
            **row,
        }
        columns = ", ".join('"' + c.replace('"', '""') + '"' for c in values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"insert into {table} ({columns}) values ({marks})", list(values.values()))


def _openai(line_item: str, amount: str, key: str, delivery: str, at: datetime, by=None) -> dict:
    return {
        "bucket_start_time": DAY, "bucket_end_time": NEXT_DAY, "amount_value": Decimal(amount),
        "amount_currency": "usd", "line_item": line_item, "project_id": "proj-q",
        "result_json": json.dumps({"line_item": line_item}), "row_hash": f"{line_item}{amount}",
        "bill_key": key, "delivery_id": delivery, "delivered_at": at, "superseded_by": by,
        "source_file": delivery,
    }  # fmt: skip


def _anthropic(context_window: str, cents: str) -> dict:
    return {
        "bucket_starting_at": DAY, "bucket_ending_at": NEXT_DAY, "amount_cents": Decimal(cents),
        "currency": "USD", "cost_type": "tokens", "description": "Claude X Usage - Input Tokens",
        "token_type": "uncached_input_tokens", "model": "claude-x", "service_tier": "standard",
        "context_window": context_window, "workspace_id": "wrk-q", "result_json": "{}",
        "row_hash": f"{context_window}{cents}", "bill_key": f"anthropic|{context_window}",
        "delivery_id": "anthropic/page_1.json", "delivered_at": EARLY, "superseded_by": None,
        "source_file": "anthropic/page_1.json",
    }  # fmt: skip


def _focus(cost: str, delivery: str, at: datetime, by=None) -> dict:
    return {
        "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
        "BillingAccountId": "acct-q", "BillingAccountName": "Q", "BillingCurrency": "USD",
        # a billing cycle that is not a calendar month: kept as given, never re-derived
        "BillingPeriodStart": "2026-06-15T00:00:00Z", "BillingPeriodEnd": "2026-07-15T00:00:00Z",
        "ChargePeriodStart": "2026-07-02T00:00:00Z", "ChargePeriodEnd": "2026-07-03T00:00:00Z",
        "ChargeCategory": "Usage", "ChargeClass": None, "ChargeDescription": "Compute hours",
        "ChargeFrequency": "Usage-Based", "ServiceName": "Compute Q", "ServiceProviderName": "Q",
        "ServiceCategory": "Compute", "ServiceSubcategory": "Virtual Machines",
        "ConsumedQuantity": "1", "ConsumedUnit": "Hours", "PricingQuantity": "1",
        "PricingUnit": "Hours", "PricingCategory": "Standard", "ListUnitPrice": cost,
        "ContractedUnitPrice": cost, "export_name": "q-export", "row_hash": f"same-row-{cost}",
        "bill_key": "q-export|acct-q|2026-06-15", "delivery_id": delivery, "delivered_at": at,
        "superseded_by": by, "source_file": f"{delivery}/part-0.csv",
    }  # fmt: skip


@pytest.fixture(scope="module")
def bills(tmp_path_factory: pytest.TempPathFactory) -> DbtCopy:
    project = DbtCopy(tmp_path_factory.mktemp("bills"))
    project.write_seed(
        "org_provider_accounts",
        [
            ["provider_id", "billing_account_id", "billing_account_name", "sub_account_id",
             "sub_account_name", "team_id", "routes_unmapped_traffic"],
            ["openai", "org-q", "Q Org", "proj-q", "Q Project", "", "false"],
            ["anthropic", "org-q-anthropic", "Q Org", "wrk-q", "Q Workspace", "", "false"],
        ],
    )  # fmt: skip
    with db.connect(project.warehouse) as con:
        old, new = "openai/costs/pull_early.json", "openai/costs/pull_late.json"
        _insert(con, "raw.openai_costs", [
            # revised in the later pull: 10.00 -> 12.50
            _openai("model-q, input", "10.00", "k-input", old, EARLY, by=new),
            _openai("model-q, output", "5.00", "k-output", old, EARLY),
            _openai("model-q, input", "12.50", "k-input", new, LATE),
            # two identical results in one delivery: two charges
            _openai("tool fee", "3.00", "k-fee", new, LATE),
            _openai("tool fee", "3.00", "k-fee", new, LATE),
        ])  # fmt: skip
        _insert(con, "raw.anthropic_cost_report", [
            _anthropic("0-200k", "700"),
            _anthropic("200k-1M", "700"),
        ])  # fmt: skip
        first, restated = "focus/q-export/2026-06/20260701", "focus/q-export/2026-06/20260710"
        _insert(con, "raw.focus_billing", [
            _focus("4.00", first, EARLY, by=restated),
            _focus("4.00", first, EARLY, by=restated),
            _focus("4.50", restated, LATE),
            _focus("4.50", restated, LATE),
        ])  # fmt: skip
    seeded = project.dbt("seed")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    built = project.dbt(
        "run", "--select", "+int_billed_charges_unioned", "+rpt_bill_revisions",
        "--exclude", "resource_type:seed",
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-5000:]
    return project


def test_superseded_rows_are_dropped_and_equal_rows_are_all_kept(bills: DbtCopy):
    openai = bills.query(
        "select line_item, amount, delivery_id from staging.stg_openai__costs order by all"
    )
    assert openai == [
        ("model-q, input", Decimal("12.5"), "openai/costs/pull_late.json"),
        ("model-q, output", Decimal("5"), "openai/costs/pull_early.json"),
        ("tool fee", Decimal("3"), "openai/costs/pull_late.json"),
        ("tool fee", Decimal("3"), "openai/costs/pull_late.json"),
    ]
    focus = bills.query("select billed_cost, delivery_id from staging.stg_focus__charges")
    assert sorted(focus) == [(Decimal("4.5"), "focus/q-export/2026-06/20260710")] * 2


def test_anthropic_lines_differing_only_in_context_window_are_two_lines(bills: DbtCopy):
    rows = bills.query("select context_window, amount from staging.stg_anthropic__costs order by 1")
    assert rows == [("0-200k", Decimal("7")), ("200k-1M", Decimal("7"))]


def test_billed_total_counts_each_bill_line_in_force_once(bills: DbtCopy):
    totals = dict(
        bills.query(
            "select provider_id, sum(billed_cost) from intermediate.int_billed_charges_unioned "
            "group by 1"
        )
    )
    # OpenAI 12.50 + 5.00 + 3.00 + 3.00; Anthropic 7 + 7; FOCUS 4.50 + 4.50
    assert {k: Decimal(v) for k, v in totals.items()} == {
        "openai": Decimal("23.5"),
        "anthropic": Decimal("14"),
        "q": Decimal("9"),
    }


def test_focus_billing_period_is_kept_as_the_export_gives_it(bills: DbtCopy):
    periods = bills.query(
        "select distinct strftime(billing_period_start, '%Y-%m-%d'), "
        "strftime(billing_period_end, '%Y-%m-%d') "
        "from intermediate.int_billed_charges_unioned where provider_id = 'q'"
    )
    assert periods == [("2026-06-15", "2026-07-15")]
    # vendor API lines name none: the calendar month of the charge
    vendor = bills.query(
        "select distinct strftime(billing_period_start, '%Y-%m-%d'), "
        "strftime(billing_period_end, '%Y-%m-%d') "
        "from intermediate.int_billed_charges_unioned where provider_id <> 'q'"
    )
    assert vendor == [("2026-07-01", "2026-08-01")]


def test_bill_revisions_report_what_was_superseded_and_by_what(bills: DbtCopy):
    rows = bills.query(
        "select source_system, bill_key, superseded_delivery_id, superseded_row_count, "
        "superseded_amount, superseded_by_delivery_id, superseded_by_amount, in_force_amount "
        "from marts.rpt_bill_revisions order by 1"
    )
    assert rows == [
        ("focus:q-export", "q-export|acct-q|2026-06-15", "focus/q-export/2026-06/20260701", 2,
         Decimal("8"), "focus/q-export/2026-06/20260710", Decimal("9"), Decimal("9")),
        ("openai_costs_api", "k-input", "openai/costs/pull_early.json", 1, Decimal("10"),
         "openai/costs/pull_late.json", Decimal("12.5"), Decimal("12.5")),
    ]  # fmt: skip
