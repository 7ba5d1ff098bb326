"""Scale data for the benchmark: N LLM requests over D days, written straight to the landing
formats the pipeline reads, with bills that match the usage.

    python benchmarks/scale_data.py --out /tmp/landing --requests 1000000 --days 90

Writes (one file per day, or per month for FOCUS):

- `litellm/spend_logs_<day>.jsonl`     LiteLLM spend logs: OpenAI and Anthropic gateway traffic
- `otel/genai_spans_<day>_<n>.json`    OTLP JSON GenAI spans: Amazon Bedrock traffic, in chunks
- `openai/costs/page_<day>.json`       OpenAI Costs API pages (one daily bucket each)
- `anthropic/cost_report/page_<day>.json` Anthropic cost report pages (cents as strings)
- `focus/aws-<payer>/billing_period=<month>/focus-00001.snappy.parquet` AWS FOCUS export

Every request row is made by DuckDB from `range(n)` with hash-based pseudo-random columns (no
Python loop per request); the bills are built per bill line (day x account x model x token
part) from the usage the logs carry, priced with the price catalog seed (date-effective) less
the discount in the price overrides seed, plus a little unlogged usage (1% more input tokens on
each provider's first sub-account) and a monthly platform fee. Owners come from the org seeds
(`org_api_keys`, `org_provider_accounts`, `org_services`), so the pipeline maps them.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import zstandard

from dagster_project.config import SEEDS_DIR
from dagster_project.demo.generator import LITELLM_TOKEN_AND_TIME_COLUMNS, OTEL_MACROS

START = date(2026, 7, 1)
# Models the benchmark's traffic uses, per provider; each must be in the price catalog with an
# input, cache read and output price (cache write is used where the catalog prices it).
DEFAULT_MODELS = {
    "openai": ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"),
    "anthropic": ("claude-sonnet-4-0", "claude-3-5-haiku-latest"),
    "aws_bedrock": ("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0"),
}
GATEWAY_PROVIDERS = ("openai", "anthropic")  # through LiteLLM; the rest are OTel spans
SPANS_PER_FILE = 50_000
PLATFORM_FEE_USD = Decimal("1500.00")  # OpenAI, on the first day of each month
OPENAI_LINE_ITEM = {"input": "input", "cache_read": "cached input", "output": "output"}
ANTHROPIC_TOKEN_TYPE = {
    "input": "uncached_input_tokens",
    "cache_read": "cache_read_input_tokens",
    "cache_write": "cache_creation.ephemeral_5m_input_tokens",
    "output": "output_tokens",
}
BEDROCK_USAGE_SUFFIX = {
    "input": "input-tokens",
    "cache_read": "cache-read-input-token-count",
    "cache_write": "cache-write-input-token-count",
    "output": "output-tokens",
}
PRICE_COLUMN = {
    "input": "input_usd_per_mtok",
    "cache_read": "cache_read_usd_per_mtok",
    "cache_write": "cache_write_usd_per_mtok",
    "output": "output_usd_per_mtok",
}


@dataclass
class Stats:
    requests: int = 0
    bill_lines: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)

    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def requests_on(day: int, requests: int, days: int) -> int:
    """Requests on day index `day` of a history of `requests` over `days` (later days: the
    history's daily mean)."""
    base, extra = divmod(requests, days)
    return base + (1 if day < extra else 0)


def _setup(seeds_dir: Path, models: dict[str, tuple[str, ...]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the seeds, the traffic sources (who calls what, billed where)
    and the models with their prices."""
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")
    for name in ("org_api_keys", "org_provider_accounts", "org_services", "price_catalog",
                 "price_overrides"):  # fmt: skip
        path = str(seeds_dir / f"{name}.csv")
        con.execute(
            f"create table {name} as select * from read_csv(?, header = true, all_varchar = true)",
            [path],
        )
    con.execute("create table models (provider_id varchar, model_idx integer, model_id varchar)")
    for provider, names in models.items():
        for idx, model in enumerate(names):
            con.execute("insert into models values (?, ?, ?)", [provider, idx, model])
    missing = con.execute(
        """select models.provider_id || '/' || models.model_id from models
           where not exists (select 1 from price_catalog as prices
               where prices.provider_id = models.provider_id
               and prices.model_id = models.model_id
               and nullif(prices.input_usd_per_mtok, '') is not null
               and nullif(prices.cache_read_usd_per_mtok, '') is not null
               and nullif(prices.output_usd_per_mtok, '') is not null)"""
    ).fetchall()
    if missing:
        raise SystemExit(
            "models not in the price catalog with input, cache read and output prices: "
            + ", ".join(m for (m,) in missing)
        )
    con.execute(
        """create table model_prices as
           select models.*, prices.effective_from::date as effective_from,
                  coalesce(nullif(prices.effective_to, '')::date, date '9999-12-31')
                      as effective_to,
                  nullif(prices.input_usd_per_mtok, '')::decimal(18, 6) as input_usd_per_mtok,
                  nullif(prices.cache_read_usd_per_mtok, '')::decimal(18, 6)
                      as cache_read_usd_per_mtok,
                  nullif(prices.cache_write_usd_per_mtok, '')::decimal(18, 6)
                      as cache_write_usd_per_mtok,
                  nullif(prices.output_usd_per_mtok, '')::decimal(18, 6) as output_usd_per_mtok
           from models
           inner join price_catalog as prices
               on prices.provider_id = models.provider_id and prices.model_id = models.model_id"""
    )
    # Gateway traffic: each API key to each gateway provider where the key's team has an
    # account there or the provider has a default account for unmapped traffic.
    # Instrumented services (OTel): each service in each account of the other providers.
    con.execute(
        f"""create table sources as
        with gateway as (
            select 'litellm' as channel, accounts.provider_id, keys.api_key_hash as api_key,
                cast(null as varchar) as service_name, keys.team_id,
                coalesce(own.billing_account_id, fallback.billing_account_id)
                    as billing_account_id,
                coalesce(own.sub_account_id, fallback.sub_account_id) as sub_account_id
            from org_api_keys as keys
            cross join (select distinct provider_id from org_provider_accounts
                        where provider_id in {GATEWAY_PROVIDERS}) as accounts
            left join org_provider_accounts as own
                on own.provider_id = accounts.provider_id and own.team_id = keys.team_id
            left join (select * from org_provider_accounts
                       where routes_unmapped_traffic = 'true') as fallback
                on fallback.provider_id = accounts.provider_id
            where coalesce(own.sub_account_id, fallback.sub_account_id) is not null
        ),
        instrumented as (
            select 'otel' as channel, accounts.provider_id, null as api_key,
                services.service_name, services.team_id, accounts.billing_account_id,
                accounts.sub_account_id
            from org_services as services
            cross join org_provider_accounts as accounts
            where accounts.provider_id in (select provider_id from models)
                and accounts.provider_id not in {GATEWAY_PROVIDERS}
        ),
        unioned as (
            select * from gateway union all select * from instrumented
        )
        select row_number() over (order by channel, provider_id, api_key, service_name,
                                  sub_account_id) - 1 as source_id,
            unioned.*,
            (select count(*) from models where models.provider_id = unioned.provider_id)
                as model_count
        from unioned
        where unioned.provider_id in (select provider_id from models)"""
    )
    if not con.execute("select count(*) from sources").fetchone()[0]:
        raise SystemExit("the org seeds give no traffic source for the benchmark's providers")
    con.execute(OTEL_MACROS)
    con.execute(
        """create table usage (day integer, provider_id varchar, billing_account_id varchar,
           sub_account_id varchar, model_id varchar, part varchar, tokens bigint)"""
    )
    return con


def _make_requests(
    con: duckdb.DuckDBPyConnection, day: int, n: int, start: date, salt: int = 0
) -> None:
    """Table `req`: day index `day`'s `n` requests. Every column is a hash of (request number,
    day, salt, column number): the same arguments give the same rows."""
    sources = con.execute("select count(*) from sources").fetchone()[0]

    def u(k: int) -> str:  # uniform in [0, 1)
        return f"((hash(range, {day}, {salt}, {k}) % 1000000) / 1000000.0)"

    con.execute(
        f"""create or replace temp table req as
        with drawn as (
            select range as i,
                hash(range, {day}, {salt}, 1) % {sources} as source_id,
                hash(range, {day}, {salt}, 2) as model_draw,
                timestamptz '{start.isoformat()} 00:00:00+00' + interval ({day}) day
                    + to_milliseconds(hash(range, {day}, {salt}, 3) % 86400000) as ts,
                cast(50 + floor(3000 * {u(4)} ^ 2) as bigint)
                    as input_tokens,
                cast(10 + floor(800 * {u(5)} ^ 2) as bigint)
                    as output_tokens,
                {u(6)} as cache_draw,
                {u(7)} as cache_share,
                hash(range, {day}, {salt}, 8) as env_draw,
                cast(200 + hash(range, {day}, {salt}, 9) % 4000 as bigint) as duration_ms
            from range({n})
        )
        select
            drawn.i, drawn.ts, drawn.duration_ms,
            printf('%04x%02x%010x%016x', {day}, {salt}, drawn.i, hash(drawn.i, {day}, {salt}))
                as request_key,
            sources.channel, sources.provider_id, sources.api_key, sources.service_name,
            sources.team_id, sources.billing_account_id, sources.sub_account_id,
            models.model_id,
            (['production', 'staging', 'development'])[1 + (drawn.env_draw % 3)::bigint]
                as environment,
            'feature-' || (drawn.env_draw // 3) % 4 as feature,
            drawn.input_tokens, drawn.output_tokens,
            case when drawn.cache_draw < 0.35
                then cast(floor(drawn.input_tokens * (0.3 + 0.5 * drawn.cache_share)) as bigint)
                else 0 end as cache_read,
            case when drawn.cache_draw >= 0.9 and prices.cache_write_usd_per_mtok is not null
                then cast(floor(drawn.input_tokens * 0.4) as bigint)
                else 0 end as cache_write
        from drawn
        inner join sources on drawn.source_id = sources.source_id
        inner join models
            on models.provider_id = sources.provider_id
            and models.model_idx = drawn.model_draw % sources.model_count
        inner join model_prices as prices
            on prices.provider_id = models.provider_id and prices.model_id = models.model_id
            and cast(drawn.ts as date) >= prices.effective_from
            and cast(drawn.ts as date) < prices.effective_to"""
    )


LITELLM_SQL = (
    """
select
    'chatcmpl-' || request_key as request_id,
    'acompletion' as call_type,
    api_key,
    round((input_tokens * 2.5e-6 + output_tokens * 1e-5), 8) as spend,
"""
    + LITELLM_TOKEN_AND_TIME_COLUMNS
    + """\
    model_id as model,
    printf('%012x', hash(model_id) % 281474976710655) as model_id,
    model_id as model_group,
    provider_id as custom_llm_provider,
    'https://gateway.example/' || provider_id as api_base,
    'user-' || (i % 5000) || '@customers.example' as "user",
    {
        'user_api_key_alias': 'key-' || right(api_key, 4),
        'usage_object': {
            'prompt_tokens': input_tokens,
            'completion_tokens': output_tokens,
            'prompt_tokens_details': {'cached_tokens': cache_read},
            'cache_creation_input_tokens': cache_write,
            'cache_read_input_tokens': cache_read,
            'completion_tokens_details': {'reasoning_tokens': 0}
        },
        'batch': false
    } as metadata,
    'False' as cache_hit,
    null as cache_key,
    ['env:' || environment, 'feature:' || feature] as request_tags,
    null as team_id,
    null as organization_id,
    'cust_' || (i % 5000) as end_user,
    printf('%08x', i % 4294967295) as session_id,
    'success' as status
from req
where channel = 'litellm'
order by ts, i
"""
)

OTEL_SQL = f"""
with spans as (
    select
        service_name, environment, sub_account_id,
        (row_number() over (order by ts, i) - 1) // {SPANS_PER_FILE} as chunk,
        '{{"traceId":"' || printf('%016x%016x', hash(request_key), hash(request_key, 1))
        || '","spanId":"' || printf('%016x', hash(request_key, 2))
        || '","name":' || to_json('chat ' || model_id)
        || ',"kind":3,"startTimeUnixNano":"' || epoch_ns(ts)
        || '","endTimeUnixNano":"' || (epoch_ns(ts) + duration_ms * 1000000)
        || '","attributes":[' || array_to_string(list_filter([
            otel_str('gen_ai.provider.name', replace(provider_id, '_', '.')),
            otel_str('gen_ai.operation.name', 'chat'),
            otel_str('gen_ai.request.model', model_id),
            otel_str('gen_ai.response.model', model_id),
            otel_str('gen_ai.response.id', 'resp_' || request_key),
            otel_int('gen_ai.usage.input_tokens', input_tokens),
            otel_int('gen_ai.usage.output_tokens', output_tokens),
            otel_int('gen_ai.usage.cache_read.input_tokens', nullif(cache_read, 0)),
            otel_int('gen_ai.usage.cache_creation.input_tokens', nullif(cache_write, 0)),
            otel_str('app.feature', feature)
        ], lambda a: a is not null), ',')
        || '],"status":{{"code":1}}}}' as span_json
    from req
    where channel = 'otel'
),
resources as (
    select
        chunk,
        '{{"resource":{{"attributes":[' || array_to_string([
            otel_str('service.name', service_name),
            otel_str('deployment.environment', environment),
            otel_str('cloud.account.id', sub_account_id)
        ], ',') || ']}},"scopeSpans":[{{"scope":{{"name":"benchmark.genai"}},'
        || '"spans":[' || string_agg(span_json, ',') || ']}}]}}' as resource_json
    from spans
    group by chunk, service_name, environment, sub_account_id
)
select chunk, '{{"resourceSpans":[' || string_agg(resource_json, ',' order by resource_json)
    || ']}}'
from resources
group by chunk
order by chunk
"""

USAGE_SQL = """
insert into usage
select {day}, provider_id, billing_account_id, sub_account_id, model_id, part, sum(tokens)
from (
    unpivot (
        select provider_id, billing_account_id, sub_account_id, model_id,
            input_tokens - cache_read - cache_write as "input",
            cache_read, cache_write, output_tokens as "output"
        from req
    ) on "input", cache_read, cache_write, "output" into name part value tokens
)
where tokens > 0
group by all
"""


def _write_logs(
    con: duckdb.DuckDBPyConnection, out: Path, day: date, suffix: str = "", zstd: bool = False
) -> list:
    """The day's LiteLLM JSONL file and OTLP JSON chunks; with `zstd`, zstd-compressed (.zst:
    about a tenth of the bytes, for the 10M and 100M runs), as gateways often ship them."""
    files = []
    compressed = ".zst" if zstd else ""
    litellm = out / "litellm" / f"spend_logs_{day}{suffix}.jsonl{compressed}"
    litellm.parent.mkdir(parents=True, exist_ok=True)
    if con.execute("select count(*) from req where channel = 'litellm'").fetchone()[0]:
        options = "format json, compression zstd" if zstd else "format json"
        con.execute(f"copy ({LITELLM_SQL}) to '{litellm}' ({options})")
        files.append(litellm)
    (out / "otel").mkdir(parents=True, exist_ok=True)
    for chunk, document in con.execute(OTEL_SQL).fetchall():
        path = out / "otel" / f"genai_spans_{day}{suffix}_{chunk:03d}.json{compressed}"
        data = document.encode()
        path.write_bytes(zstandard.ZstdCompressor().compress(data) if zstd else data)
        files.append(path)
    return files


# --------------------------------------------------------------------------------------------
# Bills: per bill line (not per request)
# --------------------------------------------------------------------------------------------


def _bill_lines(con: duckdb.DuckDBPyConnection, days: list[int], start: date) -> list[tuple]:
    """(day, provider, billing account, sub-account, model, part, tokens, USD per token, list
    cost, billed cost) for the usage on `days`, the unlogged usage added."""
    day_list = ", ".join(str(d) for d in days) or "null"
    part_price = " ".join(
        f"when '{part}' then prices.{column}" for part, column in PRICE_COLUMN.items()
    )
    rows = con.execute(
        f"""
        with first_accounts as (
            select provider_id, min(sub_account_id) as sub_account_id
            from sources group by provider_id
        ),
        lines as (
            select usage.*,
                -- a little traffic that bypasses the logs: billed, never logged
                usage.tokens + case when usage.part = 'input'
                    and first_accounts.sub_account_id is not null
                    then usage.tokens // 100 else 0 end as billed_tokens,
                date '{start.isoformat()}' + usage.day::integer as charge_date
            from usage
            left join first_accounts
                on usage.provider_id = first_accounts.provider_id
                and usage.sub_account_id = first_accounts.sub_account_id
            where usage.day in ({day_list})
        ),
        discounts as (
            select provider_id, billing_account_id, model_id,
                effective_from::date as effective_from,
                coalesce(nullif(effective_to, '')::date, date '9999-12-31') as effective_to,
                coalesce(nullif(discount_pct, '')::decimal(9, 4), 0) as discount_pct
            from price_overrides
        )
        select lines.day, lines.provider_id, lines.billing_account_id, lines.sub_account_id,
            lines.model_id, lines.part, lines.billed_tokens,
            case lines.part {part_price} end as usd_per_mtok,
            coalesce((select discounts.discount_pct from discounts
                      where discounts.provider_id = lines.provider_id
                        and discounts.billing_account_id = lines.billing_account_id
                        and discounts.model_id in ('*', lines.model_id)
                        and lines.charge_date >= discounts.effective_from
                        and lines.charge_date < discounts.effective_to
                      order by discounts.model_id = '*', discounts.effective_from desc
                      limit 1), 0) as discount_pct
        from lines
        inner join model_prices as prices
            on prices.provider_id = lines.provider_id and prices.model_id = lines.model_id
            and lines.charge_date >= prices.effective_from
            and lines.charge_date < prices.effective_to
        order by all"""
    ).fetchall()
    out = []
    for day, provider, account, sub, model, part, tokens, per_mtok, pct in rows:
        unit = Decimal(per_mtok) / Decimal(1_000_000)
        list_cost = Decimal(tokens) * unit
        billed = list_cost * (1 - Decimal(pct) / 100)
        out.append((day, provider, account, sub, model, part, tokens, unit, list_cost, billed))
    return out


def _literal(value: str) -> str:
    """A SQL string literal (COPY takes no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _number(text: str) -> str:
    return "\x00" + text + "\x00"


def _dumps(obj: object) -> str:
    """JSON with decimals written as bare numbers (never through a float)."""
    return json.dumps(obj, indent=1).replace('"\\u0000', "").replace('\\u0000"', "")


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _write_page(path: Path, bucket: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page = {"object": "page", "data": [bucket], "has_more": False, "next_page": None}
    path.write_text(_dumps(page))


def _write_vendor_pages(lines: list[tuple], days: list[int], start: date, out: Path) -> list:
    files = []
    for d in days:
        day = start + timedelta(days=d)
        begin = datetime.combine(day, datetime.min.time(), UTC)
        end = begin + timedelta(days=1)
        openai, anthropic = [], []
        for _, provider, _, sub, model, part, tokens, _, _, billed in (
            line for line in lines if line[0] == d
        ):
            if provider == "openai":
                openai.append({
                    "object": "organization.costs.result",
                    "amount": {"value": _number(_plain(billed.quantize(Decimal("1e-9")))),
                               "currency": "usd"},
                    "line_item": f"{model}, {OPENAI_LINE_ITEM[part]}",
                    "project_id": sub,
                    "api_key_id": None,
                    "quantity": tokens,
                    "quantity_unit": "tokens",
                })  # fmt: skip
            elif provider == "anthropic":
                cents = (billed * 100).quantize(Decimal("0.0001"))
                anthropic.append({
                    "currency": "USD",
                    "amount": _plain(cents),
                    "workspace_id": sub,
                    "description": f"{model} usage - {ANTHROPIC_TOKEN_TYPE[part]}",
                    "cost_type": "tokens",
                    "context_window": "0-200k",
                    "model": model,
                    "service_tier": "standard",
                    "token_type": ANTHROPIC_TOKEN_TYPE[part],
                })  # fmt: skip
        if day.day == 1 and openai:
            openai.append({
                "object": "organization.costs.result",
                "amount": {"value": _number(_plain(PLATFORM_FEE_USD)), "currency": "usd"},
                "line_item": "Scale Tier platform fee", "project_id": None, "api_key_id": None,
                "quantity": None, "quantity_unit": None,
            })  # fmt: skip
        if openai:
            path = out / "openai" / "costs" / f"page_{day}.json"
            _write_page(path, {"object": "bucket", "start_time": int(begin.timestamp()),
                               "end_time": int(end.timestamp()), "results": openai})  # fmt: skip
            files.append(path)
        if anthropic:
            path = out / "anthropic" / "cost_report" / f"page_{day}.json"
            _write_page(path, {"starting_at": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "ending_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "results": anthropic})  # fmt: skip
            files.append(path)
    return files


FOCUS_SQL = """
select
    billing_account_id as BillingAccountId,
    billing_account_id as BillingAccountName,
    'Billing Account' as BillingAccountType,
    'USD' as BillingCurrency,
    timezone('UTC', date_trunc('month', charge_date)::timestamp) as BillingPeriodStart,
    timezone('UTC', (date_trunc('month', charge_date) + interval 1 month)::timestamp)
        as BillingPeriodEnd,
    timezone('UTC', charge_date::timestamp) as ChargePeriodStart,
    timezone('UTC', charge_date::timestamp + interval 1 day) as ChargePeriodEnd,
    'INV-' || strftime(charge_date, '%y%m') || '-' || right(billing_account_id, 4) as InvoiceId,
    'AWS' as InvoiceIssuerName, 'AWS' as ProviderName, 'AWS' as PublisherName,
    'AWS' as ServiceProviderName, 'AWS' as HostProviderName,
    sub_account_id as SubAccountId, sub_account_id as SubAccountName,
    'Account' as SubAccountType,
    'us-east-1' as RegionId, 'US East (N. Virginia)' as RegionName,
    null::varchar as AvailabilityZone, null::varchar as ChargeClass,
    null::varchar as CommitmentDiscountId, null::varchar as CommitmentDiscountStatus,
    null::varchar as CommitmentDiscountCategory, null::varchar as CommitmentDiscountType,
    'Usage' as ChargeCategory,
    'Amazon Bedrock ' || model_id || ' ' || kind as ChargeDescription,
    'Usage-Based' as ChargeFrequency,
    'Tokens' as ConsumedUnit,
    '1000 Tokens' as PricingUnit,
    'Standard' as PricingCategory,
    'arn:aws:bedrock:us-east-1::foundation-model/' || model_id as ResourceId,
    model_id as ResourceName,
    'Foundation Model' as ResourceType,
    'AI and Machine Learning' as ServiceCategory,
    'Generative AI' as ServiceSubcategory,
    'Amazon Bedrock' as ServiceName,
    'BEDROCK-' || model_id || '-' || kind as SkuId,
    'BEDROCK-' || model_id || '-' || kind || '-USE1' as SkuPriceId,
    kind as SkuMeter,
    '{{"aws:createdBy": "bedrock"}}' as Tags,
    'AmazonBedrock' as x_ServiceCode,
    'USE1-' || model_id || '-' || kind as x_UsageType,
    'InvokeModel' as x_Operation,
    billed::decimal(38, 10) as BilledCost,
    billed::decimal(38, 10) as EffectiveCost,
    list_cost::decimal(38, 10) as ListCost,
    billed::decimal(38, 10) as ContractedCost,
    (unit * 1000)::decimal(38, 10) as ListUnitPrice,
    (unit * 1000 * (1 - discount_share))::decimal(38, 10) as ContractedUnitPrice,
    tokens::decimal(38, 10) as ConsumedQuantity,
    (tokens * 0.001)::decimal(38, 10) as PricingQuantity
from focus_lines
where billing_account_id = {account} and strftime(charge_date, '%Y-%m') = {month}
order by ChargePeriodStart, SubAccountId, SkuId
"""


def _write_focus(
    con: duckdb.DuckDBPyConnection, lines: list[tuple], start: date, out: Path
) -> list:
    """One FOCUS export per payer account and month, holding every Bedrock line of the month
    so far (AWS re-states the month in place: the newer delivery supersedes)."""
    rows = [
        (start + timedelta(days=d), account, sub, model, BEDROCK_USAGE_SUFFIX[part], tokens,
         str(unit), str(list_cost), str(billed),
         str(1 - billed / list_cost if list_cost else Decimal(0)))
        for d, provider, account, sub, model, part, tokens, unit, list_cost, billed in lines
        if provider not in GATEWAY_PROVIDERS
    ]  # fmt: skip
    if not rows:
        return []
    con.execute(
        """create or replace temp table focus_lines (charge_date date, billing_account_id
           varchar, sub_account_id varchar, model_id varchar, kind varchar, tokens bigint,
           unit decimal(38, 18), list_cost decimal(38, 18), billed decimal(38, 18),
           discount_share decimal(38, 18))"""
    )
    con.executemany("insert into focus_lines values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    files = []
    for account, month in con.execute(
        "select distinct billing_account_id, strftime(charge_date, '%Y-%m') from focus_lines"
    ).fetchall():
        folder = out / "focus" / f"aws-{account}" / f"billing_period={month}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "focus-00001.snappy.parquet"
        con.execute(
            f"copy ({FOCUS_SQL.format(account=_literal(account), month=_literal(month))}) "
            f"to {_literal(str(path))} (format parquet, compression snappy)"
        )
        files.append(path)
    return files


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def generate(
    out: Path,
    requests: int,
    days: int,
    *,
    first_day: int = 0,
    day_count: int | None = None,
    start: date = START,
    seeds_dir: Path = SEEDS_DIR,
    models: dict[str, tuple[str, ...]] | None = None,
    progress: bool = False,
    zstd: bool = False,
) -> Stats:
    """Write days [first_day, first_day + day_count) of a history of `requests` over `days`
    (all of it by default) into the landing folder `out`. A later call for the next day adds
    its logs and vendor pages and re-states the month's FOCUS export."""
    began = time.perf_counter()
    day_count = days - first_day if day_count is None else day_count
    written = list(range(first_day, first_day + day_count))
    con = _setup(seeds_dir, models or DEFAULT_MODELS)
    stats = Stats()
    for d in written:
        n = requests_on(d, requests, days)
        _make_requests(con, d, n, start)
        stats.files += _write_logs(con, out, start + timedelta(days=d), zstd=zstd)
        con.execute(USAGE_SQL.format(day=d))
        stats.requests += n
        if progress and (d - first_day) % 10 == 9:
            print(f"  day {d + 1}/{first_day + day_count}: {stats.requests:,} requests", flush=True)
    # FOCUS months re-stated in full: the usage of their earlier days is made again (the same
    # hash gives the same rows), not written to the logs again
    months = {(start + timedelta(days=d)).strftime("%Y-%m") for d in written}
    month_days = [
        d for d in range(first_day) if (start + timedelta(days=d)).strftime("%Y-%m") in months
    ]
    for d in month_days:
        _make_requests(con, d, requests_on(d, requests, days), start)
        con.execute(USAGE_SQL.format(day=d))
    lines = _bill_lines(con, month_days + written, start)
    stats.bill_lines = sum(1 for line in lines if line[0] in set(written))
    stats.files += _write_vendor_pages(lines, written, start, out)
    stats.files += _write_focus(con, lines, start, out)
    con.close()
    stats.seconds = time.perf_counter() - began
    return stats


def write_late_file(
    out: Path,
    day: int,
    requests: int,
    *,
    start: date = START,
    seeds_dir: Path = SEEDS_DIR,
    zstd: bool = False,
) -> Stats:
    """A log file delivered late for a past day: `requests` more requests on day index `day`
    (their own ids), in a file of its own. The bills are left as they were."""
    began = time.perf_counter()
    con = _setup(seeds_dir, DEFAULT_MODELS)
    _make_requests(con, day, requests, start, salt=1)
    stats = Stats(requests=requests)
    stats.files = _write_logs(con, out, start + timedelta(days=day), suffix="_late", zstd=zstd)
    con.close()
    stats.seconds = time.perf_counter() - began
    return stats


def landing_size(out: Path) -> int:
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--first-day", type=int, default=0, help="first day index to write")
    parser.add_argument("--day-count", type=int, default=None, help="days to write")
    parser.add_argument("--start", type=date.fromisoformat, default=START)
    parser.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    parser.add_argument("--zstd", action="store_true", help="logs as .zst (a tenth of the bytes)")
    args = parser.parse_args(argv)
    stats = generate(
        args.out, args.requests, args.days, first_day=args.first_day,
        day_count=args.day_count, start=args.start, seeds_dir=args.seeds_dir, progress=True,
        zstd=args.zstd,
    )  # fmt: skip
    print(
        f"{stats.requests:,} requests, {stats.bill_lines:,} bill lines, {len(stats.files)} files, "
        f"{landing_size(args.out) / 1e6:,.1f} MB in {stats.seconds:.1f} s "
        f"({stats.rate():,.0f} requests/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
