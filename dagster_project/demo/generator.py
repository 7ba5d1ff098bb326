"""Deterministic demo data for a fictional company, written in the vendors' real formats.

Writes into a landing folder:

- `litellm/spend_logs_<day>.jsonl`     LiteLLM proxy spend logs (OpenAI and Anthropic traffic)
- `otel/genai_spans_<day>.json`        OTLP JSON GenAI spans (Bedrock and a self-hosted model)
- `openai/costs/page_<n>.json`         OpenAI organization Costs API pages
- `anthropic/cost_report/page_<n>.json` Anthropic Admin API cost report pages (cents as strings)
- `openai/usage/completions/page_<n>.json` OpenAI Usage API (completions) pages
- `anthropic/usage_report/page_<n>.json` Anthropic usage report (messages) pages
- `focus/aws/billing_period=<month>/focus-00001.snappy.parquet` AWS FOCUS export (Bedrock
  tokens, GPU instance hours, support fee, credits)
- `focus/aws-eu/billing_period=<month>/focus-00001.snappy.parquet` the EU entity's AWS FOCUS
  export, billed in EUR (Bedrock tokens), with its spans in `otel/genai_spans_eu_<day>.json`
- `business/drivers_<month>.csv`       business drivers in long format
- `_demo_truth.json`                   what the generator knows to be true, for tests only

Bills are derived from the usage the way vendors bill (quantity x unit price less discounts)
plus the ways real bills differ from logs: unlogged usage, a billing lag, fees and credits.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from dagster_project import db
from dagster_project.config import SEEDS_DIR
from dagster_project.demo import anomalies, org
from dagster_project.demo.prices import PriceBook

TOKEN_PARTS = ("uncached_input", "cache_read", "cache_write", "output", "reasoning")


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 42
    start: date = date(2026, 7, 1)
    days: int = 90
    requests_per_day: int = 3000
    dirt: bool = True  # malformed lines, duplicate file, untagged traffic, unknown model
    anomalies: bool = True  # known anomalies injected (demo/anomalies.py), from 21 days on


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def _dec_str(value: Decimal) -> str:
    """A decimal as plain text, never in exponent form."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def simulate_requests(cfg: DemoConfig) -> pd.DataFrame:
    """One row per LLM request with its owner, model, token parts and outcome."""
    rng = np.random.default_rng(cfg.seed)
    day_index = np.arange(cfg.days)
    weekday = np.array([(cfg.start + timedelta(days=int(d))).weekday() for d in day_index])
    # Traffic grows about 30% over the period and dips at weekends.
    expected = (
        cfg.requests_per_day
        * np.where(weekday >= 5, 0.55, 1.15)
        * (1 + 0.3 * day_index / max(cfg.days - 1, 1))
    )
    counts = rng.poisson(expected)
    n = int(counts.sum())
    day = np.repeat(day_index, counts)

    workloads = org.WORKLOADS
    shares = np.array([w.share for w in workloads])
    wl = rng.choice(len(workloads), size=n, p=shares / shares.sum())

    env_names = np.array([e for e, _ in org.ENVIRONMENTS])
    env_p = np.array([p for _, p in org.ENVIRONMENTS])
    env = env_names[rng.choice(len(env_names), size=n, p=env_p)]

    # Business-hours peak, some traffic around the clock.
    seconds = np.where(
        rng.random(n) < 0.75,
        np.clip(rng.normal(14 * 3600, 3.5 * 3600, n), 0, 86399),
        rng.uniform(0, 86399, n),
    ).astype(np.int64)
    millis = rng.integers(0, 1000, n)

    def attr(name: str) -> np.ndarray:
        return np.array([getattr(w, name) for w in workloads])[wl]

    in_med, out_med = attr("input_tokens_median"), attr("output_tokens_median")
    input_tokens = np.maximum(1, rng.lognormal(np.log(in_med), 0.6)).astype(np.int64)
    output_tokens = np.where(
        out_med > 0, np.maximum(1, rng.lognormal(np.log(np.maximum(out_med, 1)), 0.7)), 0
    ).astype(np.int64)
    provider = attr("provider_id")
    # Cached prompt tokens are part of the prompt: they never exceed it.
    reads_cache = rng.random(n) < attr("cache_read_rate")
    cache_read = np.where(reads_cache, (input_tokens * rng.uniform(0.3, 0.8, n)), 0).astype(
        np.int64
    )
    writes_cache = (~reads_cache) & (rng.random(n) < attr("cache_write_rate"))
    cache_write = np.where(writes_cache, (input_tokens * rng.uniform(0.3, 0.6, n)), 0).astype(
        np.int64
    )
    reasoning = np.where(attr("reasoning"), output_tokens * rng.uniform(0.4, 0.8, n), 0).astype(
        np.int64
    )
    batch = rng.random(n) < attr("batch_rate")
    # Batch jobs do not use prompt caching in this demo: keep their bill lines simple.
    cache_read = np.where(batch, 0, cache_read)
    cache_write = np.where(batch, 0, cache_write)

    failed = rng.random(n) < 0.015
    channel = attr("channel")
    proxy_cache_hit = (channel == "litellm") & ~failed & (rng.random(n) < 0.01)

    model = attr("model_as_logged").astype(object)
    team = attr("team_id").astype(object)
    if cfg.dirt:
        # Early-access model on a slice of the code assistant's Anthropic traffic.
        unknown = (provider == "anthropic") & (attr("feature") == "code_review")
        unknown &= rng.random(n) < 0.006
        model = np.where(unknown, org.UNKNOWN_MODEL, model)
        # The gateway also logs a model-group style alias for some gpt-4o-mini calls.
        aliased = (model == "gpt-4o-mini") & (rng.random(n) < 0.2)
        model = np.where(aliased, "openai/gpt-4o-mini", model)

    # a failed call used no tokens and bills nothing
    for part in (input_tokens, output_tokens, cache_read, cache_write, reasoning):
        part[failed] = 0

    ids = rng.integers(0, 2**62, size=(n, 2), dtype=np.int64)
    frame = pd.DataFrame(
        {
            "day": day,
            "ts_seconds": seconds,
            "ts_millis": millis,
            "workload": wl,
            "channel": channel,
            "provider_id": provider,
            "model": model,
            "team_id": team,
            "product": attr("product"),
            "use_case": attr("use_case"),
            "feature": attr("feature"),
            "service_name": attr("service_name"),
            "environment": env,
            "input_tokens": input_tokens,  # includes cache read and cache write tokens
            "cache_read": cache_read,
            "cache_write": cache_write,
            "output_tokens": output_tokens,  # includes reasoning tokens
            "reasoning": reasoning,
            "batch": batch,
            "failed": failed,
            "proxy_cache_hit": proxy_cache_hit,
            "id_a": ids[:, 0],
            "id_b": ids[:, 1],
            "end_user_n": rng.integers(1, 5000, n),
            "duration_ms": np.maximum(50, rng.lognormal(np.log(1800), 0.6, n)).astype(np.int64),
        }
    )
    frame = _timestamped_in_order(frame, cfg.start)
    _assign_tags_and_accounts(frame, rng, cfg.dirt)
    return frame


def _timestamped_in_order(frame: pd.DataFrame, start: date) -> pd.DataFrame:
    """The calls with their UTC timestamp `ts` (start + day + seconds + milliseconds), in time
    order (ties by id, stable)."""
    frame["ts"] = (
        pd.Timestamp(start, tz="UTC")
        + pd.to_timedelta(frame["day"], unit="D")
        + pd.to_timedelta(frame["ts_seconds"], unit="s")
        + pd.to_timedelta(frame["ts_millis"], unit="ms")
    )
    return frame.sort_values(["ts", "id_a"], kind="stable").reset_index(drop=True)


def _assign_tags_and_accounts(frame: pd.DataFrame, rng: np.random.Generator, dirt: bool) -> None:
    """Decide what the logs say about ownership, and which vendor account each call bills to."""
    n = len(frame)
    is_litellm = (frame["channel"] == "litellm").to_numpy()
    roll = rng.random(n)
    # Dirt: untagged calls (no product / use case / feature / environment tags), calls that
    # carry only an API key, and calls from a key nobody mapped to a team.
    frame["tags_missing"] = is_litellm & (roll < 0.05) if dirt else False
    frame["team_id_missing"] = is_litellm & (roll >= 0.05) & (roll < 0.07) if dirt else False
    frame["key_unmapped"] = is_litellm & (roll >= 0.07) & (roll < 0.08) if dirt else False
    known_team = ~frame["key_unmapped"]
    frame["owner_team"] = np.where(known_team, frame["team_id"], None)

    team = frame["owner_team"]
    provider = frame["provider_id"]
    openai_project = team.map(org.OPENAI_PROJECTS).fillna(org.OPENAI_DEFAULT_PROJECT)
    anthropic_ws = team.map(org.ANTHROPIC_WORKSPACES).fillna(org.ANTHROPIC_DEFAULT_WORKSPACE)
    aws_account = np.where(
        (provider == "self_hosted") | (frame["environment"] == "production"),
        org.AWS_PROD_ACCOUNT,
        org.AWS_NONPROD_ACCOUNT,
    )
    frame["account_id"] = np.select(
        [is_litellm & (provider == "openai"), is_litellm & (provider == "anthropic")],
        [openai_project, anthropic_ws],
        aws_account,
    )


