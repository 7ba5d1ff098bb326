"""The yardstick: the pipeline's core work done by hand, in one DuckDB script, over the same
landing files the scale generator writes (benchmarks/scale_data.py).

    python benchmarks/yardstick.py --landing /tmp/landing [--json result.json]

1. load: LiteLLM JSONL and OTLP JSON spans with `read_json`, the OpenAI and Anthropic cost
   pages with `read_json`, the FOCUS exports with `read_parquet`;
2. price: every request per token part (uncached input, cache read, cache write, output) from
   the price catalog seed, the price in force on the request's day;
3. allocate: every token bill line (day x provider x sub-account x model x token part) to the
   teams whose requests it paid for, in proportion to their list cost of that part, in exact
   units of 10^-10 (floor per team, the remainder to the team with the largest weight).

Owners as the pipeline resolves them from the org seeds: a gateway request by its API key's
team, billed to that team's account at the provider or else the provider's default account; a
span by its service's team, billed to the account it names. Prints the time, the peak memory
(this process's maximum RSS) and the billed total per team on the token lines.

What it leaves out (the pipeline does it, the files of the scale generator do not need it):
request-id deduplication, revisions and retraction of deliveries, model-name matching, rules
for shared charges, currencies other than the bill's, tests, exports.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import zstandard

from dagster_project.config import SEEDS_DIR


def _type(text: str) -> str:
    """A type for read_json's `columns` (one line: DuckDB does not parse a line break there)."""
    return " ".join(text.split())


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


SCALE = 10**10  # allocation unit: 10^-10 of the billing currency, as the pipeline's default

ATTRS = "struct(key varchar, value struct(stringValue varchar, intValue varchar))[]"
OTEL_COLUMNS = {
    "resourceSpans": _type(f"""struct(resource struct(attributes {ATTRS}),
        scopeSpans struct(spans struct(spanId varchar, startTimeUnixNano varchar,
        attributes {ATTRS})[])[])[]""")
}
OPENAI_PAGE = _type("""struct(start_time bigint, results struct(amount struct(value varchar,
    currency varchar), line_item varchar, project_id varchar)[])[]""")
ANTHROPIC_PAGE = _type("""struct(starting_at varchar, results struct(amount varchar,
    workspace_id varchar, cost_type varchar, model varchar, token_type varchar)[])[]""")
LITELLM_COLUMNS = {
    "request_id": "varchar",
    "custom_llm_provider": "varchar",
    "api_key": "varchar",
    "startTime": "varchar",
    "model": "varchar",
    "prompt_tokens": "bigint",
    "completion_tokens": "bigint",
    "metadata": _type("""struct(usage_object struct(cache_read_input_tokens bigint,
        cache_creation_input_tokens bigint))"""),
}


