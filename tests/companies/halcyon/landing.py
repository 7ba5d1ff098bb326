"""Landing files of Halcyon Maps, a fictional second company: a few dozen requests and a
handful of bill lines, small enough to allocate by hand (tests/test_second_company.py).

Halcyon uses three sources only: LiteLLM gateway logs (OpenAI and Bedrock traffic), OpenAI
Costs API pages and an AWS FOCUS export (Bedrock token lines and an AWS support plan fee). No
OpenTelemetry, no Anthropic, no business drivers. Model ids are written as the providers write
them (a dated OpenAI snapshot, a Bedrock cross-region inference profile), and the traffic
runs late in the UTC evening and just after UTC midnight, so a day boundary taken in any other
time zone moves requests to the wrong bill day.

Every figure below is chosen so that the allocation can be checked by hand: see the
arithmetic beside EXPECTED_* in tests/test_second_company.py.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

SEEDS_DIR = Path(__file__).parent / "seeds"

OPENAI_MODEL = "gpt-4o-2024-08-06"
BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
DAY_1 = datetime(2026, 3, 30, tzinfo=UTC)
DAY_2 = datetime(2026, 3, 31, tzinfo=UTC)
AWS_PAYER = "210987654321"
AWS_ML_ACCOUNT = "555566667777"


@dataclass(frozen=True)
class RequestGroup:
    """`count` identical requests, one a minute from `first` (UTC)."""

    name: str
    first: datetime
    count: int
    provider: str  # LiteLLM's custom_llm_provider
    model: str
    api_key: str
    litellm_team_id: str | None
    prompt_tokens: int
    completion_tokens: int
    tags: tuple[str, ...]


ROUTE_TAGS = ("env:prod", "product:courier_app", "use_case:eta_explanations", "feature:eta_why")
ATLAS_TAGS = ("env:prod", "product:map_studio", "use_case:poi_descriptions", "feature:poi_blurb")
FIELD_TAGS = ("env:prod", "product:dispatch_console", "use_case:route_notes", "feature:notes")

REQUESTS = (
    # OpenAI, day 1, 23:40 to 23:45 UTC: route_planning's own project (proj_route_live)
    RequestGroup("rp1", DAY_1.replace(hour=23, minute=40), 6, "openai", OPENAI_MODEL,
                 "hk-live-route-01", "lt-rp-01", 400_000, 50_000, ROUTE_TAGS),
    # OpenAI, day 1, 23:30 UTC: atlas_content has no project: the gateway default one
    RequestGroup("ac1", DAY_1.replace(hour=23, minute=30), 4, "openai", OPENAI_MODEL,
                 "hk-live-atlas-02", "lt-ac-02", 300_000, 40_000, ATLAS_TAGS),
    # OpenAI, day 1, 22:50 UTC: a key nobody mapped, no team, no tags: owner 'unassigned'
    RequestGroup("un1", DAY_1.replace(hour=22, minute=50), 2, "openai", OPENAI_MODEL,
                 "hk-unknown-99", None, 300_000, 40_000, ()),
    # OpenAI, day 2, 00:05 UTC
    RequestGroup("rp2", DAY_2.replace(hour=0, minute=5), 5, "openai", OPENAI_MODEL,
                 "hk-live-route-01", "lt-rp-01", 400_000, 50_000, ROUTE_TAGS),
    # Bedrock, day 1, 23:20 UTC: field_ops is known by its API key only
    RequestGroup("fo1", DAY_1.replace(hour=23, minute=20), 3, "bedrock", BEDROCK_MODEL,
                 "hk-live-field-03", None, 200_000, 20_000, FIELD_TAGS),
    RequestGroup("ac2", DAY_1.replace(hour=23, minute=55), 1, "bedrock", BEDROCK_MODEL,
                 "hk-live-atlas-02", "lt-ac-02", 600_000, 30_000, ATLAS_TAGS),
    # Bedrock, day 2, 00:10 UTC
    RequestGroup("fo2", DAY_2.replace(hour=0, minute=10), 2, "bedrock", BEDROCK_MODEL,
                 "hk-live-field-03", None, 200_000, 20_000, FIELD_TAGS),
)  # fmt: skip

# OpenAI Costs API lines: (day, project, line item, quantity, amount in USD): gpt-4o at list,
# $2.50 / $10.00 per million input / output tokens
OPENAI_LINES = (
    (DAY_1, "proj_route_live", f"{OPENAI_MODEL}, input", 2_400_000, "6.00"),
    (DAY_1, "proj_route_live", f"{OPENAI_MODEL}, output", 300_000, "3.00"),
    (DAY_1, "proj_shared_gw", f"{OPENAI_MODEL}, input", 1_800_000, "4.50"),
    (DAY_1, "proj_shared_gw", f"{OPENAI_MODEL}, output", 240_000, "2.40"),
    (DAY_2, "proj_route_live", f"{OPENAI_MODEL}, input", 2_000_000, "5.00"),
    (DAY_2, "proj_route_live", f"{OPENAI_MODEL}, output", 250_000, "2.50"),
    # billed, never logged: a sandbox project that calls the API directly
    (DAY_2, "proj_sandbox", f"{OPENAI_MODEL}, input", 400_000, "1.00"),
    (DAY_2, None, "Monthly reserved capacity fee", None, "12.00"),
)

# AWS FOCUS Bedrock rows: (day, usage type suffix, tokens, list cost, billed cost): list
# $3.30 / $16.50 per million input / output tokens (regional profile), billed 3% off list
BEDROCK_LINES = (
    (DAY_1, "input-tokens", 1_200_000, "3.96", "3.8412"),
    (DAY_1, "output-tokens", 90_000, "1.485", "1.44045"),
    (DAY_2, "input-tokens", 400_000, "1.32", "1.2804"),
    (DAY_2, "output-tokens", 40_000, "0.66", "0.6402"),
)
SUPPORT_FEE = "100.00"


def _litellm_line(group: RequestGroup, n: int) -> str:
    start = group.first + timedelta(minutes=n, seconds=7, milliseconds=250)
    record = {
        "request_id": f"hx-{group.name}-{n:03d}",
        "call_type": "acompletion",
        "api_key": group.api_key,
        "spend": 0,
        "total_tokens": group.prompt_tokens + group.completion_tokens,
        "prompt_tokens": group.prompt_tokens,
        "completion_tokens": group.completion_tokens,
        "startTime": start.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "endTime": (start + timedelta(seconds=3)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "model": group.model,
        "custom_llm_provider": group.provider,
        "user": "",
        "metadata": {
            "user_api_key_alias": group.api_key[:7],
            "usage_object": {
                "prompt_tokens": group.prompt_tokens,
                "completion_tokens": group.completion_tokens,
            },
        },
        "cache_hit": "False",
        "request_tags": list(group.tags),
        "team_id": group.litellm_team_id,
        "organization_id": "org-hx4Kq9TzHalcyon",
        "status": "success",
    }
    return json.dumps(record)


def _openai_page(lines: tuple) -> str:
    buckets = []
    for day in (DAY_1, DAY_2):
        results = []
        for line_day, project, item, quantity, amount in lines:
            if line_day != day:
                continue
            # the amount is written as a bare JSON number with exactly these digits
            results.append(
                '{"object": "organization.costs.result", "amount": {"value": '
                + str(Decimal(amount))
                + ', "currency": "usd"}, "line_item": '
                + json.dumps(item)
                + ', "project_id": '
                + json.dumps(project)
                + ', "api_key_id": null, "quantity": '
                + json.dumps(quantity)
                + ', "quantity_unit": '
                + json.dumps("tokens" if quantity else None)
                + "}"
            )
        start = int(day.timestamp())
        buckets.append(
            f'{{"object": "bucket", "start_time": {start}, "end_time": {start + 86400}, '
            f'"results": [{", ".join(results)}]}}'
        )
    data = ", ".join(buckets)
    return f'{{"object": "page", "data": [{data}], "has_more": false, "next_page": null}}'


FOCUS_HEADER = (
    "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "InvoiceId",
    "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceProviderName",
    "HostProviderName", "SubAccountId", "SubAccountName", "SubAccountType", "RegionId",
    "RegionName", "ServiceCategory", "ServiceSubcategory", "ServiceName", "ResourceId",
    "ResourceName", "ResourceType", "SkuId", "SkuPriceId", "SkuMeter", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice",
    "ConsumedQuantity", "ConsumedUnit", "ListCost", "ContractedCost", "BilledCost",
    "EffectiveCost", "CommitmentDiscountId", "CommitmentDiscountStatus", "Tags",
    "x_ServiceCode", "x_UsageType", "x_Operation",
)  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _focus_rows() -> list[dict[str, str]]:
    period = {
        "BillingAccountId": AWS_PAYER,
        "BillingAccountName": "Halcyon Maps Management",
        "BillingAccountType": "Billing Account",
        "BillingCurrency": "USD",
        "BillingPeriodStart": "2026-03-01T00:00:00Z",
        "BillingPeriodEnd": "2026-04-01T00:00:00Z",
        "InvoiceId": "HX-AWS-2603",
        "InvoiceIssuerName": "AWS",
        "ProviderName": "AWS",
        "PublisherName": "AWS",
        "ServiceProviderName": "AWS",
        "HostProviderName": "AWS",
        "SubAccountType": "Account",
        "RegionId": "us-west-2",
        "RegionName": "US West (Oregon)",
        "PricingCategory": "Standard",
    }
    rows = []
    for day, kind, tokens, list_cost, billed in BEDROCK_LINES:
        per_k_list = Decimal(list_cost) * 1000 / tokens
        rows.append(
            period
            | {
                "ChargePeriodStart": _iso(day),
                "ChargePeriodEnd": _iso(day + timedelta(days=1)),
                "ChargeCategory": "Usage",
                "ChargeDescription": f"Claude Sonnet 4.5 {kind} (cross-region inference)",
                "ChargeFrequency": "Usage-Based",
                "SubAccountId": AWS_ML_ACCOUNT,
                "SubAccountName": "halcyon-ml-prod",
                "ServiceCategory": "AI and Machine Learning",
                "ServiceSubcategory": "Generative AI",
                "ServiceName": "Amazon Bedrock",
                "ResourceId": "arn:aws:bedrock:us-west-2:"
                + AWS_ML_ACCOUNT
                + ":inference-profile/"
                + BEDROCK_MODEL,
                "ResourceName": BEDROCK_MODEL,
                "ResourceType": "Inference Profile",
                "SkuId": f"HX-SONNET45-{kind}",
                "SkuPriceId": f"HX-SONNET45-{kind}-USW2",
                "SkuMeter": kind,
                "PricingQuantity": str(Decimal(tokens) / 1000),
                "PricingUnit": "1000 Tokens",
                "ListUnitPrice": str(per_k_list),
                "ContractedUnitPrice": str(per_k_list * Decimal("0.97")),
                "ConsumedQuantity": str(tokens),
                "ConsumedUnit": "Tokens",
                "ListCost": list_cost,
                "ContractedCost": billed,
                "BilledCost": billed,
                "EffectiveCost": billed,
                "Tags": '{"cost-team": "ml-platform"}',
                "x_ServiceCode": "AmazonBedrock",
                "x_UsageType": f"USW2-claude-sonnet-4-5-{kind}",
                "x_Operation": "InvokeModel",
            }
        )
    rows.append(
        period
        | {
            "ChargePeriodStart": "2026-03-01T00:00:00Z",
            "ChargePeriodEnd": "2026-04-01T00:00:00Z",
            "ChargeCategory": "Usage",
            "ChargeDescription": "AWS Support (Developer) monthly plan fee",
            "ChargeFrequency": "Recurring",
            "SubAccountId": AWS_PAYER,
            "SubAccountName": "halcyon-management",
            "ServiceCategory": "Management and Governance",
            "ServiceSubcategory": "Support",
            "ServiceName": "AWS Support (Developer)",
            "SkuId": "HX-SUPPORT-DEV",
            "SkuPriceId": "HX-SUPPORT-DEV-MONTHLY",
            "SkuMeter": "Support",
            "PricingQuantity": "1",
            "PricingUnit": "Months",
            "ListUnitPrice": SUPPORT_FEE,
            "ContractedUnitPrice": SUPPORT_FEE,
            "ConsumedQuantity": "1",
            "ConsumedUnit": "Months",
            "ListCost": SUPPORT_FEE,
            "ContractedCost": SUPPORT_FEE,
            "BilledCost": SUPPORT_FEE,
            "EffectiveCost": SUPPORT_FEE,
            "x_ServiceCode": "AWSDeveloperSupport",
            "x_UsageType": "Dollar",
        }
    )
    return rows


def build_landing(landing: Path) -> None:
    """Write Halcyon's landing files into `landing` (deterministic: same bytes every time)."""
    litellm = landing / "litellm"
    litellm.mkdir(parents=True, exist_ok=True)
    for day in (DAY_1, DAY_2):
        lines = [
            _litellm_line(group, n)
            for group in REQUESTS
            if group.first.date() == day.date()
            for n in range(group.count)
        ]
        (litellm / f"gateway-{day:%Y%m%d}.jsonl").write_text("\n".join(lines) + "\n")
    costs = landing / "openai" / "costs"
    costs.mkdir(parents=True, exist_ok=True)
    (costs / "costs_2026-03-30_2026-04-01.json").write_text(_openai_page(OPENAI_LINES))
    focus = landing / "focus" / "halcyon-aws-cur" / "data" / "BILLING_PERIOD=2026-03"
    focus.mkdir(parents=True, exist_ok=True)
    with open(focus / "halcyon-aws-cur-00001.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FOCUS_HEADER, lineterminator="\n")
        writer.writeheader()
        for row in _focus_rows():
            writer.writerow({column: row.get(column, "") for column in FOCUS_HEADER})