# --------------------------------------------------------------------------------------------
# Writers: request logs
# --------------------------------------------------------------------------------------------

# The LiteLLM spend-log columns computed from a call's token counts, timestamp `ts` and
# `duration_ms` (the benchmark's data generator writes them the same way).
LITELLM_TOKEN_AND_TIME_COLUMNS = """\
    input_tokens + output_tokens as total_tokens,
    input_tokens as prompt_tokens,
    output_tokens as completion_tokens,
    strftime(ts, '%Y-%m-%d %H:%M:%S.%g') as startTime,
    strftime(ts + to_milliseconds(duration_ms), '%Y-%m-%d %H:%M:%S.%g') as endTime,
    duration_ms as request_duration_ms,
"""

LITELLM_SQL = (
    """
select
    'chatcmpl-' || printf('%016x', id_a) || printf('%016x', id_b) as request_id,
    case when batch then 'acreate_batch'
         when use_case = 'semantic_search' then 'aembedding'
         else 'acompletion' end as call_type,
    case when key_unmapped then '{unmapped_key}'
         else api_key end as api_key,
    round(spend_estimate, 8) as spend,
"""
    + LITELLM_TOKEN_AND_TIME_COLUMNS
    + """\
    model,
    printf('%012x', hash(model) % 281474976710655) as model_id,
    model as model_group,
    case provider_id when 'azure_openai' then 'azure' when 'gcp_vertex_ai' then 'vertex_ai'
         else provider_id end as custom_llm_provider,
    case provider_id when 'openai' then 'https://api.openai.com/v1'
         when 'azure_openai' then 'https://northwind-ai.openai.azure.com'
         when 'gcp_vertex_ai' then 'https://us-central1-aiplatform.googleapis.com'
         else 'https://api.anthropic.com' end as api_base,
    'user-' || end_user_n || '@customers.example' as "user",
    {{
        'user_api_key_alias': key_alias,
        'user_api_key_team_alias': case when team_id_missing or key_unmapped then null
                                        else team_id end,
        'usage_object': {{
            'prompt_tokens': input_tokens,
            'completion_tokens': output_tokens,
            'prompt_tokens_details': {{'cached_tokens': cache_read}},
            'cache_creation_input_tokens': cache_write,
            'cache_read_input_tokens': cache_read,
            'completion_tokens_details': {{'reasoning_tokens': reasoning}}
        }},
        'batch': batch
    }} as metadata,
    case when proxy_cache_hit then 'True' else 'False' end as cache_hit,
    case when proxy_cache_hit then printf('%016x', id_b) else null end as cache_key,
    case when tags_missing then []::varchar[]
         else ['env:' || environment, 'product:' || product, 'use_case:' || use_case,
               'feature:' || feature] end as request_tags,
    case when team_id_missing or key_unmapped then null else litellm_team_id end as team_id,
    'org-northwind' as organization_id,
    'cust_' || end_user_n as end_user,
    printf('%08x', id_a % 4294967295) as session_id,
    case when failed then 'failure' else 'success' end as status,
    [{{'role': 'user', 'content': 'Customer message #' || end_user_n || ': please help'}}]
        as messages,
    {{'choices': [{{'message': {{'content': 'Draft reply for ticket ' || id_b}}}}]}} as response
from requests
where day = {day}
order by ts, id_a
"""
)


def _write_litellm(frame: pd.DataFrame, out: Path, start: date, folder: str = "litellm") -> None:
    rows = frame[frame["channel"] == "litellm"].copy()
    rows["api_key"] = rows["owner_team"].map(org.API_KEYS).fillna("sk-hash-5f1e0c2a9b")
    rows.loc[rows["team_id"] == "support", "api_key"] = np.where(
        rows.loc[rows["team_id"] == "support", "batch"], "sk-hash-8a3d7b61c4", "sk-hash-5f1e0c2a9b"
    )
    rows["key_alias"] = rows["team_id"] + "-gateway"
    rows["litellm_team_id"] = rows["team_id"].map(org.LITELLM_TEAM_IDS)
    # LiteLLM's own estimate at list price; the warehouse prices requests itself.
    rows["spend_estimate"] = (rows["input_tokens"] * 2.5e-6 + rows["output_tokens"] * 1e-5) * (
        ~rows["proxy_cache_hit"]
    )
    target = out / folder
    target.mkdir(parents=True, exist_ok=True)
    con = db.connect()
    con.register("requests", rows.drop(columns=["owner_team"]))
    for day in sorted(rows["day"].unique()):
        path = target / f"spend_logs_{start + timedelta(days=int(day))}.jsonl"
        sql = LITELLM_SQL.format(day=int(day), unmapped_key=org.UNMAPPED_API_KEY)
        con.execute(f"copy ({sql}) to '{path}' (format json)")
    con.close()


OTEL_SQL = """
with spans as (
    select
        day, service_name, environment, account_id,
        '{"traceId":"' || printf('%016x%016x', id_a, id_b)
        || '","spanId":"' || printf('%016x', id_a)
        || '","name":' || to_json('chat ' || model)
        || ',"kind":3,"startTimeUnixNano":"' || epoch_ns(ts)
        || '","endTimeUnixNano":"' || (epoch_ns(ts) + duration_ms * 1000000)
        || '","attributes":[' || array_to_string(list_filter([
            otel_str('gen_ai.provider.name',
                case when provider_id = 'self_hosted' then 'vllm' else 'aws.bedrock' end),
            otel_str('gen_ai.operation.name', 'chat'),
            otel_str('gen_ai.request.model', model),
            otel_str('gen_ai.response.model', model),
            otel_str('gen_ai.response.id', printf('resp_%016x', id_b)),
            otel_int('gen_ai.usage.input_tokens', input_tokens),
            otel_int('gen_ai.usage.output_tokens', output_tokens),
            otel_int('gen_ai.usage.cache_read.input_tokens', nullif(cache_read, 0)),
            otel_int('gen_ai.usage.cache_creation.input_tokens', nullif(cache_write, 0)),
            otel_int('gen_ai.usage.reasoning.output_tokens', nullif(reasoning, 0)),
            otel_str('aws.bedrock.invocation_type', case when batch then 'batch' end),
            otel_str('app.feature', feature),
            otel_str('enduser.id', 'user-' || end_user_n || '@customers.example')
        ], lambda a: a is not null), ',')
        || '],"status":' || case when failed
            then '{"code":2,"message":"ThrottlingException"}' else '{"code":1}' end
        || '}' as span_json
    from requests
    where channel = 'otel'
),
resources as (
    select
        day,
        '{"resource":{"attributes":[' || array_to_string([
            otel_str('service.name', service_name),
            otel_str('deployment.environment', environment),
            otel_str('cloud.provider', 'aws'),
            otel_str('cloud.account.id', account_id),
            otel_str('cloud.region', 'us-east-1')
        ], ',') || ']},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.genai"},'
        || '"spans":[' || string_agg(span_json, ',') || ']}]}' as resource_json
    from spans
    group by day, service_name, environment, account_id
)
select day, '{"resourceSpans":[' || string_agg(resource_json, ',' order by resource_json) || ']}'
from resources
group by day
order by day
"""
# OTLP JSON attributes are {key, value: {stringValue | intValue}}; 64-bit integers are strings.
OTEL_MACROS = """
create macro otel_str(k, v) as case when v is not null then
    '{"key":"' || k || '","value":{"stringValue":' || to_json(v::varchar) || '}}' end;
create macro otel_int(k, v) as case when v is not null then
    '{"key":"' || k || '","value":{"intValue":"' || v || '"}}' end;
"""


def _write_otel(frame: pd.DataFrame, out: Path, start: date) -> None:
    folder = out / "otel"
    folder.mkdir(parents=True, exist_ok=True)
    con = db.connect()
    con.register("requests", frame)
    con.execute(OTEL_MACROS)
    for day, document in con.execute(OTEL_SQL).fetchall():
        path = folder / f"genai_spans_{start + timedelta(days=int(day))}.json"
        path.write_text(document)
    con.close()


# --------------------------------------------------------------------------------------------
# Bills
# --------------------------------------------------------------------------------------------


