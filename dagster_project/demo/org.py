"""The fictional company behind the demo data: Northwind Labs, its teams, products and AI workloads.

Ids here must match the org seeds in `seeds/` (a test checks it): the generator writes raw logs
the way the company's gateway and services emit them, and the seeds are how the warehouse maps
those logs back to owners.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Workload:
    """One feature of one use case, served by one model through one channel."""

    use_case: str
    team_id: str
    product: str
    feature: str
    channel: str  # "litellm" (gateway spend logs) or "otel" (GenAI spans)
    provider_id: str  # openai, anthropic, aws_bedrock, self_hosted
    model_as_logged: str  # raw name in the log; aliases are normalised by the seed
    share: float  # share of all requests
    input_tokens_median: int
    output_tokens_median: int
    cache_read_rate: float = 0.0  # share of requests that read a prompt cache
    cache_write_rate: float = 0.0  # share of requests that write one (Anthropic-style)
    reasoning: bool = False
    batch_rate: float = 0.0
    service_name: str | None = None  # OTel resource service.name


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "support_assistant",
        "support",
        "helpdesk",
        "ticket_triage",
        "litellm",
        "openai",
        "gpt-4o-mini",
        0.135,
        1200,
        150,
        cache_read_rate=0.5,
        batch_rate=0.4,
    ),
    Workload(
        "support_assistant",
        "support",
        "helpdesk",
        "reply_draft",
        "litellm",
        "anthropic",
        "claude-sonnet-4-20250514",
        0.105,
        2600,
        420,
        cache_read_rate=0.55,
        cache_write_rate=0.1,
    ),
    Workload(
        "support_assistant",
        "support",
        "helpdesk",
        "reply_draft",
        "litellm",
        "openai",
        "gpt-4o-2024-08-06",
        0.06,
        2400,
        380,
        cache_read_rate=0.4,
    ),
    Workload(
        "document_summarisation",
        "docs",
        "docs_portal",
        "contract_summary",
        "otel",
        "aws_bedrock",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        0.072,
        8000,
        600,
        cache_read_rate=0.3,
        cache_write_rate=0.05,
        batch_rate=0.2,
        service_name="docsum-worker",
    ),
    Workload(
        "document_summarisation",
        "docs",
        "docs_portal",
        "meeting_notes",
        "otel",
        "aws_bedrock",
        "amazon.nova-pro-v1:0",
        0.048,
        4200,
        500,
        service_name="docsum-worker",
    ),
    Workload(
        "code_assistant",
        "devex",
        "devtools",
        "code_review",
        "litellm",
        "anthropic",
        "claude-sonnet-4-20250514",
        0.11,
        6000,
        700,
        cache_read_rate=0.6,
        cache_write_rate=0.12,
    ),
    Workload(
        "code_assistant",
        "devex",
        "devtools",
        "completion",
        "litellm",
        "openai",
        "o3-mini",
        0.09,
        1500,
        900,
        cache_read_rate=0.3,
        reasoning=True,
    ),
    Workload(
        "semantic_search",
        "search",
        "search",
        "query_embedding",
        "litellm",
        "openai",
        "text-embedding-3-small",
        0.108,
        60,
        0,
    ),
    Workload(
        "semantic_search",
        "search",
        "search",
        "answer_synthesis",
        "otel",
        "self_hosted",
        "meta-llama/Llama-3.1-8B-Instruct",
        0.072,
        1800,
        250,
        service_name="search-answer-api",
    ),
    Workload(
        "marketing_copy",
        "growth",
        "marketing_site",
        "ad_copy",
        "litellm",
        "anthropic",
        "claude-3-5-haiku-20241022",
        0.04,
        600,
        220,
    ),
    Workload(
        "marketing_copy",
        "growth",
        "marketing_site",
        "email_campaign",
        "litellm",
        "openai",
        "gpt-4o",
        0.04,
        900,
        350,
    ),
    Workload(
        "internal_analytics",
        "data",
        "analytics_hub",
        "sql_generation",
        "otel",
        "aws_bedrock",
        "meta.llama3-1-70b-instruct-v1:0",
        0.06,
        2000,
        300,
        service_name="analytics-copilot",
    ),
    Workload(
        "internal_analytics",
        "data",
        "analytics_hub",
        "report_narrative",
        "otel",
        "aws_bedrock",
        "amazon.nova-lite-v1:0",
        0.06,
        3000,
        450,
        service_name="analytics-copilot",
    ),
)

# A model the price catalog has never heard of: early-access traffic the warehouse must flag,
# never price at zero.
UNKNOWN_MODEL = "claude-nimbus-preview"

ENVIRONMENTS = (
    ("production", 0.70),
    ("staging", 0.10),
    ("development", 0.12),
    ("experiment", 0.08),
)

LITELLM_TEAM_IDS = {
    "support": "team-7f3a91",
    "docs": "team-2b8e44",
    "devex": "team-9c1d07",
    "search": "team-4e6f12",
    "growth": "team-1a5b88",
    "data": "team-6d2c35",
}
API_KEYS = {
    "support": "sk-hash-5f1e0c2a9b",
    "devex": "sk-hash-2c9e4f0d18",
    "search": "sk-hash-7b0a6e3f52",
    "growth": "sk-hash-4d8c1a9e07",
}
UNMAPPED_API_KEY = "sk-hash-00de4db33f"

OPENAI_PROJECTS = {
    "support": "proj_support",
    "devex": "proj_devex",
    "search": "proj_search",
    "growth": "proj_growth",
}
OPENAI_DEFAULT_PROJECT = "proj_default"
OPENAI_UNLOGGED_PROJECT = "proj_research"
ANTHROPIC_WORKSPACES = {
    "support": "wrkspc_support",
    "devex": "wrkspc_devex",
    "growth": "wrkspc_growth",
}
ANTHROPIC_DEFAULT_WORKSPACE = "wrkspc_default"
AWS_PAYER_ACCOUNT = "999988887777"
AWS_PROD_ACCOUNT = "111122223333"
AWS_NONPROD_ACCOUNT = "444455556666"
# The EU entity's own AWS payer account and member account: billed in EUR (README, "FX").
AWS_EU_PAYER_ACCOUNT = "777766665555"
AWS_EU_ACCOUNT = "222233334444"

# What each vendor takes off list price on the invoice (negotiated discounts).
DISCOUNTS = {"openai": "0", "anthropic": "0.12", "aws": "0.05", "azure": "0.08", "gcp": "0"}

PRODUCTS = ("helpdesk", "docs_portal", "devtools", "search", "marketing_site", "analytics_hub")
PRODUCT_TEAM = {
    "helpdesk": "support",
    "docs_portal": "docs",
    "devtools": "devex",
    "search": "search",
    "marketing_site": "growth",
    "analytics_hub": "data",
}

# Cloud AI: Azure OpenAI through one subscription, Vertex AI through one GCP project, both
# called through the gateway (LiteLLM custom_llm_provider azure / vertex_ai) and billed in the
# clouds' FOCUS exports (demo/generator.py _write_cloud_ai). Production and staging only, on a
# team without budgets, so the demo's budget crossings stay as they were.
CLOUD_AI_ENVIRONMENTS = (("production", 0.85), ("staging", 0.15))
AZURE_BILLING_ACCOUNT = "/providers/Microsoft.Billing/billingAccounts/8611537"
AZURE_SUBSCRIPTION = "/subscriptions/6f1c2a4e-83b7-4d29-9e05-1b7d4c2f9a31"
GCP_BILLING_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"
GCP_PROJECT = "northwind-genai-prod"
CLOUD_AI_WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "marketing_copy",
        "growth",
        "marketing_site",
        "landing_page_copy",
        "litellm",
        "azure_openai",
        "gpt-4.1-2025-04-14",
        0.05,
        2500,
        300,
        cache_read_rate=0.3,
        batch_rate=0.1,
    ),
    Workload(
        "marketing_copy",
        "growth",
        "marketing_site",
        "ad_variants",
        "litellm",
        "gcp_vertex_ai",
        "gemini-2.5-flash",
        0.05,
        900,
        350,
        cache_read_rate=0.2,
        batch_rate=0.15,
    ),
)
# How each cloud names the model on its meter / SKU (the model family, not the log's snapshot)
AZURE_METER_MODEL = {"gpt-4.1-2025-04-14": "gpt 4.1"}
VERTEX_SKU_MODEL = {"gemini-2.5-flash": "Gemini 2.5 Flash GA"}
# Provisioned throughput units the Azure subscription keeps reserved, billed per PTU hour
AZURE_PTUS = 1
AZURE_PTU_HOURLY_USD = Decimal("1")
