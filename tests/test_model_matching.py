"""Model names as providers and gateways write them resolve through genai-prices' own matching
to a model the price catalog prices today; hand aliases win; a name nothing knows stays
unpriced (never priced at zero, never at another vendor's list price)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR, SEEDS_DIR
from dagster_project.transform.prices.model_matching import MATCH_COLUMNS, match_rows, resolve
from tests.conftest import BuiltWarehouse

# One name per line, as logs and bills write it: warehouse provider_id (as staging writes it;
# '-' for none), the name, then the expected catalog provider, catalog model id and how matched.
# Names carry no spaces, so columns are split on whitespace.
RESOLVED_TABLE = """
# Anthropic dated snapshots and -latest names
anthropic claude-sonnet-4-5-20250929 anthropic claude-sonnet-4-5 provider
anthropic claude-opus-4-1-20250805 anthropic claude-opus-4-1 provider
anthropic claude-sonnet-4-20250514 anthropic claude-sonnet-4-0 provider
anthropic claude-opus-4-20250514 anthropic claude-opus-4-0 provider
anthropic claude-haiku-4-5-20251001 anthropic claude-haiku-4-5 provider
anthropic claude-3-7-sonnet-20250219 anthropic claude-3-7-sonnet-latest provider
anthropic claude-3-5-haiku-20241022 anthropic claude-3-5-haiku-latest provider
anthropic claude-3-5-sonnet-20241022 anthropic claude-3-5-sonnet provider
anthropic claude-3-5-sonnet-latest anthropic claude-3-5-sonnet provider
anthropic claude-3-opus-20240229 anthropic claude-3-opus-latest provider
anthropic claude-3-haiku-20240307 anthropic claude-3-haiku provider
anthropic anthropic/claude-sonnet-4-5 anthropic claude-sonnet-4-5 provider_prefix
# OpenAI dated snapshots, gateway prefixes, -latest
openai gpt-4o-2024-08-06 openai gpt-4o provider
openai gpt-4o-2024-11-20 openai gpt-4o provider
openai gpt-4o-mini-2024-07-18 openai gpt-4o-mini provider
openai gpt-4.1-2025-04-14 openai gpt-4.1 provider
openai gpt-4-turbo-2024-04-09 openai gpt-4-turbo provider
openai gpt-3.5-turbo-0125 openai gpt-3.5-turbo provider
openai gpt-5-2025-08-07 openai gpt-5 provider
openai o1-2024-12-17 openai o1 provider
openai o3-mini-2025-01-31 openai o3-mini provider
openai o4-mini-2025-04-16 openai o4-mini provider
openai chatgpt-4o-latest openai chatgpt-4o-latest provider
openai text-embedding-3-small openai text-embedding-3-small provider
openai GPT-4o openai gpt-4o provider
openai openai/gpt-4o openai gpt-4o provider_prefix
openai openai/gpt-4o-mini openai gpt-4o-mini provider_prefix
# Bedrock model ids, cross-region inference profiles, ARNs, LiteLLM's bedrock/ prefix
aws_bedrock anthropic.claude-3-5-sonnet-20240620-v1:0 aws_bedrock regional.anthropic.claude-3-5-sonnet-20240620-v1:0 provider
aws_bedrock us.anthropic.claude-3-7-sonnet-20250219-v1:0 aws_bedrock regional.anthropic.claude-3-7-sonnet-20250219-v1:0 provider
aws_bedrock eu.anthropic.claude-sonnet-4-20250514-v1:0 aws_bedrock regional.anthropic.claude-sonnet-4-20250514-v1:0 provider
aws_bedrock apac.anthropic.claude-3-5-sonnet-20241022-v2:0 aws_bedrock regional.anthropic.claude-3-5-sonnet-20241022-v2:0 provider
aws_bedrock global.anthropic.claude-sonnet-4-5-20250929-v1:0 aws_bedrock global.anthropic.claude-sonnet-4-5-20250929-v1:0 provider
aws_bedrock anthropic.claude-3-5-haiku-20241022-v1:0 aws_bedrock regional.anthropic.claude-3-5-haiku-20241022-v1:0 provider
aws_bedrock arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0 aws_bedrock regional.anthropic.claude-3-5-haiku-20241022-v1:0 provider
aws_bedrock arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0 aws_bedrock regional.anthropic.claude-3-7-sonnet-20250219-v1:0 provider
aws_bedrock bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0 aws_bedrock regional.anthropic.claude-3-7-sonnet-20250219-v1:0 provider
aws_bedrock amazon.nova-pro-v1:0 aws_bedrock amazon.nova-pro-v1:0 provider
aws_bedrock us.amazon.nova-lite-v1:0 aws_bedrock amazon.nova-lite-v1:0 provider
aws_bedrock meta.llama3-1-70b-instruct-v1:0 aws_bedrock meta.llama3-1-70b-instruct-v1:0 provider
aws_bedrock us.meta.llama3-2-11b-instruct-v1:0 aws_bedrock meta.llama3-2-11b-instruct-v1:0 provider
aws_bedrock amazon.titan-embed-text-v2:0 aws_bedrock amazon.titan-embed-text-v2:0 provider
# Azure OpenAI: Azure's own list where genai-prices has one, else its fallback to OpenAI
azure_openai gpt-4o openai gpt-4o provider
azure_openai gpt-35-turbo openai gpt-3.5-turbo provider
azure_openai azure/gpt-4o-mini-2024-07-18 openai gpt-4o-mini provider_prefix
azure_openai o3-mini-2025-01-31 azure_openai o3-mini provider
azure gpt-4o openai gpt-4o provider
# Vertex AI: Claude's @-dated spellings and Gemini versions
gcp_vertex_ai claude-3-5-sonnet-v2@20241022 gcp_vertex_ai claude-3-5-sonnet provider
gcp_vertex_ai claude-3-7-sonnet@20250219 gcp_vertex_ai claude-3-7-sonnet provider
gcp_vertex_ai claude-sonnet-4@20250514 gcp_vertex_ai claude-4-sonnet provider
gcp_vertex_ai gemini-1.5-flash-002 gcp_vertex_ai gemini-1.5-flash provider
gcp_vertex_ai gemini-2.0-flash-001 gcp_vertex_ai gemini-2.0-flash provider
gcp_vertex_ai vertex_ai/gemini-2.5-pro gcp_vertex_ai gemini-2.5-pro provider_prefix
# no provider known (a gateway's 'litellm', an OTel span without gen_ai.provider.name)
litellm anthropic/claude-3-5-sonnet-20241022 anthropic claude-3-5-sonnet model_name
litellm gpt-4o-2024-11-20 openai gpt-4o model_name
- claude-sonnet-4-5-20250929 anthropic claude-sonnet-4-5 model_name
- openai/gpt-4o openai gpt-4o model_name
"""  # noqa: E501 (one name per line reads better than wrapped tuples)
RESOLVED = [
    tuple(None if field == "-" else field for field in line.split())
    for line in RESOLVED_TABLE.splitlines()
    if line.strip() and not line.startswith("#")
]

UNMATCHED = [
    ("anthropic", "claude-nimbus-preview"),  # a model the package does not know
    ("openai", "acme-internal-llm-v2"),
    ("openai", "anthropic/claude-3-5-sonnet-20241022"),  # another vendor's model under openai
    ("self_hosted", "gpt-oss-20b"),  # self-hosted: never billed at a vendor's list price
    ("self_hosted", "meta-llama/Llama-3.1-8B-Instruct"),
    ("hosted_vllm", "claude-3-5-sonnet-20241022"),  # a provider genai-prices does not know
    ("openai", ""),
    ("openai", None),
]


def _catalog_prices_today() -> set[tuple[str, str]]:
    today = date.today().isoformat()
    with open(SEEDS_DIR / "price_catalog.csv", newline="") as handle:
        return {
            (row["provider_id"], row["model_id"])
            for row in csv.DictReader(handle)
            if row["effective_from"] <= today
            and (not row["effective_to"] or today < row["effective_to"])
        }


def test_at_least_forty_real_names():
    assert len({(provider, name) for provider, name, *_ in RESOLVED}) >= 40


@pytest.mark.parametrize(
    ("provider_id", "model_raw", "price_provider", "model_id", "how"), RESOLVED
)
def test_name_resolves_to_a_model_the_catalog_prices_today(
    provider_id, model_raw, price_provider, model_id, how
):
    match = resolve(provider_id, model_raw)
    assert match is not None, f"{provider_id}/{model_raw} did not match"
    assert (match.price_provider_id, match.model_id, match.matched_by) == (
        price_provider,
        model_id,
        how,
    )
    assert (price_provider, model_id) in _catalog_prices_today()


@pytest.mark.parametrize(("provider_id", "model_raw"), UNMATCHED)
def test_unknown_names_and_providers_match_nothing(provider_id, model_raw):
    assert resolve(provider_id, model_raw) is None


def test_match_rows_one_row_per_distinct_matched_pair():
    pairs = [
        ("openai", "gpt-4o-2024-08-06"),
        ("openai", "gpt-4o-2024-08-06"),
        ("azure_openai", "gpt-4o-2024-08-06"),
        ("self_hosted", "gpt-4o-2024-08-06"),
        ("anthropic", "claude-nimbus-preview"),
    ]
    rows = [dict(zip(MATCH_COLUMNS, row, strict=True)) for row in match_rows(pairs)]
    assert [(r["provider_id"], r["price_provider_id"], r["model_id"]) for r in rows] == [
        ("azure_openai", "openai", "gpt-4o"),
        ("openai", "openai", "gpt-4o"),
    ]


# --- through dbt: requests with these names come out priced -------------------------------

DBT = str(Path(sys.executable).parent / "dbt")
# staging is an incremental table: the planted raw rows reach pricing through it
PRICING_MODELS = (
    "stg_litellm__requests int_model_matches int_requests_unioned int_requests_priced"
    " rpt_unpriced_models"
)

# (request id suffix, LiteLLM custom_llm_provider, model as logged)
PLANTED = [
    ("sonnet45", "anthropic", "claude-sonnet-4-5-20250929"),
    ("sonnet45-canonical", "anthropic", "claude-sonnet-4-5"),
    ("opus41", "anthropic", "claude-opus-4-1-20250805"),
    ("prefixed", "openai", "openai/gpt-4o"),
    ("profile", "bedrock", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
    ("deployment", "azure", "prod-gpt4o-eastus"),  # org alias -> gpt-4o
    ("routed", "openai", "gpt-4"),  # org alias gpt-4 -> gpt-4o-mini wins over genai-prices' gpt-4
    ("unknown", "openai", "acme-internal-llm-v2"),
]
ALIASES = [("azure_openai", "prod-gpt4o-eastus", "gpt-4o"), ("openai", "gpt-4", "gpt-4o-mini")]


@pytest.fixture(scope="module")
def repriced(built_warehouse: BuiltWarehouse, tmp_path_factory) -> duckdb.DuckDBPyConnection:
    tmp = tmp_path_factory.mktemp("model_matching")
    warehouse = tmp / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.warehouse_path, warehouse)
    con = duckdb.connect(str(warehouse))
    template = con.execute(
        """select request_id from raw.litellm_spend_logs
           where status = 'success' and not coalesce(cache_hit, false)
           order by request_id limit 1"""
    ).fetchone()[0]
    for suffix, provider, model in PLANTED:
        con.execute(
            """insert into raw.litellm_spend_logs
               select * replace (? as request_id, ? as custom_llm_provider, ? as model,
                                 current_timestamp as loaded_at)  -- loaded now, as a new file
               from raw.litellm_spend_logs where request_id = ?""",
            [f"planted-{suffix}", provider, model, template],
        )
    con.executemany("insert into reference.model_aliases values (?, ?, ?)", ALIASES)
    con.close()
    env = {**os.environ, "AIFINOPS_DUCKDB_PATH": str(warehouse)}
    result = subprocess.run(
        [DBT, "run", "--select", *PRICING_MODELS.split(), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _planted(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        """select request_id, model_id, price_provider_id, model_resolved_by, pricing_status,
                  list_cost
           from intermediate.int_requests_priced where request_id like 'planted-%'"""
    ).fetchall()
    return {row[0].removeprefix("planted-"): row[1:] for row in rows}


@pytest.mark.integration
def test_dated_prefixed_and_profile_ids_are_priced_through_dbt(repriced):
    planted = _planted(repriced)
    expected = {
        "sonnet45": ("claude-sonnet-4-5", "anthropic", "genai_prices:provider"),
        "opus41": ("claude-opus-4-1", "anthropic", "genai_prices:provider"),
        "prefixed": ("gpt-4o", "openai", "genai_prices:provider_prefix"),
        "profile": (
            "regional.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "aws_bedrock",
            "genai_prices:provider",
        ),
        "deployment": ("gpt-4o", "openai", "org_alias"),
        "routed": ("gpt-4o-mini", "openai", "org_alias"),
    }
    for key, (model_id, price_provider, how) in expected.items():
        model, provider, resolved_by, status, list_cost = planted[key]
        assert (model, provider, resolved_by, status) == (model_id, price_provider, how, "priced")
        assert list_cost is not None and list_cost > 0, key
    # a dated snapshot costs exactly what its model costs under the canonical id
    assert planted["sonnet45"][4] == planted["sonnet45-canonical"][4]


@pytest.mark.integration
def test_a_name_nothing_knows_stays_unpriced_and_listed(repriced):
    model, _, resolved_by, status, list_cost = _planted(repriced)["unknown"]
    assert (model, resolved_by, status, list_cost) == (
        "acme-internal-llm-v2",
        "as_written",
        "unpriced",
        None,
    )
    listed = repriced.execute(
        "select request_count from marts.rpt_unpriced_models where model_id = ?",
        ["acme-internal-llm-v2"],
    ).fetchall()
    assert listed == [(1,)]