def _billable_usage(frame: pd.DataFrame, prices: PriceBook) -> pd.DataFrame:
    """Token quantities per bill line grain: day x provider x account x model x token part.
    Vendors bill the model they served, not the alias the gateway logged."""
    billable = frame[~frame["failed"] & ~frame["proxy_cache_hit"]].copy()
    billable["model"] = [
        prices.canonical(p, m)[1] if m.startswith("openai/") else m
        for p, m in zip(billable["provider_id"], billable["model"], strict=True)
    ]
    billable["uncached_input"] = (
        billable["input_tokens"] - billable["cache_read"] - billable["cache_write"]
    )
    parts = []
    for part, column in (
        ("input", "uncached_input"),
        ("cache_read", "cache_read"),
        ("cache_write", "cache_write"),
        ("output", "output_tokens"),
    ):
        piece = billable[["day", "provider_id", "account_id", "model", "batch", column]].rename(
            columns={column: "tokens"}
        )
        piece["part"] = np.where(piece["batch"], "batch_" + part, part)
        parts.append(piece)
    usage = pd.concat(parts)
    usage = usage[usage["tokens"] > 0]
    return (
        usage.groupby(["day", "provider_id", "account_id", "model", "part"], as_index=False)[
            "tokens"
        ]
        .sum()
        .sort_values(["day", "provider_id", "account_id", "model", "part"])
    )


OPENAI_LINE_ITEM = {
    "input": "input",
    "cache_read": "cached input",
    "output": "output",
    "batch_input": "batch input",
    "batch_output": "batch output",
}
ANTHROPIC_TOKEN_TYPE = {
    "input": "uncached_input_tokens",
    "cache_read": "cache_read_input_tokens",
    "cache_write": "cache_creation.ephemeral_5m_input_tokens",
    "output": "output_tokens",
    "batch_input": "uncached_input_tokens",
    "batch_output": "output_tokens",
}
BEDROCK_USAGE_SUFFIX = {
    "input": "input-tokens",
    "cache_read": "cache-read-input-token-count",
    "cache_write": "cache-write-input-token-count",
    "output": "output-tokens",
    "batch_input": "batch-input-tokens",
    "batch_output": "batch-output-tokens",
}


class Ledger:
    """Running totals of what the generator billed, for the truth file."""

    def __init__(self) -> None:
        self.billed: dict[str, Decimal] = defaultdict(Decimal)
        self.lines: dict[str, int] = defaultdict(int)
        # tokens billed that no log saw: (day index, provider, project, model, part, tokens)
        self.unlogged: list[tuple[int, str, str, str, str, int]] = []

    def add(self, provider: str, amount_usd: Decimal) -> None:
        self.billed[provider] += amount_usd
        self.lines[provider] += 1


def _pages(buckets: list[dict], per_page: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    chunks = [buckets[i : i + per_page] for i in range(0, len(buckets), per_page)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        has_more = number < len(chunks)
        page = {
            "object": "page",
            "data": chunk,
            "has_more": has_more,
            "next_page": f"page_{number + 1:04d}" if has_more else None,
        }
        (out / f"page_{number:04d}.json").write_text(_dumps(page))


_NUMBER_MARK = "__json_number__:"


def _json_number(text: str) -> str:
    """Mark a decimal to be written as a bare JSON number (json.dumps would go through float)."""
    return _NUMBER_MARK + text


def _dumps(obj: object) -> str:
    return re.sub(f'"{_NUMBER_MARK}([-0-9.]+)"', r"\1", json.dumps(obj, indent=1))


# A daily bucket's bounds as each vendor's API names them.
def _openai_bounds(start: datetime, end: datetime) -> dict:
    return {
        "object": "bucket",
        "start_time": int(start.timestamp()),
        "end_time": int(end.timestamp()),
    }


def _anthropic_bounds(start: datetime, end: datetime) -> dict:
    return {
        "starting_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ending_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _daily_buckets(
    cfg: DemoConfig, lines: dict[int, list[dict]], bounds: Callable[[datetime, datetime], dict]
) -> list[dict]:
    """One cost-API bucket per demo day with that day's result lines; `bounds(start, end)` names
    the day's UTC bounds the way the vendor's API does."""
    buckets = []
    for d in range(cfg.days):
        start = datetime.combine(cfg.start + timedelta(days=d), datetime.min.time(), UTC)
        buckets.append({**bounds(start, start + timedelta(days=1)), "results": lines.get(d, [])})
    return buckets


def _last_billed_day(cfg: DemoConfig) -> int:
    """The vendors' cost reports lag a day: the last demo day is not billed yet."""
    return cfg.days - 2


def _billed_days(cfg: DemoConfig) -> range:
    return range(min(cfg.days, _last_billed_day(cfg) + 1))


def _billed_usage(
    usage: pd.DataFrame, cfg: DemoConfig, provider: str
) -> Iterator[tuple[Any, date]]:
    """The provider's billable usage rows on billed days, each with its date."""
    for rec in usage[usage["provider_id"] == provider].itertuples(index=False):
        if rec.day <= _last_billed_day(cfg):
            yield rec, cfg.start + timedelta(days=int(rec.day))


def _write_openai_costs(
    usage: pd.DataFrame,
    cfg: DemoConfig,
    prices: PriceBook,
    out: Path,
    ledger: Ledger,
    rng: np.random.Generator,
) -> None:
    discount = Decimal(org.DISCOUNTS["openai"])
    lines: dict[int, list[dict]] = defaultdict(list)

    def result(project: str | None, line_item: str, amount: Decimal, qty: int | None) -> dict:
        return {
            "object": "organization.costs.result",
            "amount": {"value": _json_number(_dec_str(amount)), "currency": "usd"},
            "line_item": line_item,
            "project_id": project,
            "api_key_id": None,
            "quantity": qty,
            "quantity_unit": "tokens" if qty is not None else None,
        }

    for rec, day in _billed_usage(usage, cfg, "openai"):
        tokens = int(rec.tokens)
        if cfg.dirt and rec.account_id == "proj_support" and rec.part == "input":
            # Calls that bypass the gateway: billed, never logged.
            tokens += int(tokens * 0.015)
            ledger.unlogged.append(
                (int(rec.day), "openai", rec.account_id, rec.model, rec.part, int(tokens * 0.015))
            )
        unit = prices.unit_price("openai", rec.model, rec.part, day)
        amount = _q(tokens * unit * (1 - discount), "0.000000001")
        # line items name the served model snapshot; the warehouse normalises it
        lines[int(rec.day)].append(
            result(rec.account_id, f"{rec.model}, {OPENAI_LINE_ITEM[rec.part]}", amount, tokens)
        )
        ledger.add("openai", amount)
    for d in _billed_days(cfg):
        day = cfg.start + timedelta(days=d)
        if cfg.dirt:
            # A research project that calls the API directly: billed, no logs at all.
            # about 5% of the company's OpenAI token spend, at any demo scale
            tokens = int(rng.integers(60_000, 160_000) * cfg.requests_per_day / 3000)
            unit = prices.unit_price("openai", "gpt-4o", "input", day)
            amount = _q(tokens * unit, "0.000000001")
            lines[d].append(result(org.OPENAI_UNLOGGED_PROJECT, "gpt-4o, input", amount, tokens))
            ledger.unlogged.append(
                (d, "openai", org.OPENAI_UNLOGGED_PROJECT, "gpt-4o", "input", tokens)
            )
            ledger.add("openai", amount)
        if day.day == 1:
            amount = Decimal("1500.00")
            lines[d].append(result(None, "Scale Tier platform fee", amount, None))
            ledger.add("openai", amount)
    _pages(_daily_buckets(cfg, lines, _openai_bounds), 7, out / "openai" / "costs")


def _write_anthropic_costs(
    usage: pd.DataFrame,
    cfg: DemoConfig,
    prices: PriceBook,
    out: Path,
    ledger: Ledger,
    rng: np.random.Generator,
) -> None:
    discount = Decimal(org.DISCOUNTS["anthropic"])
    lines: dict[int, list[dict]] = defaultdict(list)

    def result(
        workspace: str,
        cents: Decimal,
        description: str,
        cost_type: str,
        model: str | None = None,
        part: str | None = None,
    ) -> dict:
        """One cost report line; a token line names its model and token part."""
        return {
            "currency": "USD",
            "amount": _dec_str(cents),
            "workspace_id": workspace,
            "description": description,
            "cost_type": cost_type,
            "context_window": "0-200k" if part is not None else None,
            "model": model,
            "service_tier": (
                None if part is None else "batch" if part.startswith("batch") else "standard"
            ),
            "token_type": ANTHROPIC_TOKEN_TYPE[part] if part is not None else None,
        }

    for rec, day in _billed_usage(usage, cfg, "anthropic"):
        unit = prices.unit_price("anthropic", rec.model, rec.part, day)
        usd = int(rec.tokens) * unit * (1 - discount)
        cents = _q(usd * 100, "0.0001")
        model_id = rec.model  # the cost report names the dated model id, as the API returns it
        description = f"{model_id} usage - {ANTHROPIC_TOKEN_TYPE[rec.part]}"
        lines[int(rec.day)].append(
            result(rec.account_id, cents, description, "tokens", model_id, rec.part)
        )
        ledger.add("anthropic", cents / 100)
    # Web search tool charges: billed per workspace, no token usage behind them.
    for d in _billed_days(cfg):
        searches = int(rng.integers(40, 160))
        cents = _q(Decimal(searches) * Decimal("1.0"), "0.0001")  # $10 per 1,000 searches
        lines[d].append(result("wrkspc_growth", cents, "Web search", "web_search"))
        ledger.add("anthropic", cents / 100)
    _pages(_daily_buckets(cfg, lines, _anthropic_bounds), 10, out / "anthropic" / "cost_report")


def _write_usage_apis(
    frame: pd.DataFrame,
    usage: pd.DataFrame,
    cfg: DemoConfig,
    prices: PriceBook,
    out: Path,
    ledger: Ledger,
) -> dict:
    """The vendors' usage API pages, from the same simulated usage the cost pages bill: the
    logged billable traffic plus the traffic that bypasses the gateway (`ledger.unlogged`,
    recorded by the cost writers). OpenAI Usage API completions buckets grouped by project,
    model and batch (cached tokens inside input_tokens); Anthropic usage report buckets grouped
    by workspace, model, service tier and context window (token types apart). Returns the truth
    the reconciliation must find."""
    billable = frame[~frame["failed"] & ~frame["proxy_cache_hit"]]
    served = [
        prices.canonical(p, m)[1] if m.startswith("openai/") else m
        for p, m in zip(billable["provider_id"], billable["model"], strict=True)
    ]
    requests = (
        billable.assign(model=served)
        .groupby(["day", "provider_id", "account_id", "model", "batch"])
        .size()
        .to_dict()
    )
    tokens: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rec in usage.itertuples(index=False):
        batch = rec.part.startswith("batch_")
        key = (int(rec.day), rec.provider_id, rec.account_id, rec.model, batch)
        tokens[key][rec.part.removeprefix("batch_")] += int(rec.tokens)
    unlogged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, provider, project, model, part, count in ledger.unlogged:
        tokens[(day, provider, project, model, part.startswith("batch_"))][
            part.removeprefix("batch_")
        ] += count
        unlogged[provider][project] += count
    openai: dict[int, list[dict]] = defaultdict(list)
    anthropic: dict[int, list[dict]] = defaultdict(list)
    for (day, provider, account, model, batch), part in sorted(tokens.items()):
        if provider == "openai":
            openai[day].append(
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": part["input"] + part["cache_read"] + part["cache_write"],
                    "output_tokens": part["output"],
                    "num_model_requests": int(
                        requests.get((day, provider, account, model, batch), 0)
                    ),
                    "project_id": account,
                    "user_id": None,
                    "api_key_id": None,
                    "model": model,
                    "batch": batch,
                    "service_tier": None,
                    "input_cached_tokens": part["cache_read"],
                    "input_audio_tokens": 0,
                    "output_audio_tokens": 0,
                }
            )
        elif provider == "anthropic":
            anthropic[day].append(
                {
                    "uncached_input_tokens": part["input"],
                    "cache_creation": {
                        "ephemeral_1h_input_tokens": 0,
                        "ephemeral_5m_input_tokens": part["cache_write"],
                    },
                    "cache_read_input_tokens": part["cache_read"],
                    "output_tokens": part["output"],
                    "server_tool_use": None,
                    "api_key_id": None,
                    "workspace_id": account,
                    "model": model,
                    "service_tier": "batch" if batch else "standard",
                    "context_window": "0-200k",
                }
            )
    _pages(_daily_buckets(cfg, openai, _openai_bounds), 7, out / "openai" / "usage" / "completions")
    _pages(_daily_buckets(cfg, anthropic, _anthropic_bounds), 7, out / "anthropic" / "usage_report")
    billed = usage["day"] <= _last_billed_day(cfg)
    anthropic_tokens = {
        part: int(usage.loc[(usage["provider_id"] == "anthropic") & billed
                            & (usage["part"].str.removeprefix("batch_") == part), "tokens"].sum())
        for part in ("input", "cache_read", "cache_write", "output")
    }  # fmt: skip
    return {
        "unlogged_tokens": {p: dict(v) for p, v in unlogged.items()},
        "anthropic_billed_tokens": anthropic_tokens,
    }


GPU_HOURLY_LIST = Decimal("5.672")  # g5.12xlarge on-demand, us-east-1
GPU_INSTANCES = ("i-0a7c3e91f25b4d601", "i-0b18d2f4c97e3a552")


FOCUS_MONEY_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice",
    "ContractedUnitPrice", "ConsumedQuantity", "PricingQuantity",
)  # fmt: skip


