"""The FOCUS export of the cost fact: names, values, CSV safety, exact sums, official validator.

A tiny DuckDB holds a hand-made ``marts.fct_allocated_costs`` with the real table's columns
(FACT_COLUMNS, copied from the demo warehouse): a Bedrock token usage charge split to two
owners, a credit, a prepaid purchase and an unallocated OpenAI usage row. The validator tests
need the validator venv (scripts/setup_focus_validator.sh); without it they skip, except under
CI=true, where a missing validator fails the build.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.serve.focus.export import (
    CSV_NAME,
    FOCUS_COLUMNS,
    PARQUET_NAME,
    export_focus,
    neutralise_formula_sql,
)
from dagster_project.serve.focus.validator import run_focus_validator
from tests.unavailable import require_focus_validator

# `describe marts.fct_allocated_costs` of the demo warehouse, in order.
FACT_COLUMNS: list[tuple[str, str]] = [
    ("allocated_cost_id", "VARCHAR"),
    ("billed_cost", "DECIMAL(38,10)"),
    ("billing_account_id", "VARCHAR"),
    ("billing_account_name", "VARCHAR"),
    ("billing_account_type", "VARCHAR"),
    ("billing_currency", "VARCHAR"),
    ("billing_period_end", "TIMESTAMP WITH TIME ZONE"),
    ("billing_period_start", "TIMESTAMP WITH TIME ZONE"),
    ("charge_category", "VARCHAR"),
    ("charge_class", "VARCHAR"),
    ("charge_description", "VARCHAR"),
    ("charge_frequency", "VARCHAR"),
    ("charge_period_end", "TIMESTAMP WITH TIME ZONE"),
    ("charge_period_start", "TIMESTAMP WITH TIME ZONE"),
    ("commitment_discount_status", "VARCHAR"),
    ("consumed_quantity", "DECIMAL(38,10)"),
    ("consumed_unit", "VARCHAR"),
    ("contracted_cost", "DECIMAL(38,10)"),
    ("contracted_unit_price", "DECIMAL(38,10)"),
    ("effective_cost", "DECIMAL(38,10)"),
    ("host_provider_name", "VARCHAR"),
    ("invoice_id", "VARCHAR"),
    ("invoice_issuer_name", "VARCHAR"),
    ("list_cost", "DECIMAL(38,10)"),
    ("list_unit_price", "DECIMAL(38,10)"),
    ("pricing_category", "VARCHAR"),
    ("pricing_quantity", "DECIMAL(38,10)"),
    ("pricing_unit", "VARCHAR"),
    ("provider_name", "VARCHAR"),
    ("publisher_name", "VARCHAR"),
    ("region_id", "VARCHAR"),
    ("region_name", "VARCHAR"),
    ("resource_id", "VARCHAR"),
    ("resource_name", "VARCHAR"),
    ("resource_type", "VARCHAR"),
    ("service_category", "VARCHAR"),
    ("service_name", "VARCHAR"),
    ("service_provider_name", "VARCHAR"),
    ("service_subcategory", "VARCHAR"),
    ("sku_id", "VARCHAR"),
    ("sku_meter", "VARCHAR"),
    ("sub_account_id", "VARCHAR"),
    ("tags", "VARCHAR"),
    ("allocated_method_id", "VARCHAR"),
    ("allocated_method_details", "JSON"),
    ("allocated_resource_id", "VARCHAR"),
    ("allocated_resource_name", "VARCHAR"),
    ("allocated_tags", "JSON"),
    ("charge_id", "VARCHAR"),
    ("provider_id", "VARCHAR"),
    ("charge_date", "DATE"),
    ("team_id", "VARCHAR"),
    ("cost_center_id", "VARCHAR"),
    ("product", "VARCHAR"),
    ("use_case", "VARCHAR"),
    ("feature", "VARCHAR"),
    ("environment", "VARCHAR"),
    ("model_id", "VARCHAR"),
    ("token_part", "VARCHAR"),
    ("is_batch", "BOOLEAN"),
    ("is_unallocated", "BOOLEAN"),
    ("unallocated_reason", "VARCHAR"),
    ("uncached_input_tokens", "HUGEINT"),
    ("cache_read_tokens", "HUGEINT"),
    ("cache_write_tokens", "HUGEINT"),
    ("output_tokens", "HUGEINT"),
    ("reasoning_tokens", "HUGEINT"),
    ("allocated_tokens", "HUGEINT"),
    ("allocated_requests", "BIGINT"),
    ("source_system", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("reporting_currency", "VARCHAR"),
    ("fx_rate_date", "DATE"),
    ("fx_rate", "DECIMAL(38,10)"),
    ("billed_cost_reporting", "DECIMAL(38,10)"),
    ("effective_cost_reporting", "DECIMAL(38,10)"),
    ("list_cost_reporting", "DECIMAL(38,10)"),
    ("contracted_cost_reporting", "DECIMAL(38,10)"),
]

# The fact lacks SubAccountName and SkuPriceId, which FOCUS requires of a dataset that has
# sub accounts and unit pricing (validator: CostAndUsage-D-029-C, CostAndUsage-D-058-C). The
# proposed model fix adds them; the validator tests use the fact with them added.
PROPOSED_COLUMNS: list[tuple[str, str]] = [
    ("sub_account_name", "VARCHAR"),
    ("sku_price_id", "VARCHAR"),
]

FORMULA = '=HYPERLINK("https://evil.example/?q=1,2","Scale Tier")'

_BEDROCK = {
    "billing_account_id": "999988887777",
    "billing_account_name": "Northwind Labs Payer",
    "billing_account_type": "Billing Account",
    "billing_currency": "USD",
    "billing_period_start": "2026-07-01 00:00:00+00",
    "billing_period_end": "2026-08-01 00:00:00+00",
    "charge_category": "Usage",
    "charge_description": "Amazon Bedrock amazon.nova-lite-v1:0 input-tokens",
    "charge_frequency": "Usage-Based",
    "charge_period_start": "2026-07-21 00:00:00+00",
    "charge_period_end": "2026-07-22 00:00:00+00",
    "consumed_unit": "Tokens",
    "contracted_unit_price": Decimal("0.00076"),
    "host_provider_name": "AWS",
    "invoice_id": "EUINUS2607-7777",
    # ProviderName <> InvoiceIssuerName reads to the validator as a third-party (marketplace)
    # charge, whose BilledCost must be 0 (BilledCost-C-005-C): the direct bill names AWS.
    "invoice_issuer_name": "AWS",
    "list_unit_price": Decimal("0.0008"),
    "pricing_category": "Standard",
    "pricing_unit": "1000 Tokens",
    "provider_name": "AWS",
    "publisher_name": "AWS",
    "region_id": "us-east-1",
    "region_name": "US East (N. Virginia)",
    "resource_id": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
    "resource_name": "amazon.nova-lite-v1:0",
    "resource_type": "Foundation Model",
    "service_category": "AI and Machine Learning",
    "service_name": "Amazon Bedrock",
    "service_provider_name": "AWS",
    "service_subcategory": "Generative AI",
    "sku_id": "BEDROCK-amazon.nova-lite-v1:0-input-tokens",
    "sku_price_id": "BEDROCK-amazon.nova-lite-v1:0-input-tokens-USE1",
    "sku_meter": "input-tokens",
    "sub_account_id": "444455556666",
    "sub_account_name": "ml-prod",
    "tags": '{"aws:createdBy": "bedrock"}',
    "allocated_method_id": "direct_usage_list_cost",
    "charge_id": "focus:bedrock-0001",
    "provider_id": "aws_bedrock",
    "charge_date": "2026-07-21",
    "model_id": "amazon.nova-lite-v1:0",
    "token_part": "input",
    "is_batch": False,
    "is_unallocated": False,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "output_tokens": 0,
    "reasoning_tokens": 0,
    "source_system": "focus:aws",
    "source_file": "focus/aws/billing_period=2026-07/focus-00001.snappy.parquet",
}


# The OpenAI invoice the OpenAI rows belong to.
_OPENAI_JULY_BILL: dict[str, Any] = {
    "billing_account_id": "org-northwind",
    "billing_account_name": "Northwind Labs",
    "billing_account_type": "Billing Account",
    "billing_currency": "USD",
    "billing_period_start": "2026-07-01 00:00:00+00",
    "billing_period_end": "2026-08-01 00:00:00+00",
    "host_provider_name": "OpenAI",
    "invoice_id": "openai-org-northwind-2026-07",
    "invoice_issuer_name": "OpenAI",
    "provider_name": "OpenAI",
    "publisher_name": "OpenAI",
    "service_category": "AI and Machine Learning",
    "service_name": "OpenAI API",
    "service_provider_name": "OpenAI",
    "service_subcategory": "Generative AI",
    "provider_id": "openai",
    "source_system": "openai_costs_api",
}


def _owner(team: str, cost_center: str, product: str, use_case: str, env: str) -> dict[str, Any]:
    return {
        "team_id": team,
        "cost_center_id": cost_center,
        "product": product,
        "use_case": use_case,
        "feature": "answer_synthesis",
        "environment": env,
        "allocated_resource_id": f"owner:{team}/{product}/{use_case}/answer_synthesis/{env}",
        "allocated_resource_name": f"{team} / {product} / {use_case} / {env}",
        "allocated_tags": json.dumps({"team": team, "cost_center": cost_center}),
    }


ROWS: list[dict[str, Any]] = [
    # A Bedrock token usage charge (1,000,000 input tokens) split 60/40 to two owners: each
    # owner's quantities and costs are its share, so ListCost = ListUnitPrice x PricingQuantity.
    {
        **_BEDROCK,
        **_owner("search", "CC-300", "search", "semantic_search", "production"),
        "allocated_cost_id": "a-bedrock-search",
        "billed_cost": Decimal("0.456"),
        "effective_cost": Decimal("0.456"),
        "contracted_cost": Decimal("0.456"),
        "list_cost": Decimal("0.48"),
        "pricing_quantity": Decimal("600"),
        "consumed_quantity": Decimal("600000"),
        "allocated_method_details": json.dumps({"basis": "list_cost", "share": 0.6}),
        "uncached_input_tokens": 600000,
        "allocated_tokens": 600000,
        "allocated_requests": 12,
        "source_row": 540,
    },
    {
        **_BEDROCK,
        **_owner("docs", "CC-200", "docs_portal", "document_summarisation", "development"),
        "allocated_cost_id": "a-bedrock-docs",
        "billed_cost": Decimal("0.304"),
        "effective_cost": Decimal("0.304"),
        "contracted_cost": Decimal("0.304"),
        "list_cost": Decimal("0.32"),
        "pricing_quantity": Decimal("400"),
        "consumed_quantity": Decimal("400000"),
        "allocated_method_details": json.dumps({"basis": "list_cost", "share": 0.4}),
        "uncached_input_tokens": 400000,
        "allocated_tokens": 400000,
        "allocated_requests": 8,
        "source_row": 540,
    },
    # A promotional credit: negative costs, no quantities, prices or SKU.
    {
        **{k: v for k, v in _BEDROCK.items() if not k.startswith(("consumed", "pricing"))},
        **_owner("search", "CC-300", "search", "semantic_search", "production"),
        "allocated_cost_id": "a-credit-search",
        "charge_id": "focus:credit-0001",
        "charge_category": "Credit",
        "charge_frequency": "One-Time",
        "charge_description": "AWS Activate promotional credit - Amazon Bedrock",
        "charge_period_start": "2026-07-01 00:00:00+00",
        "charge_period_end": "2026-07-02 00:00:00+00",
        "charge_date": "2026-07-01",
        "billed_cost": Decimal("-12.5"),
        "effective_cost": Decimal("-12.5"),
        "contracted_cost": Decimal("-12.5"),
        "list_cost": Decimal("-12.5"),
        "list_unit_price": None,
        "contracted_unit_price": None,
        "resource_id": None,
        "resource_name": None,
        "resource_type": None,
        "sku_id": None,
        "sku_price_id": None,
        "sku_meter": None,
        "tags": None,
        "token_part": None,
        "allocated_method_id": "rule:bedrock_credits",
        "allocated_method_details": json.dumps({"basis": "list_cost", "share": 1.0}),
        "uncached_input_tokens": 0,
        "allocated_tokens": 0,
        "allocated_requests": 0,
        "source_row": 15,
    },
    # A prepaid purchase (Scale Tier prepayment): it covers future usage, so EffectiveCost is
    # 0 (EffectiveCost-C-005-C); its description tries a spreadsheet formula.
    {
        **_OPENAI_JULY_BILL,
        **_owner("support", "CC-100", "shared", "shared", "shared"),
        "allocated_cost_id": "a-purchase-support",
        "billed_cost": Decimal("500"),
        "effective_cost": Decimal("0"),
        "contracted_cost": Decimal("500"),
        "list_cost": Decimal("500"),
        "list_unit_price": Decimal("500"),
        "contracted_unit_price": Decimal("500"),
        "pricing_quantity": Decimal("1"),
        "pricing_unit": "Units",
        "pricing_category": "Standard",
        "charge_period_start": "2026-07-01 00:00:00+00",
        "charge_period_end": "2026-07-02 00:00:00+00",
        "charge_category": "Purchase",
        "charge_frequency": "One-Time",
        "charge_description": FORMULA,
        "sku_id": "openai:scale-tier-prepayment",
        "sku_price_id": "openai:scale-tier-prepayment:2026",
        "sku_meter": "Prepayment",
        "allocated_method_id": "rule:openai_platform_fee",
        "allocated_method_details": json.dumps({"basis": "fixed_percentage", "share": 1.0}),
        "charge_id": "openai:fee-0001",
        "charge_date": "2026-07-01",
        "model_id": "shared",
        "is_batch": False,
        "is_unallocated": False,
        "uncached_input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "allocated_tokens": 0,
        "allocated_requests": 0,
        "source_file": "openai/costs/page_0001.json",
        "source_row": 1,
    },
    # OpenAI output tokens no owner could be found for; owner text fields try formulas.
    {
        **_OPENAI_JULY_BILL,
        **_owner("unallocated", "unallocated", "-2+3", "+cmd|' /C calc'!A0", "production"),
        "feature": "@SUM(A1:A9)",
        "allocated_cost_id": "a-unallocated",
        "billed_cost": Decimal("0.0006"),
        "effective_cost": Decimal("0.0006"),
        "contracted_cost": Decimal("0.0006"),
        "list_cost": Decimal("0.0006"),
        "list_unit_price": Decimal("0.6"),
        "contracted_unit_price": Decimal("0.6"),
        "pricing_quantity": Decimal("0.001"),
        "pricing_unit": "1000000 Tokens",
        "pricing_category": "Standard",
        "consumed_quantity": Decimal("1000"),
        "consumed_unit": "Tokens",
        "charge_period_start": "2026-07-16 00:00:00+00",
        "charge_period_end": "2026-07-17 00:00:00+00",
        "charge_category": "Usage",
        "charge_frequency": "Usage-Based",
        "charge_description": "gpt-4o-mini, output",
        "sku_id": "openai:gpt-4o-mini:output",
        "sku_price_id": "openai:gpt-4o-mini:output:2024-07-18",
        "sku_meter": "Output Tokens",
        "sub_account_id": "proj_default",
        "sub_account_name": "Default project",
        "allocated_method_id": "unallocated",
        "allocated_method_details": json.dumps({"basis": "list_cost", "share": 1.0}),
        "charge_id": "openai:usage-0001",
        "charge_date": "2026-07-16",
        "model_id": "gpt-4o-mini",
        "token_part": "output",
        "is_batch": False,
        "is_unallocated": True,
        "unallocated_reason": "no usage logged for this model, sub-account and day",
        "uncached_input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 1000,
        "reasoning_tokens": 0,
        "allocated_tokens": 1000,
        "allocated_requests": 0,
        "source_file": "openai/costs/page_0003.json",
        "source_row": 45,
    },
]


def _make_warehouse(path: Path, columns: list[tuple[str, str]]) -> Path:
    names = [name for name, _ in columns]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        ddl = ", ".join(f"{name} {data_type}" for name, data_type in columns)
        con.execute(f"create table marts.fct_allocated_costs ({ddl})")
        for row in ROWS:
            unknown = set(row) - {name for name, _ in FACT_COLUMNS + PROPOSED_COLUMNS}
            assert not unknown, f"test row has columns the fact lacks: {unknown}"
            con.execute(
                f"insert into marts.fct_allocated_costs ({', '.join(names)}) "
                f"values ({', '.join('?' for _ in names)})",
                [row.get(name) for name in names],
            )
    return path


def _export(tmp: Path, columns: list[tuple[str, str]]) -> tuple[dict[str, Any], Path]:
    db = _make_warehouse(tmp / "warehouse.duckdb", columns)
    out = tmp / "exports"
    with duckdb.connect(str(db), read_only=True) as con:
        # Not UTC on purpose: exported date/times must come out in UTC whatever the session zone.
        con.execute("set TimeZone = 'America/New_York'")
        meta = export_focus(con, out)
    return meta, out


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The fact as the proposed model fix would have it (with SubAccountName, SkuPriceId)."""
    return _export(tmp_path_factory.mktemp("focus_export"), FACT_COLUMNS + PROPOSED_COLUMNS)