def _sql(landing: Path, seeds_dir: Path) -> list[str]:
    def files(pattern: str) -> str:
        return _q(str(landing / pattern))

    def seed(name: str) -> str:
        return f"read_csv({_q(str(seeds_dir / f'{name}.csv'))}, header = true, all_varchar = true)"

    attr = "list_filter({list}, lambda a: a.key = '{key}')[1].value.{kind}"
    return [
        # ---- load --------------------------------------------------------------------------
        f"""create table litellm as
        select request_id, custom_llm_provider as provider_id, api_key,
            cast(startTime as timestamp)::date as request_date, model as model_id,
            prompt_tokens as input_tokens, completion_tokens as output_tokens,
            coalesce(metadata.usage_object.cache_read_input_tokens, 0) as cache_read,
            coalesce(metadata.usage_object.cache_creation_input_tokens, 0) as cache_write
        from read_json({files("litellm/*.jsonl*")}, columns = {LITELLM_COLUMNS},
                       format = 'newline_delimited')""",
        f"""create table spans as
        with documents as (
            -- read_text + from_json: read_json on a few large documents is many times slower
            select unnest(from_json(content, {_q(json.dumps(OTEL_COLUMNS))}).resourceSpans)
                as rs
            from otel_documents
        ),
        scopes as (
            select rs.resource.attributes as resource_attributes, unnest(rs.scopeSpans) as scope
            from documents
        ),
        flat as (
            select resource_attributes, unnest(scope.spans) as span from scopes
        )
        select span.spanId as request_id,
            replace({
            attr.format(list="span.attributes", key="gen_ai.provider.name", kind="stringValue")
        }, '.', '_') as provider_id,
            {attr.format(list="resource_attributes", key="service.name", kind="stringValue")}
                as service_name,
            {attr.format(list="resource_attributes", key="cloud.account.id", kind="stringValue")}
                as sub_account_id,
            cast(make_timestamp(span.startTimeUnixNano::bigint // 1000) as date) as request_date,
            {
            attr.format(list="span.attributes", key="gen_ai.request.model", kind="stringValue")
        } as model_id,
            {
            attr.format(list="span.attributes", key="gen_ai.usage.input_tokens", kind="intValue")
        }::bigint as input_tokens,
            {
            attr.format(list="span.attributes", key="gen_ai.usage.output_tokens", kind="intValue")
        }::bigint as output_tokens,
            coalesce({
            attr.format(
                list="span.attributes", key="gen_ai.usage.cache_read.input_tokens", kind="intValue"
            )
        }::bigint, 0) as cache_read,
            coalesce({
            attr.format(
                list="span.attributes",
                key="gen_ai.usage.cache_creation.input_tokens",
                kind="intValue",
            )
        }::bigint, 0) as cache_write
        from flat""",
        f"""create table bills as
        with openai_pages as (
            select unnest(data) as bucket
            from read_json({files("openai/costs/*.json")},
                columns = {{data: {_q(OPENAI_PAGE)}}})
        ),
        openai_lines as (
            select bucket.start_time, unnest(bucket.results) as line from openai_pages
        ),
        anthropic_pages as (
            select unnest(data) as bucket
            from read_json({files("anthropic/cost_report/*.json")},
                columns = {{data: {_q(ANTHROPIC_PAGE)}}})
        ),
        anthropic_lines as (
            select bucket.starting_at, unnest(bucket.results) as line from anthropic_pages
        )
        select 'openai' as provider_id, cast(to_timestamp(start_time) as date) as charge_date,
            line.project_id as sub_account_id,
            split_part(line.line_item, ', ', 1) as model_id,
            case split_part(line.line_item, ', ', 2) when 'input' then 'input'
                when 'cached input' then 'cache_read' when 'output' then 'output' end as part,
            cast(line.amount.value as decimal(38, 10)) as billed_cost
        from openai_lines
        where line.line_item like '%, %'
        union all
        select 'anthropic', cast(cast(starting_at as timestamptz) as date), line.workspace_id,
            line.model,
            case line.token_type when 'uncached_input_tokens' then 'input'
                when 'cache_read_input_tokens' then 'cache_read'
                when 'cache_creation.ephemeral_5m_input_tokens' then 'cache_write'
                when 'output_tokens' then 'output' end,
            cast(line.amount as decimal(38, 10)) * 0.01
        from anthropic_lines
        where line.cost_type = 'tokens'
        union all
        select 'aws_bedrock', cast(ChargePeriodStart as date), SubAccountId, ResourceName,
            case SkuMeter when 'input-tokens' then 'input'
                when 'cache-read-input-token-count' then 'cache_read'
                when 'cache-write-input-token-count' then 'cache_write'
                when 'output-tokens' then 'output' end,
            cast(BilledCost as decimal(38, 10))
        from read_parquet({files("focus/**/*.parquet")}, union_by_name = true)
        where ServiceName = 'Amazon Bedrock' and ConsumedUnit = 'Tokens'""",
        # ---- owners and prices -------------------------------------------------------------
        f"""create table requests as
        with accounts as (select * from {seed("org_provider_accounts")}),
        gateway as (
            select litellm.*, coalesce(keys.team_id, 'unassigned') as team_id,
                coalesce(own.sub_account_id, fallback.sub_account_id) as sub_account_id
            from litellm
            left join {seed("org_api_keys")} as keys on litellm.api_key = keys.api_key_hash
            left join accounts as own
                on own.provider_id = litellm.provider_id and own.team_id = keys.team_id
            left join (select * from accounts where routes_unmapped_traffic = 'true')
                as fallback
                on fallback.provider_id = litellm.provider_id
        ),
        instrumented as (
            select spans.*, coalesce(services.team_id, 'unassigned') as team_id
            from spans
            left join {seed("org_services")} as services
                on spans.service_name = services.service_name
        )
        select request_date, provider_id, sub_account_id, model_id, team_id, input_tokens,
            output_tokens, cache_read, cache_write from gateway
        union all
        select request_date, provider_id, sub_account_id, model_id, team_id, input_tokens,
            output_tokens, cache_read, cache_write from instrumented""",
        f"""create table weights as
        with catalog as (
            select provider_id, model_id, effective_from::date as effective_from,
                coalesce(nullif(effective_to, '')::date, date '9999-12-31') as effective_to,
                nullif(input_usd_per_mtok, '')::decimal(18, 6) * 0.000001 as input_price,
                nullif(cache_read_usd_per_mtok, '')::decimal(18, 6) * 0.000001
                    as cache_read_price,
                nullif(cache_write_usd_per_mtok, '')::decimal(18, 6) * 0.000001
                    as cache_write_price,
                nullif(output_usd_per_mtok, '')::decimal(18, 6) * 0.000001 as output_price
            from {seed("price_catalog")}
        ),
        priced as (
            select requests.request_date, requests.provider_id, requests.sub_account_id,
                requests.model_id, requests.team_id,
                (requests.input_tokens - requests.cache_read - requests.cache_write)
                    * catalog.input_price as input_cost,
                requests.cache_read * coalesce(catalog.cache_read_price, catalog.input_price)
                    as cache_read_cost,
                requests.cache_write * coalesce(catalog.cache_write_price, catalog.input_price)
                    as cache_write_cost,
                requests.output_tokens * catalog.output_price as output_cost
            from requests
            inner join catalog
                on requests.provider_id = catalog.provider_id
                and requests.model_id = catalog.model_id
                and requests.request_date >= catalog.effective_from
                and requests.request_date < catalog.effective_to
        )
        unpivot (
            select request_date, provider_id, sub_account_id, model_id, team_id,
                sum(input_cost) as "input", sum(cache_read_cost) as cache_read,
                sum(cache_write_cost) as cache_write, sum(output_cost) as "output"
            from priced
            group by all
        ) on "input", cache_read, cache_write, "output" into name part value list_cost""",
        # ---- allocate ----------------------------------------------------------------------
        f"""create table allocated as
        with matched as (
            select bills.*, weights.team_id,
                cast(weights.list_cost * {SCALE} as hugeint) as weight_units,
                cast(bills.billed_cost * {SCALE} as hugeint) as billed_units
            from bills
            inner join weights
                on bills.charge_date = weights.request_date
                and bills.provider_id = weights.provider_id
                and bills.sub_account_id = weights.sub_account_id
                and bills.model_id = weights.model_id
                and bills.part = weights.part
            where weights.list_cost > 0
        ),
        shares as (
            select *,
                billed_units * weight_units // sum(weight_units) over line as floor_units,
                row_number() over (line order by weight_units desc, team_id) as weight_rank
            from matched
            window line as (partition by charge_date, provider_id, sub_account_id, model_id,
                                         part, billed_units)
        ),
        with_remainder as (
            select team_id, floor_units + case when weight_rank = 1
                then billed_units - sum(floor_units) over (partition by charge_date,
                    provider_id, sub_account_id, model_id, part, billed_units)
                else 0 end as units
            from shares
        ),
        unmatched as (
            select 'unallocated' as team_id, cast(billed_cost * {SCALE} as hugeint) as units
            from bills
            where not exists (select 1 from weights
                where bills.charge_date = weights.request_date
                and bills.provider_id = weights.provider_id
                and bills.sub_account_id = weights.sub_account_id
                and bills.model_id = weights.model_id
                and bills.part = weights.part and weights.list_cost > 0)
        )
        select team_id, sum(units) as units
        from (select * from with_remainder union all select * from unmatched)
        group by team_id""",
    ]