def _write_focus_months(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, folder: Path, order_by: str
) -> None:
    """FOCUS rows (with a `month` column) as one Parquet file per billing month under
    `<folder>/billing_period=<month>/`; money goes through text to decimal(38, 10), never
    through float."""
    for column in FOCUS_MONEY_COLUMNS:
        frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    con.register("focus_rows", frame)
    casts = ", ".join(f"{c}::decimal(38, 10) as {c}" for c in FOCUS_MONEY_COLUMNS)
    for month in sorted(frame["month"].unique()):
        part = folder / f"billing_period={month}"
        part.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""copy (select * exclude (month, {", ".join(FOCUS_MONEY_COLUMNS)}), {casts}
                from focus_rows where month = '{month}' order by {order_by})
               to '{part / "focus-00001.snappy.parquet"}' (format parquet, compression snappy)"""
        )


def _write_aws_focus(
    usage: pd.DataFrame,
    cfg: DemoConfig,
    prices: PriceBook,
    out: Path,
    ledger: Ledger,
    idle_gpu_days: tuple[int, ...] = (),
) -> None:
    discount = Decimal(org.DISCOUNTS["aws"])
    rows: list[dict] = []
    bedrock = usage[usage["provider_id"] == "aws_bedrock"]

    def base(day: date, account: str) -> dict:
        return {
            "BillingAccountId": org.AWS_PAYER_ACCOUNT,
            "BillingAccountName": "Northwind Labs Payer",
            **_focus_periods(day, "USD"),
            "InvoiceId": f"EUINUS{day:%y%m}-{org.AWS_PAYER_ACCOUNT[-4:]}",
            # AWS's FOCUS export names itself "AWS" in all three
            "InvoiceIssuerName": "AWS",
            "ProviderName": "AWS",
            "PublisherName": "AWS",
            "ServiceProviderName": "AWS",
            "HostProviderName": "AWS",
            "SubAccountId": account,
            "SubAccountName": "ml-prod" if account == org.AWS_PROD_ACCOUNT else "ml-nonprod",
            "SubAccountType": "Account",
            "RegionId": "us-east-1",
            "RegionName": "US East (N. Virginia)",
            "AvailabilityZone": None,
            "ChargeClass": None,
            "CommitmentDiscountId": None,
            "CommitmentDiscountStatus": None,
            "CommitmentDiscountCategory": None,
            "CommitmentDiscountType": None,
        }

    def money(list_cost: Decimal, rate: Decimal) -> dict:
        billed = _q(list_cost * (1 - rate), "0.0000000001")
        return {
            "ListCost": _q(list_cost, "0.0000000001"),
            "ContractedCost": billed,
            "BilledCost": billed,
            "EffectiveCost": billed,
        }

    for rec in bedrock.itertuples(index=False):
        day = cfg.start + timedelta(days=int(rec.day))
        model_id = prices.canonical("aws_bedrock", rec.model)[1]
        unit = prices.unit_price("aws_bedrock", rec.model, rec.part, day)
        tokens = int(rec.tokens)
        list_cost = tokens * unit
        costs = money(list_cost, discount)
        kind = BEDROCK_USAGE_SUFFIX[rec.part]
        unit_per_k = unit * 1000
        row = (
            base(day, rec.account_id)
            | costs
            | {
                "ChargeCategory": "Usage",
                "ChargeDescription": f"Amazon Bedrock {rec.model} {kind}",
                "ChargeFrequency": "Usage-Based",
                "ConsumedQuantity": Decimal(tokens),
                "ConsumedUnit": "Tokens",
                "PricingQuantity": Decimal(tokens) / 1000,
                "PricingUnit": "1000 Tokens",
                "PricingCategory": "Standard",
                "ListUnitPrice": _q(unit_per_k, "0.0000000001"),
                "ContractedUnitPrice": _q(unit_per_k * (1 - discount), "0.0000000001"),
                "ResourceId": f"arn:aws:bedrock:us-east-1::foundation-model/{rec.model}",
                "ResourceName": rec.model,
                "ResourceType": "Foundation Model",
                "ServiceCategory": "AI and Machine Learning",
                "ServiceSubcategory": "Generative AI",
                "ServiceName": "Amazon Bedrock",
                "SkuId": f"BEDROCK-{model_id}-{kind}",
                "SkuPriceId": f"BEDROCK-{model_id}-{kind}-USE1",
                "SkuMeter": kind,
                "Tags": json.dumps({"aws:createdBy": "bedrock"}),
                "x_ServiceCode": "AmazonBedrock",
                "x_UsageType": f"USE1-{rec.model}-{kind}",
                "x_Operation": "InvokeModel"
                if not rec.part.startswith("batch")
                else "BatchInference",
            }
        )
        rows.append(row)
        ledger.add("aws", row["BilledCost"])

    for d in range(cfg.days):
        day = cfg.start + timedelta(days=d)
        # an injected anomaly: a third host left running with no traffic of its own
        for instance in GPU_INSTANCES + (
            (anomalies.IDLE_GPU_INSTANCE,) if d in idle_gpu_days else ()
        ):
            list_cost = GPU_HOURLY_LIST * 24
            row = (
                base(day, org.AWS_PROD_ACCOUNT)
                | money(list_cost, discount)
                | {
                    "ChargeCategory": "Usage",
                    "ChargeDescription": "$5.672 per On Demand Linux g5.12xlarge Instance Hour",
                    "ChargeFrequency": "Usage-Based",
                    "ConsumedQuantity": Decimal(24),
                    "ConsumedUnit": "Hours",
                    "PricingQuantity": Decimal(24),
                    "PricingUnit": "Hours",
                    "PricingCategory": "Standard",
                    "ListUnitPrice": GPU_HOURLY_LIST,
                    "ContractedUnitPrice": _q(GPU_HOURLY_LIST * (1 - discount), "0.0000000001"),
                    "ResourceId": instance,
                    "ResourceName": f"vllm-llama-8b-{instance[-3:]}",
                    "ResourceType": "Instance",
                    "ServiceCategory": "Compute",
                    "ServiceSubcategory": "Virtual Machines",
                    "ServiceName": "Amazon Elastic Compute Cloud",
                    "SkuId": "EC2-g5.12xlarge-Linux-USE1",
                    "SkuPriceId": "EC2-g5.12xlarge-Linux-USE1-OnDemand",
                    "SkuMeter": "Instance Hours",
                    "Tags": json.dumps(
                        {"workload": "llm-serving", "model": "llama-3.1-8b-instruct"}
                    ),
                    "x_ServiceCode": "AmazonEC2",
                    "x_UsageType": "USE1-BoxUsage:g5.12xlarge",
                    "x_Operation": "RunInstances",
                }
            )
            rows.append(row)
            ledger.add("aws", row["BilledCost"])
        if day.day == 1:
            fee = Decimal("850.00")
            rows.append(
                base(day, org.AWS_PAYER_ACCOUNT)
                | {"ListCost": fee, "ContractedCost": fee, "BilledCost": fee, "EffectiveCost": fee}
                | {
                    "ChargeCategory": "Usage",
                    "ChargeDescription": "AWS Support (Business) monthly fee",
                    "ChargeFrequency": "Recurring",
                    "ConsumedQuantity": Decimal(1),
                    "ConsumedUnit": "Months",
                    "PricingQuantity": Decimal(1),
                    "PricingUnit": "Months",
                    "PricingCategory": "Standard",
                    "ListUnitPrice": fee,
                    "ContractedUnitPrice": fee,
                    "ResourceId": None,
                    "ResourceName": None,
                    "ResourceType": None,
                    "ServiceCategory": "Management and Governance",
                    "ServiceSubcategory": "Support",
                    "ServiceName": "AWS Support (Business)",
                    "SkuId": "SUPPORT-BUSINESS",
                    "SkuPriceId": "SUPPORT-BUSINESS-MONTHLY",
                    "SkuMeter": "Support",
                    "Tags": None,
                    "x_ServiceCode": "AWSSupportBusiness",
                    "x_UsageType": "Dollar",
                    "x_Operation": "",
                }
            )
            ledger.add("aws", fee)
            credit = Decimal("-50.00")
            rows.append(
                base(day, org.AWS_PROD_ACCOUNT)
                | {
                    "ListCost": Decimal(0),
                    "ContractedCost": Decimal(0),
                    "BilledCost": credit,
                    "EffectiveCost": credit,
                }
                | {
                    "ChargeCategory": "Credit",
                    "ChargeDescription": "AWS Activate promotional credit - Amazon Bedrock",
                    "ChargeFrequency": "One-Time",
                    "ConsumedQuantity": None,
                    "ConsumedUnit": None,
                    "PricingQuantity": None,
                    "PricingUnit": None,
                    "PricingCategory": None,
                    "ListUnitPrice": None,
                    "ContractedUnitPrice": None,
                    "ResourceId": None,
                    "ResourceName": None,
                    "ResourceType": None,
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceSubcategory": "Generative AI",
                    "ServiceName": "Amazon Bedrock",
                    "SkuId": None,
                    "SkuPriceId": None,
                    "SkuMeter": None,
                    "Tags": None,
                    "x_ServiceCode": "AmazonBedrock",
                    "x_UsageType": "",
                    "x_Operation": "",
                }
            )
            ledger.add("aws", credit)

    frame = pd.DataFrame(rows)
    frame["month"] = frame["BillingPeriodStart"].dt.strftime("%Y-%m")
    con = db.connect()
    _write_focus_months(con, frame, out / "focus" / "aws", "ChargePeriodStart, SubAccountId, SkuId")
    con.close()


# --------------------------------------------------------------------------------------------
# Business drivers
# --------------------------------------------------------------------------------------------


def _write_business_drivers(
    frame: pd.DataFrame, cfg: DemoConfig, out: Path, rng: np.random.Generator
) -> dict[str, Decimal]:
    per_day_product = frame.groupby(["day", "product"]).size()
    records = []
    for d in range(cfg.days):
        day = cfg.start + timedelta(days=d)
        for product in org.PRODUCTS:
            team = org.PRODUCT_TEAM[product]
            requests = int(per_day_product.get((d, product), 0))
            users = int(requests * rng.uniform(0.25, 0.4)) + 20
            records.append((day, "active_users", product, team, users, "users"))
            revenue = _q(Decimal(str(rng.uniform(3000, 12000))), "0.01")
            records.append((day, "revenue", product, team, revenue, "USD"))
            if product == "helpdesk":
                tickets = int(requests * rng.uniform(0.12, 0.18))
                records.append((day, "support_tickets_resolved", product, team, tickets, "tickets"))
            if product == "docs_portal":
                docs = int(requests * rng.uniform(0.8, 0.95))
                records.append((day, "documents_processed", product, team, docs, "documents"))
    table = pd.DataFrame(records, columns=["date", "driver", "product", "team", "value", "unit"])
    folder = out / "business"
    folder.mkdir(parents=True, exist_ok=True)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    table["month"] = table["date"].map(lambda d: d.strftime("%Y-%m"))
    for month, rows in table.groupby("month", sort=True):
        lines = ["date,driver,product,team,value,unit"]
        for rec in rows.itertuples(index=False):
            lines.append(f"{rec.date},{rec.driver},{rec.product},{rec.team},{rec.value},{rec.unit}")
            totals[rec.driver] += Decimal(str(rec.value))
        (folder / f"drivers_{month}.csv").write_text("\n".join(lines) + "\n")
    return totals


# --------------------------------------------------------------------------------------------
# Dirt and truth
# --------------------------------------------------------------------------------------------


def _add_dirt(out: Path, cfg: DemoConfig) -> dict:
    """Realistic delivery problems, recorded so tests know what the loader must catch."""
    dirt: dict = {"malformed_litellm_lines": [], "duplicate_files": []}
    litellm = sorted((out / "litellm").glob("*.jsonl"))
    third = len(litellm) // 3
    for path in litellm[third : third + 3]:
        with open(path, "a") as handle:
            handle.write('{"request_id": "chatcmpl-truncated", "model": "gpt-4o", "prompt_tok\n')
        dirt["malformed_litellm_lines"].append(path.name)
    # The same day's file delivered twice under another name.
    original = litellm[len(litellm) // 2]
    copy = original.with_name(original.stem + ".redelivered.jsonl")
    shutil.copyfile(original, copy)
    dirt["duplicate_files"].append([original.name, copy.name])
    # A business-driver row with an unreadable value.
    drivers = sorted((out / "business").glob("*.csv"))[0]
    with open(drivers, "a") as handle:
        handle.write(f"{cfg.start},support_tickets_resolved,helpdesk,support,n/a,tickets\n")
    dirt["malformed_driver_rows"] = 1
    return dirt


def _truth(frame: pd.DataFrame, ledger: Ledger, drivers: dict[str, Decimal], dirt: dict) -> dict:
    ok = frame[~frame["failed"]]
    uncached = frame["input_tokens"] - frame["cache_read"] - frame["cache_write"]
    return {
        "requests": len(frame),
        "requests_by_channel": {k: int(v) for k, v in frame.groupby("channel").size().items()},
        "requests_by_provider": {k: int(v) for k, v in frame.groupby("provider_id").size().items()},
        "failed_requests": int(frame["failed"].sum()),
        "proxy_cache_hits": int(frame["proxy_cache_hit"].sum()),
        "unknown_model_requests": int((frame["model"] == org.UNKNOWN_MODEL).sum()),
        "tokens": {
            "uncached_input": int(uncached.sum()),
            "cache_read": int(frame["cache_read"].sum()),
            "cache_write": int(frame["cache_write"].sum()),
            "output": int(frame["output_tokens"].sum()),
            "reasoning": int(frame["reasoning"].sum()),
            "input_total": int(frame["input_tokens"].sum()),
        },
        "successful_requests": len(ok),
        "billed_usd": {k: _dec_str(v) for k, v in sorted(ledger.billed.items())},
        "billed_usd_total": _dec_str(sum(ledger.billed.values(), Decimal(0))),
        "bill_lines": dict(ledger.lines),
        "business_driver_totals": {k: _dec_str(v) for k, v in sorted(drivers.items())},
        "dirt": dirt,
    }


def _inject_repeats(frame: pd.DataFrame, cfg: DemoConfig) -> tuple[pd.DataFrame, dict]:
    """Waste the warehouse must find (marts/waste): gateway calls sent again by the same caller
    with the same prompt. A retry follows a failed first attempt 15 s earlier; a duplicate
    repeats a successful call 40 s later. Returns the frame with the extra attempts and the
    request ids of the retries and duplicates (the second attempts)."""
    rng = np.random.default_rng(cfg.seed + 9)
    eligible = frame.index[
        (frame["channel"] == "litellm") & ~frame["failed"] & ~frame["proxy_cache_hit"]
        & ~frame["batch"] & frame["ts_seconds"].between(60, 86_000)
    ]  # fmt: skip
    k = max(1, int(len(eligible) * 0.004))
    picked = rng.choice(eligible, size=2 * k, replace=False)
    first_failed = frame.loc[picked[:k]].copy()
    first_failed["ts"] -= pd.Timedelta(seconds=15)
    first_failed["failed"] = True
    for part in ("input_tokens", "output_tokens", "cache_read", "cache_write", "reasoning"):
        first_failed[part] = 0
    duplicates = frame.loc[picked[k:]].copy()
    duplicates["ts"] += pd.Timedelta(seconds=40)
    extra = pd.concat([first_failed, duplicates])
    extra["ts_seconds"] = (
        (extra["ts"] - extra["ts"].dt.floor("D")).dt.total_seconds().astype(np.int64)
    )
    extra[["id_a", "id_b"]] = rng.integers(0, 2**62, size=(len(extra), 2), dtype=np.int64)

    def request_ids(rows: pd.DataFrame) -> list[str]:
        return sorted(
            f"chatcmpl-{a:016x}{b:016x}" for a, b in zip(rows["id_a"], rows["id_b"], strict=True)
        )

    truth = {"retries": request_ids(frame.loc[picked[:k]]), "duplicates": request_ids(extra[k:])}
    frame = pd.concat([frame, extra]).sort_values(["ts", "id_a"], kind="stable")
    return frame.reset_index(drop=True), truth


# --------------------------------------------------------------------------------------------
# Cloud AI: Azure OpenAI and Vertex AI, called through the gateway, billed in FOCUS exports
# --------------------------------------------------------------------------------------------

# Token part -> Azure meter suffix (after the model's meter name), as Azure names its meters
AZURE_METER_SUFFIX = {
    "input": "Inp glbl Tokens",
    "cache_read": "cached Inp glbl Tokens",
    "output": "Outp glbl Tokens",
    "batch_input": "Batch Inp glbl Tokens",
    "batch_output": "Batch Outp glbl Tokens",
}
# Token part -> Vertex AI SKU description tail (after the model's SKU name)
VERTEX_SKU_SUFFIX = {
    "input": "Text Input - Predictions",
    "cache_read": "Cached Text Input - Predictions",
    "output": "Text Output - Predictions",
    "batch_input": "Batch Text Input - Predictions",
    "batch_output": "Batch Text Output - Predictions",
}


def _simulate_cloud_ai(cfg: DemoConfig) -> pd.DataFrame:
    """Gateway requests to Azure OpenAI and Vertex AI, in the columns simulate_requests gives.
    Its own random stream: the rest of the demo's traffic and bills stay as they were."""
    rng = np.random.default_rng(cfg.seed + 13)
    frames = []
    for workload in org.CLOUD_AI_WORKLOADS:
        counts = rng.poisson(max(cfg.requests_per_day * workload.share, 1.0), cfg.days)
        n = int(counts.sum())
        input_tokens = np.maximum(
            1, rng.lognormal(np.log(workload.input_tokens_median), 0.6, n)
        ).astype(np.int64)
        output_tokens = np.maximum(
            1, rng.lognormal(np.log(workload.output_tokens_median), 0.7, n)
        ).astype(np.int64)
        batch = rng.random(n) < workload.batch_rate
        reads_cache = ~batch & (rng.random(n) < workload.cache_read_rate)
        cache_read = np.where(reads_cache, input_tokens * rng.uniform(0.3, 0.8, n), 0).astype(
            np.int64
        )
        failed = rng.random(n) < 0.015
        for part in (input_tokens, output_tokens, cache_read):
            part[failed] = 0
        env_names = np.array([e for e, _ in org.CLOUD_AI_ENVIRONMENTS])
        env_p = np.array([p for _, p in org.CLOUD_AI_ENVIRONMENTS])
        ids = rng.integers(0, 2**62, size=(n, 2), dtype=np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "day": np.repeat(np.arange(cfg.days), counts),
                    "ts_seconds": rng.integers(6 * 3600, 22 * 3600, n),
                    "ts_millis": rng.integers(0, 1000, n),
                    "workload": -1,
                    "channel": workload.channel,
                    "provider_id": workload.provider_id,
                    "model": workload.model_as_logged,
                    "team_id": workload.team_id,
                    "product": workload.product,
                    "use_case": workload.use_case,
                    "feature": workload.feature,
                    "service_name": workload.service_name,
                    "environment": env_names[rng.choice(len(env_names), size=n, p=env_p)],
                    "input_tokens": input_tokens,
                    "cache_read": cache_read,
                    "cache_write": np.zeros(n, dtype=np.int64),
                    "output_tokens": output_tokens,
                    "reasoning": np.zeros(n, dtype=np.int64),
                    "batch": batch,
                    "failed": failed,
                    "proxy_cache_hit": ~failed & (rng.random(n) < 0.01),
                    "id_a": ids[:, 0],
                    "id_b": ids[:, 1],
                    "end_user_n": rng.integers(1, 5000, n),
                    "duration_ms": np.maximum(50, rng.lognormal(np.log(1500), 0.6, n)).astype(
                        np.int64
                    ),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame = _timestamped_in_order(frame, cfg.start)
    # every call carries its key, team and tags; each cloud has one account taking them
    frame["tags_missing"] = False
    frame["team_id_missing"] = False
    frame["key_unmapped"] = False
    frame["owner_team"] = frame["team_id"]
    frame["account_id"] = np.where(
        frame["provider_id"] == "azure_openai", org.AZURE_SUBSCRIPTION, org.GCP_PROJECT
    )
    return frame


def _month_bounds(day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, datetime.min.time(), UTC),
        datetime.combine(nxt, datetime.min.time(), UTC),
    )


