"""The demo generator: deterministic, scalable, and writing the vendors' real formats."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import SEEDS_DIR
from dagster_project.demo import org
from dagster_project.demo.generator import DemoConfig, generate

SMALL = DemoConfig(seed=3, start=date(2026, 8, 30), days=4, requests_per_day=120)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    return out, generate(SMALL, out)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_writes_identical_files(landing: tuple[Path, dict], tmp_path: Path):
    out, _ = landing
    generate(SMALL, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(out)


def test_another_seed_writes_other_data(landing: tuple[Path, dict], tmp_path: Path):
    out, _ = landing
    generate(DemoConfig(**{**SMALL.__dict__, "seed": 4}), tmp_path / "other")
    assert _digest(tmp_path / "other") != _digest(out)


def test_scale_knob_sets_days_and_volume(tmp_path: Path):
    truth = generate(DemoConfig(seed=1, days=2, requests_per_day=50, dirt=False), tmp_path)
    assert 50 < truth["requests"] < 200
    assert len(list((tmp_path / "litellm").glob("*.jsonl"))) == 2


def test_org_ids_in_the_generator_match_the_seeds():
    def column(seed: str, name: str) -> set[str]:
        with open(SEEDS_DIR / seed, newline="") as handle:
            return {row[name] for row in csv.DictReader(handle)}

    assert set(org.LITELLM_TEAM_IDS.values()) <= column("org_teams.csv", "litellm_team_id")
    assert set(org.API_KEYS.values()) <= column("org_api_keys.csv", "api_key_hash")
    assert org.UNMAPPED_API_KEY not in column("org_api_keys.csv", "api_key_hash")
    services = {w.service_name for w in org.WORKLOADS if w.service_name}
    assert services <= column("org_services.csv", "service_name")
    accounts = column("org_provider_accounts.csv", "sub_account_id")
    assert set(org.OPENAI_PROJECTS.values()) | set(org.ANTHROPIC_WORKSPACES.values()) <= accounts
    assert {org.AZURE_SUBSCRIPTION, org.GCP_PROJECT} <= accounts


def test_at_least_five_teams_six_use_cases_three_providers_eight_models():
    assert len({w.team_id for w in org.WORKLOADS}) >= 5
    assert len({w.use_case for w in org.WORKLOADS}) >= 6
    assert {"openai", "anthropic", "aws_bedrock"} <= {w.provider_id for w in org.WORKLOADS}
    assert len({w.model_as_logged for w in org.WORKLOADS}) >= 8


def test_litellm_lines_carry_the_spend_log_fields(landing: tuple[Path, dict]):
    out, _ = landing
    first = json.loads((sorted((out / "litellm").glob("*.jsonl"))[0]).read_text().splitlines()[0])
    for field in ("request_id", "startTime", "model", "custom_llm_provider", "api_key",
                  "team_id", "user", "metadata", "request_tags", "prompt_tokens",
                  "completion_tokens", "spend", "cache_hit", "status"):  # fmt: skip
        assert field in first


def test_otel_files_are_otlp_json_with_genai_attributes(landing: tuple[Path, dict]):
    out, _ = landing
    document = json.loads(sorted((out / "otel").glob("*.json"))[0].read_text())
    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    keys = {a["key"] for a in span["attributes"]}
    assert {"gen_ai.provider.name", "gen_ai.request.model", "gen_ai.usage.input_tokens"} <= keys
    tokens = next(a for a in span["attributes"] if a["key"] == "gen_ai.usage.input_tokens")
    assert isinstance(tokens["value"]["intValue"], str)  # OTLP JSON: int64 as string


def test_anthropic_amounts_are_cent_strings_and_openai_amounts_numbers(
    landing: tuple[Path, dict],
):
    out, _ = landing
    anthropic = json.loads(
        sorted((out / "anthropic" / "cost_report").glob("*.json"))[0].read_text()
    )
    results = [r for bucket in anthropic["data"] for r in bucket["results"]]
    assert results and all(isinstance(r["amount"], str) for r in results)
    openai = json.loads(sorted((out / "openai" / "costs").glob("*.json"))[0].read_text())
    amounts = [r["amount"]["value"] for b in openai["data"] for r in b["results"]]
    assert amounts and all(isinstance(a, (int, float)) for a in amounts)


def test_truth_billed_total_is_the_sum_of_the_written_bills(landing: tuple[Path, dict]):
    out, truth = landing
    total = Decimal(0)
    for page in (out / "openai" / "costs").glob("*.json"):
        data = json.loads(page.read_text(), parse_float=Decimal)
        total += sum(r["amount"]["value"] for b in data["data"] for r in b["results"])
    for page in (out / "anthropic" / "cost_report").glob("*.json"):
        data = json.loads(page.read_text())
        total += sum(Decimal(r["amount"]) / 100 for b in data["data"] for r in b["results"])
    with duckdb.connect() as con:
        focus = dict(
            con.execute(
                f"""select BillingCurrency, sum(BilledCost)
                    from read_parquet('{out}/focus/**/*.parquet') group by 1"""
            ).fetchall()
        )
        # Azure's Cost Management export is CSV (billed in USD in the demo)
        focus["USD"] += con.execute(
            f"""select sum(BilledCost::decimal(38, 10))
                from read_csv('{out}/focus/**/*.csv', all_varchar = true)
                where BillingCurrency = 'USD'"""
        ).fetchone()[0]
    assert total + focus["USD"] == Decimal(truth["billed_usd_total"])
    # the EU entity's export is billed in EUR: counted apart, never added to the USD total
    assert focus["EUR"] == Decimal(truth["billed_by_currency"]["EUR"])
    assert set(focus) == set(truth["billed_by_currency"])


def test_cloud_ai_lines_are_written_as_each_cloud_exports_them(landing: tuple[Path, dict]):
    out, truth = landing
    with duckdb.connect() as con:
        azure = con.execute(
            f"""select SkuMeter, x_SkuMeterName, ConsumedUnit, SubAccountId
                from read_csv('{out}/focus/azure/*/part_0_0001.csv', all_varchar = true)"""
        ).fetchall()
        gcp = con.execute(
            f"select ChargeDescription, SkuId, SubAccountId from read_parquet('{out}/focus/gcp/**')"
        ).fetchall()
    meters = {meter for meter, _, _, _ in azure}
    assert any(m.endswith("Inp glbl Tokens") for m in meters)
    assert any(m.endswith("Outp glbl Tokens") for m in meters)
    assert "Provisioned Managed Global" in meters
    assert all(meter == legacy for meter, legacy, _, _ in azure)
    assert {sub for _, _, _, sub in azure} == {org.AZURE_SUBSCRIPTION}
    assert any(sku.endswith("Text Input - Predictions") for sku, _, _ in gcp)
    assert {project for _, _, project in gcp} == {org.GCP_PROJECT}
    assert truth["bill_lines"]["azure_openai"] == len(azure)
    assert truth["bill_lines"]["gcp_vertex_ai"] == len(gcp)
    logs = [
        json.loads(line)
        for path in sorted((out / "litellm" / "cloud_ai").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    assert {r["custom_llm_provider"] for r in logs} == {"azure", "vertex_ai"}


def test_bills_differ_from_logs_the_way_real_bills_do(landing: tuple[Path, dict]):
    out, truth = landing
    lines = [
        r
        for page in (out / "openai" / "costs").glob("*.json")
        for b in json.loads(page.read_text())["data"]
        for r in b["results"]
    ]
    assert any(r["project_id"] == org.OPENAI_UNLOGGED_PROJECT for r in lines)  # unlogged usage
    assert any("platform fee" in r["line_item"] for r in lines) or SMALL.start.day != 1
    assert truth["unknown_model_requests"] >= 0
    assert truth["dirt"]["duplicate_files"]