@pytest.fixture(scope="module")
def exported_current(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The fact exactly as fct_allocated_costs is today."""
    return _export(tmp_path_factory.mktemp("focus_export_current"), FACT_COLUMNS)


def _csv_rows(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    with (out / CSV_NAME).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _parquet_schema(out: Path) -> dict[str, str]:
    with duckdb.connect() as con:
        rows = con.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))",
            [str(out / PARQUET_NAME)],
        ).fetchall()
    return {name: data_type for name, data_type in rows}


def _columns(row: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """The row's values of the named columns."""
    return {name: row[name] for name in names}


# The Bedrock charge's dates and times in the CSV: UTC, whatever the session's time zone.
EXPECTED_UTC_TEXT = {
    "BillingPeriodStart": "2026-07-01T00:00:00Z",
    "BillingPeriodEnd": "2026-08-01T00:00:00Z",
    "ChargePeriodStart": "2026-07-21T00:00:00Z",
    "ChargePeriodEnd": "2026-07-22T00:00:00Z",
    "x_ChargeDate": "2026-07-21",
}


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["x_AllocatedCostId"]: row for row in rows}


def test_column_names(exported_current: tuple[dict[str, Any], Path]) -> None:
    meta, out = exported_current
    header, _ = _csv_rows(out)

    assert header == meta["columns"] == list(_parquet_schema(out))
    focus = [c for c in header if not c.startswith("x_")]
    custom = [c for c in header if c.startswith("x_")]
    assert set(focus) <= set(FOCUS_COLUMNS)
    # FOCUS columns first, the custom ones after (ColumnHandling: not intermixed)
    assert header == focus + custom
    for name in (
        "BilledCost",
        "BillingAccountId",
        "SubAccountId",
        "ServiceSubcategory",
        "AllocatedMethodDetails",
        "AllocatedMethodId",
        "AllocatedResourceId",
        "AllocatedResourceName",
        "AllocatedTags",
        "HostProviderName",
        "ServiceProviderName",
        "Tags",
    ):
        assert name in focus
    # the validator's columns: SkuMeter from the fact, the other two added as nulls
    assert {"SkuMeter", "SkuPriceDetails", "CommitmentDiscountStatus"} <= set(focus)
    assert meta["added_columns"] == ["SkuPriceDetails"]
    assert custom == [
        "x_AllocatedCostId",
        "x_ChargeId",
        "x_ProviderId",
        "x_ChargeDate",
        "x_TeamId",
        "x_CostCenterId",
        "x_Product",
        "x_UseCase",
        "x_Feature",
        "x_Environment",
        "x_ModelId",
        "x_TokenPart",
        "x_IsBatch",
        "x_IsUnallocated",
        "x_UnallocatedReason",
        "x_UncachedInputTokens",
        "x_CacheReadTokens",
        "x_CacheWriteTokens",
        "x_OutputTokens",
        "x_ReasoningTokens",
        "x_AllocatedTokens",
        "x_AllocatedRequests",
        "x_SourceSystem",
        "x_SourceFile",
        "x_SourceRow",
        "x_ReportingCurrency",
        "x_FxRateDate",
        "x_FxRate",
        "x_BilledCostReporting",
        "x_EffectiveCostReporting",
        "x_ListCostReporting",
        "x_ContractedCostReporting",
    ]
    # only the two files, no temporary leftovers
    assert sorted(p.name for p in out.iterdir()) == sorted([CSV_NAME, PARQUET_NAME])