def _focus_periods(day: date, currency: str) -> dict:
    """The FOCUS account type, billing currency, billing period and charge period of a charge
    on a day (the charge period is that day)."""
    bp_start, bp_end = _month_bounds(day)
    start = datetime.combine(day, datetime.min.time(), UTC)
    return {
        "BillingAccountType": "Billing Account",
        "BillingCurrency": currency,
        "BillingPeriodStart": bp_start,
        "BillingPeriodEnd": bp_end,
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start + timedelta(days=1),
    }


def _cloud_ai_row(
    day: date, provider: str, list_cost: Decimal, discount: Decimal, unit_price: Decimal
) -> dict:
    """The FOCUS columns every cloud AI line of the demo shares."""
    billed = _q(list_cost * (1 - discount), "0.0000000001")
    azure = provider == "azure_openai"
    return {
        "BillingAccountId": org.AZURE_BILLING_ACCOUNT if azure else org.GCP_BILLING_ACCOUNT,
        "BillingAccountName": "Northwind Labs EA" if azure else "Northwind Labs GCP",
        **_focus_periods(day, "USD"),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeFrequency": "Usage-Based",
        "CommitmentDiscountId": None,
        "CommitmentDiscountStatus": None,
        "InvoiceIssuerName": "Microsoft" if azure else "Google Cloud",
        "ProviderName": "Microsoft" if azure else "Google Cloud",
        "PublisherName": "Microsoft" if azure else "Google Cloud",
        "ServiceName": "Azure OpenAI" if azure else "Vertex AI",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceSubcategory": "Generative AI",
        "SubAccountId": org.AZURE_SUBSCRIPTION if azure else org.GCP_PROJECT,
        "SubAccountName": "ai-platform-prod" if azure else org.GCP_PROJECT,
        "SubAccountType": "Subscription" if azure else "Project",
        "RegionId": "eastus2" if azure else "us-central1",
        "RegionName": "East US 2" if azure else "Iowa",
        "ResourceId": (
            f"{org.AZURE_SUBSCRIPTION}/resourceGroups/rg-ai/providers/"
            "Microsoft.CognitiveServices/accounts/northwind-ai"
            if azure
            else f"//aiplatform.googleapis.com/projects/{org.GCP_PROJECT}/locations/us-central1"
        ),
        "ResourceName": "northwind-ai" if azure else "us-central1",
        "ResourceType": "Azure OpenAI" if azure else "Vertex AI",
        "PricingCategory": "Standard",
        "ListCost": _q(list_cost, "0.0000000001"),
        "BilledCost": billed,
        "EffectiveCost": billed,
        "ContractedCost": billed,
        "ListUnitPrice": _q(unit_price, "0.0000000001"),
        "ContractedUnitPrice": _q(unit_price * (1 - discount), "0.0000000001"),
    }


