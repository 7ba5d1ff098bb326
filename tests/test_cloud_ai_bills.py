"""Azure OpenAI and Vertex AI token lines in FOCUS exports (issue 13, item 3).

An Azure Cost Management FOCUS export (CSV, FOCUS 1.0 columns: the meter only in
x_SkuMeterName, tokens in 1K blocks) and a GCP FOCUS file (Parquet, SKU descriptions, 'count'
units) are written into a landing folder with LiteLLM logs of the same calls (custom_llm_provider
azure / vertex_ai), extracted by the real parsers and run through dbt up to the allocation.
Token lines go to the teams that logged the usage; a line with no logs that day, and one whose
meter no rule reads, sit unallocated with the reason (never dropped, never priced at zero);
provisioned throughput hours follow their allocation rule; every charge adds up to its bill.
The meter rules themselves are unit-tested in models/staging/focus/_focus__models.yml."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project import db
from dagster_project.extract.sources import SOURCES_BY_NAME, extract
from tests.dbt_copy import DbtCopy

AZ_ACCOUNT, AZ_SUB = "/providers/Microsoft.Billing/billingAccounts/42", "/subscriptions/sub-q"
GCP_ACCOUNT, GCP_PROJECT = "0000AA-BBBBBB-CCCCCC", "q-genai"
DAY, NO_LOG_DAY = "2026-07-14", "2026-07-15"

AZURE_COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingAccountId",
    "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeDescription",
    "ChargeFrequency", "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "ServiceName", "ServiceCategory",
    "SubAccountId", "SubAccountName", "x_SkuMeterName", "x_PricingBlockSize",
]  # fmt: skip


def _azure(day: str, meter: str, cost: str, quantity: str, unit: str) -> list[str]:
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    values = {
        "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
        "BillingAccountId": AZ_ACCOUNT, "BillingAccountName": "Q EA", "BillingCurrency": "USD",
        "BillingPeriodStart": "2026-07-01T00:00:00Z", "BillingPeriodEnd": "2026-08-01T00:00:00Z",
        "ChargePeriodStart": f"{day}T00:00:00Z", "ChargePeriodEnd": f"{end}T00:00:00Z",
        "ChargeCategory": "Usage", "ChargeDescription": "", "ChargeFrequency": "Usage-Based",
        "ConsumedQuantity": quantity, "ConsumedUnit": unit, "PricingQuantity": quantity,
        "PricingUnit": unit, "ProviderName": "Microsoft", "PublisherName": "Microsoft",
        "InvoiceIssuerName": "Microsoft", "ServiceName": "Azure OpenAI",
        "ServiceCategory": "AI and Machine Learning", "SubAccountId": AZ_SUB,
        "SubAccountName": "q-sub", "x_SkuMeterName": meter, "x_PricingBlockSize": "1000",
    }  # fmt: skip
    return [values[c] for c in AZURE_COLUMNS]


AZURE_ROWS = [
    # 3 x 1K = 3000 input tokens, 1000 output tokens: logged that day by two teams
    _azure(DAY, "gpt 4.1 Inp glbl Tokens", "0.0060", "3", "1K Tokens"),
    _azure(DAY, "gpt 4.1 Outp glbl Tokens", "0.0080", "1000", "Tokens"),
    # billed the next day, but no call was logged then
    _azure(NO_LOG_DAY, "gpt 4.1 Inp glbl Tokens", "0.0020", "1", "1K Tokens"),
    # a meter no rule reads: unallocated with the reason, not split by a guessed part
    _azure(DAY, "sora-2 vid glbl Tokens", "1.5000", "1000", "Tokens"),
    # one PTU for 24 hours: a shared charge, by rule
    _azure(DAY, "Provisioned Managed Global", "24.0000", "24", "Hours"),
]

GCP_ROWS = [
    ("Gemini 2.5 Flash GA Text Input - Predictions", "0.0006", "2000"),
    ("Gemini 2.5 Flash GA Thinking Text Output - Predictions", "0.0050", "2000"),
]


def _gcp_sql(path: Path) -> str:
    rows = " union all ".join(
        f"""select '{cost}' as BilledCost, '{cost}' as ListCost,
               '{GCP_ACCOUNT}' as BillingAccountId, 'USD' as BillingCurrency,
               timestamptz '2026-07-01 00:00:00+00' as BillingPeriodStart,
               timestamptz '2026-08-01 00:00:00+00' as BillingPeriodEnd,
               timestamptz '{DAY} 00:00:00+00' as ChargePeriodStart,
               timestamptz '{DAY} 00:00:00+00' + interval 1 day as ChargePeriodEnd,
               'Usage' as ChargeCategory, '{sku}' as ChargeDescription,
               '{quantity}' as ConsumedQuantity, 'count' as ConsumedUnit,
               'Google Cloud' as ProviderName, 'Vertex AI' as ServiceName,
               '{GCP_PROJECT}' as SubAccountId, 'FDAB-647C-{index:04d}' as SkuId"""
        for index, (sku, cost, quantity) in enumerate(GCP_ROWS)
    )
    return f"copy ({rows}) to '{path}' (format parquet)"


def _log(request_id: str, provider: str, model: str, team: str, prompt: int, completion: int):
    return {
        "request_id": request_id, "call_type": "acompletion", "api_key": "sk-hash-q",
        "spend": 0.001, "total_tokens": prompt + completion, "prompt_tokens": prompt,
        "completion_tokens": completion, "startTime": f"{DAY} 10:00:00.000",
        "endTime": f"{DAY} 10:00:01.000", "model": model, "custom_llm_provider": provider,
        "metadata": {"usage_object": {"prompt_tokens": prompt, "completion_tokens": completion}},
        "cache_hit": "False", "request_tags": ["env:production", "product:p", "use_case:u"],
        "team_id": team, "status": "success",
    }  # fmt: skip


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> DbtCopy:
    root = tmp_path_factory.mktemp("cloud_ai")
    landing = root / "landing"
    azure = landing / "focus" / "azure" / "20260701-20260731"
    azure.mkdir(parents=True)
    with open(azure / "part_0_0001.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([AZURE_COLUMNS, *AZURE_ROWS])
    gcp = landing / "focus" / "gcp" / "billing_period=2026-07"
    gcp.mkdir(parents=True)
    (landing / "litellm").mkdir()
    teams = {"a": "team-a", "b": "team-b"}
    logs = [
        # Azure: team a 2000 + team b 1000 input tokens, 750 + 500 output
        _log("r1", "azure", "gpt-4.1-2025-04-14", teams["a"], 2000, 750),
        _log("r2", "azure", "azure/gpt-4.1", teams["b"], 1000, 500),
        _log("r3", "vertex_ai", "gemini-2.5-flash", teams["b"], 2000, 2000),
    ]
    (landing / "litellm" / "logs.jsonl").write_text("\n".join(json.dumps(r) for r in logs))

    project = DbtCopy(root)
    project.write_seed(
        "org_provider_accounts",
        [
            ["provider_id", "billing_account_id", "billing_account_name", "sub_account_id",
             "sub_account_name", "team_id", "routes_unmapped_traffic"],
            ["azure_openai", AZ_ACCOUNT, "Q EA", AZ_SUB, "q-sub", "", "true"],
            ["gcp_vertex_ai", GCP_ACCOUNT, "Q GCP", GCP_PROJECT, GCP_PROJECT, "", "true"],
        ],
    )  # fmt: skip
    project.write_seed(
        "org_teams",
        [
            ["team_id", "team_name", "litellm_team_id", "cost_center_id", "cost_center_name"],
            ["a", "A", "team-a", "cc-a", "CC A"],
            ["b", "B", "team-b", "cc-b", "CC B"],
        ],
    )
    with db.connect(project.warehouse) as con:
        con.execute(_gcp_sql(gcp / "part-0.parquet"))
        for name in ("focus_billing", "litellm_spend_logs"):
            summary = extract(con, SOURCES_BY_NAME[name], landing)
            assert summary.rows_quarantined == summary.files_failed == 0, summary.messages
    seeded = project.dbt("seed")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    built = project.dbt(
        "run", "--select", "+int_costs_allocated_to_owners", "--exclude", "resource_type:seed"
    )
    assert built.returncode == 0, built.stdout[-5000:]
    return project


def test_both_files_load_every_line_with_its_provider_model_and_part(cloud: DbtCopy):
    rows = cloud.query(
        """select provider_id, model_raw, token_part, is_batch, ai_charge_kind, token_quantity,
                  billed_cost
           from staging.stg_focus__charges order by provider_id, charge_period_start, billed_cost"""
    )
    assert rows == [
        ("azure_openai", "gpt-4.1", "input", False, "tokens", 3000, Decimal("0.006")),
        ("azure_openai", "gpt-4.1", "output", False, "tokens", 1000, Decimal("0.008")),
        ("azure_openai", None, None, False, "tokens", 1000, Decimal("1.5")),
        ("azure_openai", None, None, False, "provisioned", None, Decimal("24")),
        ("azure_openai", "gpt-4.1", "input", False, "tokens", 1000, Decimal("0.002")),
        ("gcp_vertex_ai", "gemini-2.5-flash", "input", False, "tokens", 2000, Decimal("0.0006")),
        ("gcp_vertex_ai", "gemini-2.5-flash", "output", False, "tokens", 2000, Decimal("0.005")),
    ]


def test_logs_name_the_same_provider_ids_as_the_bills(cloud: DbtCopy):
    rows = cloud.query(
        """select request_id, provider_id, model_id, sub_account_id, team_id
           from intermediate.int_requests_unioned order by request_id"""
    )
    assert rows == [
        ("r1", "azure_openai", "gpt-4.1", AZ_SUB, "a"),
        ("r2", "azure_openai", "gpt-4.1", AZ_SUB, "b"),
        ("r3", "gcp_vertex_ai", "gemini-2.5-flash", GCP_PROJECT, "b"),
    ]


def _allocations(cloud: DbtCopy) -> list[tuple]:
    return cloud.query(
        """select charges.provider_id, coalesce(charges.sku_meter, charges.charge_description),
                  charges.charge_date::varchar, allocated.team_id, allocated.allocated_method_id,
                  allocated.match_scope, allocated.billed_cost, allocated.allocated_tokens
           from intermediate.int_costs_allocated_to_owners as allocated
           inner join intermediate.int_billed_charges_unioned as charges using (charge_id)
           order by all"""
    )


def test_token_lines_are_split_by_the_logged_usage_of_their_part(cloud: DbtCopy):
    rows = [r for r in _allocations(cloud) if r[4].startswith("direct_usage")]
    split = sorted((r[0], r[3], r[6], r[7]) for r in rows)
    # Azure input 0.006 by input list cost 2000:1000 ($2/M both): 0.004 / 0.002; output 0.008
    # by 750:500 ($8/M both) -> 0.0048 / 0.0032; Vertex: team b alone, input and thinking
    # output
    assert split == [
        ("azure_openai", "a", Decimal("0.004"), 2000),
        ("azure_openai", "a", Decimal("0.0048"), 750),
        ("azure_openai", "b", Decimal("0.002"), 1000),
        ("azure_openai", "b", Decimal("0.0032"), 500),
        ("gcp_vertex_ai", "b", Decimal("0.0006"), 2000),
        ("gcp_vertex_ai", "b", Decimal("0.005"), 2000),
    ]


def test_lines_without_logs_or_with_an_unread_meter_are_unallocated_with_the_reason(
    cloud: DbtCopy,
):
    unallocated = [(r[2], r[5], r[6]) for r in _allocations(cloud) if r[4] == "unallocated"]
    assert sorted(unallocated) == [
        (DAY, "token meter not recognised: sora-2 vid glbl Tokens", Decimal("1.5")),
        (NO_LOG_DAY, f"no logged usage of gpt-4.1 on {AZ_SUB} that day", Decimal("0.002")),
    ]


def test_provisioned_throughput_hours_follow_their_rule_used_and_idle(cloud: DbtCopy):
    rows = [r for r in _allocations(cloud) if r[4].startswith("rule:azure_openai_provisioned")]
    # the subscription's calls all ran in one hour of 24: 1/24 of $24 to its users by list
    # cost (a: 2000 x $2/M + 750 x $8/M = 0.010; b: 1000 x $2/M + 500 x $8/M = 0.006), 23/24
    # idle to the same teams
    used = {r[3]: r[6] for r in rows if not r[4].endswith(":idle")}
    idle = {r[3]: r[6] for r in rows if r[4].endswith(":idle")}
    assert sum(used.values()) == Decimal(1)
    assert sum(idle.values()) == Decimal(23)
    assert used["a"] == Decimal("0.625") and used["b"] == Decimal("0.375")


def test_every_charge_adds_up_to_its_bill_line(cloud: DbtCopy):
    rows = cloud.query(
        """select charges.charge_id, charges.billed_cost, sum(allocated.billed_cost)
           from intermediate.int_billed_charges_unioned as charges
           left join intermediate.int_costs_allocated_to_owners as allocated using (charge_id)
           group by all having charges.billed_cost is distinct from sum(allocated.billed_cost)"""
    )
    assert rows == []
    files = sum(Decimal(r[0]) for r in AZURE_ROWS) + sum(Decimal(c) for _, c, _ in GCP_ROWS)
    assert cloud.query(
        "select sum(billed_cost) from intermediate.int_costs_allocated_to_owners"
    ) == [(files,)]