def test_proposed_columns_export_under_focus_names(
    exported: tuple[dict[str, Any], Path],
) -> None:
    meta, _ = exported
    assert {"SubAccountName", "SkuPriceId"} <= set(meta["columns"])


def test_types_and_dates(exported_current: tuple[dict[str, Any], Path]) -> None:
    _, out = exported_current
    schema = _parquet_schema(out)
    for money in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice"):
        assert schema[money] == "DECIMAL(38,10)"
    for when in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        assert schema[when] == "TIMESTAMP WITH TIME ZONE"
    # HUGEINT would reach Parquet as DOUBLE
    assert schema["x_AllocatedTokens"] == "BIGINT"
    assert schema["Tags"] == schema["AllocatedTags"] == "VARCHAR"

    _, rows = _csv_rows(out)
    assert _columns(_by_id(rows)["a-bedrock-search"], EXPECTED_UTC_TEXT) == EXPECTED_UTC_TEXT
    with duckdb.connect() as con:
        first = con.execute(
            "select BillingPeriodStart from read_parquet(?) limit 1", [str(out / PARQUET_NAME)]
        ).fetchone()[0]
    assert first.utcoffset().total_seconds() == 0
    assert (first.year, first.month, first.day, first.hour) == (2026, 7, 1, 0)