def _write_cloud_ai(cfg: DemoConfig, prices: PriceBook, out: Path, ledger: Ledger) -> pd.DataFrame:
    """Azure OpenAI and Vertex AI: gateway logs (litellm/cloud_ai/), the Azure Cost Management
    FOCUS export (CSV, meters per model and token type, plus provisioned throughput hours) and
    the GCP FOCUS export (Parquet, SKU descriptions per token type). Returns the requests."""
    frame = _simulate_cloud_ai(cfg)
    _write_litellm(frame, out, cfg.start, folder="litellm/cloud_ai")
    usage = _billable_usage(frame, prices)
    azure_rows: list[dict] = []
    gcp_rows: list[dict] = []
    for rec in usage.itertuples(index=False):
        day = cfg.start + timedelta(days=int(rec.day))
        unit = prices.unit_price(rec.provider_id, rec.model, rec.part, day)
        tokens = int(rec.tokens)
        if rec.provider_id == "azure_openai":
            meter = f"{org.AZURE_METER_MODEL[rec.model]} {AZURE_METER_SUFFIX[rec.part]}"
            row = _cloud_ai_row(
                day, rec.provider_id, tokens * unit, Decimal(org.DISCOUNTS["azure"]), unit * 1000
            ) | {
                "ChargeDescription": f"Azure OpenAI - {meter}",
                "ConsumedQuantity": Decimal(tokens),
                "ConsumedUnit": "Tokens",
                # Azure prices token meters per block of 1K (some newer ones per 1M)
                "PricingQuantity": Decimal(tokens) / 1000,
                "PricingUnit": "1K Tokens",
                "SkuId": f"DZH318Z0{_gcp_sku_id(meter)[:4]}",
                "SkuPriceId": f"DZH318Z0{_gcp_sku_id(meter)[:4]}/0001",
                "SkuMeter": meter,
                "x_SkuMeterName": meter,
                "x_SkuMeterCategory": "Cognitive Services",
                "x_SkuMeterSubcategory": "Azure OpenAI",
                "x_PricingBlockSize": "1000",
            }
            azure_rows.append(row)
        else:
            sku = f"{org.VERTEX_SKU_MODEL[rec.model]} {VERTEX_SKU_SUFFIX[rec.part]}"
            row = _cloud_ai_row(
                day, rec.provider_id, tokens * unit, Decimal(org.DISCOUNTS["gcp"]), unit * 10**6
            ) | {
                # GCP's FOCUS view: ChargeDescription and SkuMeter are the SKU description
                "ChargeDescription": sku,
                "ConsumedQuantity": Decimal(tokens),
                "ConsumedUnit": "Tokens",
                "PricingQuantity": Decimal(tokens) / 10**6,
                "PricingUnit": "1M Tokens",
                "SkuId": _gcp_sku_id(sku),
                "SkuPriceId": _gcp_sku_id(sku),
                "SkuMeter": sku,
                "x_ServiceId": "C7E2-9256-1C43",
            }
            gcp_rows.append(row)
        ledger.add(rec.provider_id, row["BilledCost"])
    # Provisioned throughput: PTUs reserved around the clock, billed per PTU hour, no tokens
    for d in range(cfg.days):
        day = cfg.start + timedelta(days=d)
        hours = Decimal(24 * org.AZURE_PTUS)
        meter = "Provisioned Managed Global"
        row = _cloud_ai_row(
            day,
            "azure_openai",
            hours * org.AZURE_PTU_HOURLY_USD,
            Decimal(org.DISCOUNTS["azure"]),
            org.AZURE_PTU_HOURLY_USD,
        ) | {
            "ChargeDescription": f"Azure OpenAI - {meter}",
            "ConsumedQuantity": hours,
            "ConsumedUnit": "Hours",
            "PricingQuantity": hours,
            "PricingUnit": "Hours",
            "SkuId": "DZH318Z0PTU1",
            "SkuPriceId": "DZH318Z0PTU1/0001",
            "SkuMeter": meter,
            "x_SkuMeterName": meter,
            "x_SkuMeterCategory": "Cognitive Services",
            "x_SkuMeterSubcategory": "Azure OpenAI",
            "x_PricingBlockSize": "1",
        }
        azure_rows.append(row)
        ledger.add("azure_openai", row["BilledCost"])
    _write_cloud_focus(azure_rows, out, "azure", "csv")
    _write_cloud_focus(gcp_rows, out, "gcp", "parquet")
    return frame