def _load_otel_documents(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Table otel_documents: one row per OTLP JSON file, its text (read_text; a .zst file,
    which read_text does not decompress, decompressed here: one document per 50,000 spans)."""
    con.execute("create table otel_documents (content varchar)")
    if any(folder.glob("*.json")):
        plain = _q(str(folder / "*.json"))
        con.execute(f"insert into otel_documents select content from read_text({plain})")
    for path in sorted(folder.glob("*.json.zst")):
        with path.open("rb") as raw:
            text = zstandard.ZstdDecompressor().stream_reader(raw).read().decode()
        con.execute("insert into otel_documents values (?)", [text])


def run(
    landing: Path,
    seeds_dir: Path = SEEDS_DIR,
    *,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
    verbose: bool = False,
) -> dict:
    """Load, price and allocate; returns seconds, peak RSS, request and bill-line counts and
    the billed total per team (a decimal string) on the token lines."""
    began = time.perf_counter()
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"set memory_limit = {_q(memory_limit)}")
    if temp_dir:
        con.execute(f"set temp_directory = {_q(str(temp_dir))}")
    _load_otel_documents(con, landing / "otel")
    for statement in _sql(landing, seeds_dir):
        step = time.perf_counter()
        con.execute(statement)
        if verbose:
            print(f"  {statement.split()[2]:<10} {time.perf_counter() - step:6.1f} s", flush=True)
    totals = {
        team: str(Decimal(int(units)).scaleb(-10))
        for team, units in con.execute(
            "select team_id, units from allocated order by team_id"
        ).fetchall()
    }
    (requests,) = con.execute("select count(*) from requests").fetchone()
    (lines,) = con.execute("select count(*) from bills").fetchone()
    con.close()
    return {
        "seconds": time.perf_counter() - began,
        # Linux reports ru_maxrss in KiB
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "requests": int(requests),
        "token_bill_lines": int(lines),
        "billed_by_team": totals,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 6GB")
    parser.add_argument("--temp-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the result here too")
    args = parser.parse_args(argv)
    result = run(
        args.landing,
        args.seeds_dir,
        memory_limit=args.memory_limit,
        temp_dir=args.temp_dir,
        verbose=True,
    )
    print(
        f"yardstick: {result['requests']:,} requests, {result['token_bill_lines']:,} token bill "
        f"lines in {result['seconds']:.1f} s, peak RSS {result['peak_rss_bytes'] / 2**30:.2f} GiB"
    )
    for team, total in result["billed_by_team"].items():
        print(f"  {team:<24} {total:>24}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