def test_json_columns(exported_current: tuple[dict[str, Any], Path]) -> None:
    meta, out = exported_current
    _, rows = _csv_rows(out)
    for row in rows:
        for column in ("AllocatedMethodDetails", "AllocatedTags"):
            assert isinstance(json.loads(row[column]), dict)
        assert row["Tags"] == "" or isinstance(json.loads(row["Tags"]), dict)
        assert row["SkuPriceDetails"] == ""
        assert row["CommitmentDiscountStatus"] == ""
    assert json.loads(_by_id(rows)["a-bedrock-search"]["Tags"]) == {"aws:createdBy": "bedrock"}
    assert json.loads(_by_id(rows)["a-bedrock-docs"]["AllocatedMethodDetails"])["share"] == 0.4
    assert set(meta["json_values_nulled"].values()) == {0}


def test_formula_neutralisation(exported_current: tuple[dict[str, Any], Path]) -> None:
    meta, out = exported_current
    _, rows = _csv_rows(out)
    rows_by_id = _by_id(rows)
    purchase = rows_by_id["a-purchase-support"]
    unallocated = rows_by_id["a-unallocated"]
    credit = rows_by_id["a-credit-search"]

    assert purchase["ChargeDescription"] == "'" + FORMULA
    assert unallocated["x_Feature"] == "'@SUM(A1:A9)"
    assert unallocated["x_UseCase"] == "'+cmd|' /C calc'!A0"
    assert unallocated["x_Product"] == "'-2+3"
    assert meta["neutralised_cells"] == 4
    # numbers are never touched: a negative cost stays a number
    assert credit["BilledCost"] == "-12.5000000000"
    assert credit["EffectiveCost"] == "-12.5000000000"
    # the Parquet file keeps the data verbatim
    with duckdb.connect() as con:
        raw = con.execute(
            "select ChargeDescription from read_parquet(?) where x_AllocatedCostId = ?",
            [str(out / PARQUET_NAME), "a-purchase-support"],
        ).fetchone()[0]
    assert raw == FORMULA


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e-5", "-1e-5"),
        ("-.5", "-.5"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralise_rule(value: str | None, expected: str | None) -> None:
    with duckdb.connect() as con:
        got = con.execute(
            f"select {neutralise_formula_sql('v')} from (select cast(? as varchar) as v)", [value]
        ).fetchone()[0]
    assert got == expected


def test_decimal_text(exported_current: tuple[dict[str, Any], Path]) -> None:
    _, out = exported_current
    _, rows = _csv_rows(out)
    expected = {
        "BilledCost": "0.4560000000",
        "ListUnitPrice": "0.0008000000",
        "PricingQuantity": "600.0000000000",
        "x_AllocatedTokens": "600000",
    }
    assert _columns(_by_id(rows)["a-bedrock-search"], expected) == expected
    for row in rows:
        for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
            assert "e" not in row[column].lower()
            Decimal(row[column])  # plain decimal text


def test_billed_cost_sum_is_exact(exported_current: tuple[dict[str, Any], Path]) -> None:
    meta, out = exported_current
    db = out.parent / "warehouse.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        fact_sum = con.execute("select sum(billed_cost) from marts.fct_allocated_costs").fetchone()[
            0
        ]
        parquet_sum = con.execute(
            'select sum("BilledCost") from read_parquet(?)', [str(out / PARQUET_NAME)]
        ).fetchone()[0]
    _, rows = _csv_rows(out)
    csv_sum = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))

    assert fact_sum == Decimal("488.2606")
    assert parquet_sum == fact_sum
    assert csv_sum == fact_sum
    assert meta["billed_cost_sum"] == fact_sum
    assert meta["billed_cost_sum_parquet"] == meta["billed_cost_sum_csv"] == fact_sum
    assert meta["billed_cost_sum_by_currency"] == {"USD": fact_sum}
    assert meta["row_count"] == len(rows) == len(ROWS)