def _gcp_sku_id(description: str) -> str:
    """A stable GCP-style SKU id (XXXX-XXXX-XXXX) for a SKU or meter name."""
    digest = hashlib.sha256(description.encode()).hexdigest().upper()
    return f"{digest[0:4]}-{digest[4:8]}-{digest[8:12]}"


def _write_cloud_focus(rows: list[dict], out: Path, export: str, fmt: str) -> None:
    """One delivery per billing period: Azure as its Cost Management export writes CSV
    (focus/azure/<yyyymmdd-yyyymmdd>/part_0_0001.csv), GCP's FOCUS view saved as Parquet
    (focus/gcp/billing_period=<month>/)."""
    if not rows:
        return
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, Decimal)).any():
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    periods = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")
    for column in periods:
        frame[column] = frame[column].map(lambda v: v.strftime("%Y-%m-%dT%H:%M:%SZ"))
    con = db.connect()
    con.register("cloud_rows", frame)
    for period in sorted(frame["BillingPeriodStart"].unique()):
        first = datetime.strptime(period, "%Y-%m-%dT%H:%M:%SZ").date()
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        query = f"""select * from cloud_rows where BillingPeriodStart = '{period}'
                    order by ChargePeriodStart, SkuMeter"""
        if fmt == "csv":
            folder = out / "focus" / export / f"{first:%Y%m%d}-{last:%Y%m%d}"
            folder.mkdir(parents=True, exist_ok=True)
            con.execute(f"copy ({query}) to '{folder / 'part_0_0001.csv'}' (header, delimiter ',')")
        else:
            folder = out / "focus" / export / f"billing_period={first:%Y-%m}"
            folder.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy ({query}) to '{folder / 'focus-000000000000.parquet'}' (format parquet)"
            )
    con.close()


def _with_cloud_ai(
    frame: pd.DataFrame, cfg: DemoConfig, prices: PriceBook, out: Path, ledger: Ledger
) -> pd.DataFrame:
    """The demo's requests with the cloud AI traffic added (for the truth file)."""
    cloud = _write_cloud_ai(cfg, prices, out, ledger)
    return pd.concat([frame, cloud[[c for c in frame.columns if c in cloud.columns]]],
                     ignore_index=True)  # fmt: skip


def generate(cfg: DemoConfig, out: Path, seeds_dir: Path = SEEDS_DIR) -> dict:
    """Write the demo landing folder and return the truth the tests check against."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    prices = PriceBook(seeds_dir)
    frame, repeats = _inject_repeats(simulate_requests(cfg), cfg)
    plan = anomalies.plan(cfg.days, cfg.seed) if cfg.anomalies else None
    if plan is not None:
        frame, moved = anomalies.inject(frame, plan, cfg.start, cfg.seed)
        resent = moved["runaway_retry_loop"].pop("resent_request_ids")
        repeats["duplicates"] = sorted(repeats["duplicates"] + resent)
    rng = np.random.default_rng(cfg.seed + 1)
    _write_litellm(frame, out, cfg.start)
    _write_otel(frame, out, cfg.start)
    usage = _billable_usage(frame, prices)
    ledger = Ledger()
    _write_openai_costs(usage, cfg, prices, out, ledger, rng)
    _write_anthropic_costs(usage, cfg, prices, out, ledger, rng)
    _write_aws_focus(usage, cfg, prices, out, ledger, plan.idle_gpu_days if plan else ())
    usage_api_truth = _write_usage_apis(frame, usage, cfg, prices, out, ledger)
    drivers = _write_business_drivers(frame, cfg, out, rng)
    frame = _with_cloud_ai(frame, cfg, prices, out, ledger)
    dirt = _add_dirt(out, cfg) if cfg.dirt else {}
    truth = _truth(frame, ledger, drivers, dirt)
    truth["waste_repeats"] = repeats
    truth["usage_api"] = usage_api_truth
    truth["config"] = {k: str(v) for k, v in asdict(cfg).items()}
    truth["injected_anomalies"] = (
        anomalies.truth(plan, moved, cfg.start, prices, seeds_dir) if plan else []
    )
    _write_aws_eu_account(cfg, prices, out, truth, seeds_dir)
    (out / "_demo_truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True))
    return truth


# --------------------------------------------------------------------------------------------
# The EU entity: an AWS account billed in EUR
# --------------------------------------------------------------------------------------------

EU_REQUEST_SHARE = 0.1  # of cfg.requests_per_day, every day
EU_REGION = ("eu-central-1", "Europe (Frankfurt)", "EUC1")


def _eur_per_usd(seeds_dir: Path, day: date) -> Decimal:
    """What AWS converts the EU entity's USD list prices at: the EUR rate of the FX seed in
    force on the day (1 EUR = rate USD); the repository's seed when seeds_dir has none."""
    path = seeds_dir / "fx_rates.csv"
    with open(path if path.exists() else SEEDS_DIR / "fx_rates.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle)
                if r["from_currency"] == "EUR" and r["to_currency"] == "USD"
                and date.fromisoformat(r["valid_from"]) <= day]  # fmt: skip
    if not rows:
        raise ValueError(f"the FX seed has no EUR -> USD rate in force on {day}")
    return Decimal(max(rows, key=lambda r: r["valid_from"])["rate"])


def _write_aws_eu_account(
    cfg: DemoConfig, prices: PriceBook, out: Path, truth: dict, seeds_dir: Path
) -> None:
    """The EU entity: Bedrock calls logged as OTel spans from its own AWS account, billed in
    EUR by its own payer account (a FOCUS export of its own). Adds its requests, tokens and
    EUR bill to `truth` (billed_by_currency, eur_account)."""
    rng = np.random.default_rng(cfg.seed + 13)
    workload = next(w for w in org.WORKLOADS
                    if w.provider_id == "aws_bedrock" and w.channel == "otel")  # fmt: skip
    counts = np.maximum(1, rng.poisson(cfg.requests_per_day * EU_REQUEST_SHARE, cfg.days))
    n = int(counts.sum())
    day = np.repeat(np.arange(cfg.days), counts)
    seconds = rng.integers(6 * 3600, 20 * 3600, n)
    frame = pd.DataFrame(
        {
            "day": day,
            "channel": "otel",
            "provider_id": workload.provider_id,
            "model": workload.model_as_logged,
            "service_name": workload.service_name,
            "environment": "production",
            "account_id": org.AWS_EU_ACCOUNT,
            "feature": workload.feature,
            "input_tokens": np.maximum(1, rng.lognormal(np.log(30000), 0.5, n)).astype(np.int64),
            "output_tokens": np.maximum(1, rng.lognormal(np.log(3000), 0.5, n)).astype(np.int64),
            "cache_read": 0,
            "cache_write": 0,
            "reasoning": 0,
            "batch": False,
            "failed": False,
            "id_a": rng.integers(0, 2**62, n, dtype=np.int64),
            "id_b": rng.integers(0, 2**62, n, dtype=np.int64),
            "end_user_n": rng.integers(1, 5000, n),
            "duration_ms": rng.integers(300, 4000, n),
        }
    )
    frame["ts"] = (
        pd.Timestamp(cfg.start, tz="UTC")
        + pd.to_timedelta(frame["day"], unit="D")
        + pd.to_timedelta(seconds, unit="s")
    )
    (out / "otel").mkdir(parents=True, exist_ok=True)
    con = db.connect()
    con.register("requests", frame)
    con.execute(OTEL_MACROS)
    for offset, document in con.execute(OTEL_SQL).fetchall():
        path = out / "otel" / f"genai_spans_eu_{cfg.start + timedelta(days=int(offset))}.json"
        path.write_text(document)

    discount = Decimal(org.DISCOUNTS["aws"])
    region_id, region_name, region_code = EU_REGION
    rows: list[dict] = []
    daily = frame.groupby("day", as_index=False)[["input_tokens", "output_tokens"]].sum()
    for rec in daily.itertuples(index=False):
        charge_day = cfg.start + timedelta(days=int(rec.day))
        eur_per_usd = 1 / _eur_per_usd(seeds_dir, charge_day)
        for part, tokens in (("input", rec.input_tokens), ("output", rec.output_tokens)):
            kind = BEDROCK_USAGE_SUFFIX[part]
            unit_eur = prices.unit_price("aws_bedrock", workload.model_as_logged, part,
                                         charge_day) * 1000 * eur_per_usd  # fmt: skip
            list_cost = _q(Decimal(int(tokens)) / 1000 * unit_eur, "0.0000000001")
            billed = _q(list_cost * (1 - discount), "0.0000000001")
            model_id = prices.canonical("aws_bedrock", workload.model_as_logged)[1]
            rows.append({
                "BillingAccountId": org.AWS_EU_PAYER_ACCOUNT,
                "BillingAccountName": "Northwind Labs EU",
                **_focus_periods(charge_day, "EUR"),
                "InvoiceId": f"EUINDE{charge_day:%y%m}-{org.AWS_EU_PAYER_ACCOUNT[-4:]}",
                "InvoiceIssuerName": "AWS",
                "ProviderName": "AWS",
                "PublisherName": "AWS",
                "ServiceProviderName": "AWS",
                "HostProviderName": "AWS",
                "SubAccountId": org.AWS_EU_ACCOUNT,
                "SubAccountName": "ml-eu",
                "SubAccountType": "Account",
                "RegionId": region_id,
                "RegionName": region_name,
                "ChargeCategory": "Usage",
                "ChargeDescription": f"Amazon Bedrock {workload.model_as_logged} {kind}",
                "ChargeFrequency": "Usage-Based",
                "ConsumedQuantity": Decimal(int(tokens)),
                "ConsumedUnit": "Tokens",
                "PricingQuantity": Decimal(int(tokens)) / 1000,
                "PricingUnit": "1000 Tokens",
                "PricingCategory": "Standard",
                "ListUnitPrice": _q(unit_eur, "0.0000000001"),
                "ContractedUnitPrice": _q(unit_eur * (1 - discount), "0.0000000001"),
                "ListCost": list_cost,
                "ContractedCost": billed,
                "BilledCost": billed,
                "EffectiveCost": billed,
                "ResourceId": f"arn:aws:bedrock:{region_id}::foundation-model/"
                              f"{workload.model_as_logged}",
                "ResourceName": workload.model_as_logged,
                "ResourceType": "Foundation Model",
                "ServiceCategory": "AI and Machine Learning",
                "ServiceSubcategory": "Generative AI",
                "ServiceName": "Amazon Bedrock",
                "SkuId": f"BEDROCK-{model_id}-{kind}",
                "SkuPriceId": f"BEDROCK-{model_id}-{kind}-{region_code}",
                "SkuMeter": kind,
                "Tags": json.dumps({"aws:createdBy": "bedrock"}),
                "x_ServiceCode": "AmazonBedrock",
                "x_UsageType": f"{region_code}-{workload.model_as_logged}-{kind}",
                "x_Operation": "InvokeModel",
            })  # fmt: skip
    bill = pd.DataFrame(rows)
    bill["month"] = bill["BillingPeriodStart"].dt.strftime("%Y-%m")
    _write_focus_months(con, bill, out / "focus" / "aws-eu", "ChargePeriodStart, SkuId")
    con.close()

    eur_total = sum((r["BilledCost"] for r in rows), Decimal(0))
    input_tokens, output_tokens = (
        int(frame["input_tokens"].sum()),
        int(frame["output_tokens"].sum()),
    )
    truth["requests"] += n
    truth["successful_requests"] += n
    truth["requests_by_channel"]["otel"] = truth["requests_by_channel"].get("otel", 0) + n
    truth["requests_by_provider"]["aws_bedrock"] = (
        truth["requests_by_provider"].get("aws_bedrock", 0) + n
    )
    truth["tokens"]["uncached_input"] += input_tokens
    truth["tokens"]["input_total"] += input_tokens
    truth["tokens"]["output"] += output_tokens
    # billed_usd / billed_usd_total stay USD-only: money is never summed across currencies
    truth["billed_by_currency"] = {"USD": truth["billed_usd_total"], "EUR": _dec_str(eur_total)}
    truth["eur_account"] = {
        "billing_account_id": org.AWS_EU_PAYER_ACCOUNT,
        "sub_account_id": org.AWS_EU_ACCOUNT,
        "requests": n,
        "bill_lines": len(rows),
        "billed_eur": _dec_str(eur_total),
    }