def test_failed_export_keeps_previous_files(tmp_path: Path) -> None:
    meta, out = _export(tmp_path, FACT_COLUMNS)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        # a fact that fails half-way through writing (only the COPY reads x_SourceRow)
        con.execute(
            "create view marts.broken as select * replace (case when billed_cost is not null "
            "then cast(error('boom') as bigint) end as source_row) from marts.fct_allocated_costs"
        )
    with (
        duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con,
        pytest.raises(duckdb.Error, match="boom"),
    ):
        export_focus(con, out, table="marts.broken")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert meta["row_count"] == len(ROWS)


@pytest.fixture
def _require_validator() -> None:
    require_focus_validator()


@pytest.mark.focus_validator
@pytest.mark.usefixtures("_require_validator")
@pytest.mark.parametrize("file_name", [PARQUET_NAME, CSV_NAME])
def test_validator_passes_export(exported: tuple[dict[str, Any], Path], file_name: str) -> None:
    _, out = exported
    result = run_focus_validator(out / file_name)

    assert result.ok, result.summary()
    assert result.ignored_failures == ["InvoiceId-C-004-C"]
    assert result.total > 100
    assert result.passed > 50


@pytest.mark.focus_validator
@pytest.mark.usefixtures("_require_validator")
def test_validator_flags_only_missing_columns_of_current_fact(
    exported_current: tuple[dict[str, Any], Path],
) -> None:
    """Today's fact lacks SubAccountName and SkuPriceId; nothing else fails (see above)."""
    _, out = exported_current
    result = run_focus_validator(out / PARQUET_NAME)

    assert not result.ok
    assert {"CostAndUsage-D-029-C", "CostAndUsage-D-058-C"} <= set(result.failed_rules)
    missing_families = ("SubAccountName-", "SkuPriceId-", "SkuPriceDetails-", "CostAndUsage-D-")
    assert [r for r in result.failed_rules if not r.startswith(missing_families)] == []
