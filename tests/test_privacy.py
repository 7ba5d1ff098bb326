"""Privacy on every layer: prompt text, guardrail and error text, e-mail and IP addresses never
land, not in raw tables, not in the quarantine, not in marts, not in Dagster's storage.

LiteLLM `metadata` is cut down to what the pipeline reads; OTel attributes that carry prompt
text or identify a person are dropped; any e-mail or IP address left in a kept value is replaced
by its keyed hash (the pseudonym end-user ids get), so one address stays one value."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract.privacy import create_scrub_macro, scrub_text
from dagster_project.extract.sources import extract
from tests.conftest import pipeline_env, run_pipeline
from tests.test_bad_inputs import (
    DRIVERS,
    FOCUS,
    LITELLM,
    OTEL,
    all_text_containing,
    assert_balanced,
    driver_row,
    focus_charge,
    litellm_record,
    otel_document,
    otel_span,
    quarantine_rows,
)
from tests.test_hostile_inputs import folder, write_table

PROMPT = "Please summarise the confidential merger memo for Zephyr (PRIVACY-PROMPT-MARKER)"
GUARDRAIL = "Guardrail blocked: PII detected (PRIVACY-GUARDRAIL-MARKER)"
ERROR_TEXT = "Upstream error echoing the request (PRIVACY-ERROR-MARKER)"
EMAIL = "jane.roe.privacy@example.org"
IPV4 = "203.0.113.77"
IPV6 = "2001:db8:85a3::8a2e:370:7334"
MARKERS = (PROMPT, "PRIVACY-PROMPT-MARKER", "PRIVACY-GUARDRAIL-MARKER", "PRIVACY-ERROR-MARKER",
           EMAIL, IPV4, IPV6)  # fmt: skip
KEY = "test-pseudonym-key"  # conftest.pipeline_env sets it


def pseudonym(value: str, key: str = KEY) -> str:
    return hashlib.sha256((key + value).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The pattern


@pytest.mark.parametrize(
    "text",
    [EMAIL, "mail First.Last+tag@sub.example.co.uk now", IPV4, "from 10.0.0.1:8080", IPV6,
     "fe80:0:0:0:202:b3ff:fe1e:8329", "peer 2001:db8::ff00:42:8329 said"],
)  # fmt: skip
def test_addresses_are_found_and_replaced(text: str) -> None:
    assert scrub_text(text) != text
    assert not re.search(r"@|\d+\.\d+\.\d+\.\d+|::", scrub_text(text))


@pytest.mark.parametrize(
    "text",
    ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
     "2026-07-01T10:00:00Z", "claude-3.5-sonnet", "llama-3.1-8b", "v1.2.3", "cost 1.25 USD",
     "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "999.1.1.1", "12:30:45"],
)  # fmt: skip
def test_ids_times_and_versions_are_not_addresses(text: str) -> None:
    assert scrub_text(text) == text


def test_the_sql_scrub_gives_each_address_its_keyed_hash() -> None:
    con = duckdb.connect()
    con.execute("set variable pseudonym_key = ?", [KEY])
    create_scrub_macro(con)
    text = f"from {EMAIL} at {IPV4}, again {EMAIL}"
    [(scrubbed,)] = con.execute("select pii_scrub(?)", [text]).fetchall()
    assert scrubbed == f"from {pseudonym(EMAIL)} at {pseudonym(IPV4)}, again {pseudonym(EMAIL)}"
    assert con.execute("select pii_scrub(null), pii_scrub('gpt-4o')").fetchall() == [
        (None, "gpt-4o")
    ]


# --------------------------------------------------------------------------------------------
# Extraction, source by source

# The LiteLLM metadata of a real proxy: what the pipeline needs and much it must not keep.
LITELLM_METADATA = {
    "user_api_key_team_alias": "team-a",
    "user_api_key_alias": "laptop-key",
    "user_api_key_user_email": EMAIL,
    "requester_ip_address": IPV4,
    "headers": {"x-forwarded-for": IPV6, "user-agent": "curl/8"},
    "guardrail_information": {"message": GUARDRAIL},
    "error_information": {"error_message": ERROR_TEXT},
    "batch": True,
    "usage_object": {
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "cache_read_input_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 20, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 10},
        "notes": PROMPT,
    },
}
KEPT_METADATA = {
    "user_api_key_team_alias": "team-a",
    "batch": True,
    "usage_object": {
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "cache_read_input_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 20},
        "completion_tokens_details": {"reasoning_tokens": 10},
    },
}


def test_litellm_metadata_keeps_only_what_the_pipeline_reads(tmp_path: Path) -> None:
    records = [
        litellm_record("as-object", metadata=LITELLM_METADATA),
        litellm_record("as-string", metadata=json.dumps(LITELLM_METADATA)),  # JSON-encoded
        litellm_record("no-metadata", metadata=None),
    ]
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (folder(tmp_path, LITELLM) / "spend.jsonl").write_text(lines, "utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    extract(con, LITELLM, tmp_path / "landing")

    rows = dict(con.execute("select request_id, metadata from raw.litellm_spend_logs").fetchall())
    assert {k: v and json.loads(v) for k, v in rows.items()} == {
        "as-object": KEPT_METADATA, "as-string": KEPT_METADATA, "no-metadata": None
    }  # fmt: skip


def test_litellm_tags_and_api_base_have_addresses_pseudonymised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = litellm_record(
        "r-1", request_tags=[f"user:{EMAIL}", "env:production"], api_base=f"http://{IPV4}:4000"
    )
    (folder(tmp_path, LITELLM) / "spend.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    key = "unit-key"
    monkeypatch.setenv("AIFINOPS_PSEUDONYM_KEY", key)

    extract(con, LITELLM, tmp_path / "landing")

    [(tags, api_base)] = con.execute(
        "select request_tags, api_base from raw.litellm_spend_logs"
    ).fetchall()
    assert json.loads(tags) == [f"user:{pseudonym(EMAIL, key)}", "env:production"]
    assert api_base == f"http://{pseudonym(IPV4, key)}:4000"


# Attributes that carry prompt text or identify a person, as GenAI semantic conventions,
# OpenInference and OpenLLMetry write them.
DROPPED_ATTRIBUTES = {
    "input.value": PROMPT,
    "output.value": PROMPT,
    "gen_ai.tool.call.arguments": json.dumps({"query": PROMPT}),
    "gen_ai.tool.call.result": PROMPT,
    "llm.input_messages.0.message.content": PROMPT,
    "llm.input_messages.0.message.role": "user",
    "llm.output_messages.0.message.content": PROMPT,
    "gen_ai.input.messages": json.dumps([{"content": PROMPT}]),
    "gen_ai.prompt.0.content": PROMPT,
    "message.content": PROMPT,
    "user.email": EMAIL,
    "user.id": EMAIL,
    "user.name": "Jane Roe",
    "enduser.id": EMAIL,
    "client.address": IPV4,
    "http.client_ip": IPV4,
    "network.peer.address": IPV6,
    "app.customer_email": EMAIL,
}


def test_otel_sensitive_attributes_are_dropped_and_addresses_pseudonymised(
    tmp_path: Path,
) -> None:
    kept = {"app.feature": "summaries", "app.note": f"escalated by {EMAIL} from {IPV4}"}
    span = otel_span("s-1", **DROPPED_ATTRIBUTES, **kept, status={"code": 2, "message": ERROR_TEXT})
    document = json.dumps(otel_document(span))
    (folder(tmp_path, OTEL) / "spans.json").write_text(document, "utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    extract(con, OTEL, tmp_path / "landing")

    [(attributes, enduser, status)] = con.execute(
        "select span_attributes, enduser_pseudonym, status_message from raw.otel_genai_spans"
    ).fetchall()
    assert status == f"free text removed ({len(ERROR_TEXT)} characters)"
    attributes = json.loads(attributes)
    assert not set(DROPPED_ATTRIBUTES) & set(attributes)
    assert attributes["app.feature"] == "summaries"
    assert enduser is not None  # the end user is still counted, as a pseudonym
    assert EMAIL not in attributes["app.note"] and IPV4 not in attributes["app.note"]
    for marker in ("PRIVACY-PROMPT-MARKER", "PRIVACY-ERROR-MARKER", EMAIL):
        assert all_text_containing(con, marker) == [], marker
    assert all_text_containing(con, IPV4) == []


def test_each_span_gets_its_own_resources_attributes_read_once_per_resource(
    tmp_path: Path,
) -> None:
    """A resource's attributes are read, filtered and scrubbed once per resource, before its
    spans are unnested: with two resources, one of two scopes, every span still carries its own
    resource's service, environment, account, region and kept attributes, in document order."""

    def attrs(**values: str) -> list[dict]:
        return [{"key": k, "value": {"stringValue": v}} for k, v in values.items()]

    document = {"resourceSpans": [
        {"resource": {"attributes": attrs(**{
            "service.name": "svc-a", "deployment.environment": "production",
            "cloud.account.id": "111111111111", "user.email": EMAIL,
            "host.note": f"relayed from {IPV4}"})},
         "scopeSpans": [{"spans": [otel_span("a-1"), otel_span("a-2")]},
                        {"spans": [otel_span("a-3")]}]},
        {"resource": {"attributes": attrs(**{
            "service.name": "svc-b", "deployment.environment.name": "staging",
            "cloud.region": "eu-west-1", "enduser.id": "someone"})},
         "scopeSpans": [{"spans": [otel_span("b-1"), otel_span("b-2")]}]},
    ]}  # fmt: skip
    (folder(tmp_path, OTEL) / "spans.json").write_text(json.dumps(document), "utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    extract(con, OTEL, tmp_path / "landing")

    rows = con.execute(
        """select span_id, source_row, service_name, deployment_environment, cloud_account_id,
                  cloud_region, resource_attributes
           from raw.otel_genai_spans order by source_row"""
    ).fetchall()
    a = ("svc-a", "production", "111111111111", None)
    b = ("svc-b", "staging", None, "eu-west-1")
    assert [(r[0], r[1], *r[2:6]) for r in rows] == [
        ("a-1", 1, *a),
        ("a-2", 2, *a),
        ("a-3", 3, *a),
        ("b-1", 4, *b),
        ("b-2", 5, *b),
    ]
    kept = [json.loads(r[6]) for r in rows]
    assert set(kept[0]) == {"service.name", "deployment.environment", "cloud.account.id",
                            "host.note"}  # fmt: skip
    assert kept[0]["host.note"].startswith("relayed from ") and IPV4 not in kept[0]["host.note"]
    assert set(kept[4]) == {"service.name", "deployment.environment.name", "cloud.region"}
    assert all_text_containing(con, EMAIL) == [] and all_text_containing(con, IPV4) == []


def test_the_sensitive_attribute_regex_decides_as_its_keys_and_like_patterns() -> None:
    """otel.SENSITIVE_REGEX is built from SENSITIVE_KEYS and the LIKE patterns of
    SENSITIVE_KEY_PATTERNS: DuckDB's own LIKE over the same patterns decides every key alike,
    with `_` any one character, `\\_` an underscore, any case, line breaks inside a key."""
    from dagster_project.db import sql_literal
    from dagster_project.extract import otel

    examples = {"genXai.prompt.0": True, "netXip": False, "net_ip": True,
                "Gen_AI.Prompt.1.Content": True, "gen_ai.usage.input_tokens": False}  # fmt: skip
    keys = set(otel.SENSITIVE_KEYS) | set(examples) | {"x.ip", "xip", "a\n.text", "text", ""}
    for pattern in otel.SENSITIVE_KEY_PATTERNS:
        for fill in ("", "a", "a.b", "\n", "_", "X"):
            key = pattern.replace("\\_", "_").replace("%", fill)
            keys |= {key, key.upper(), key.replace("_", "-"), key.replace(".", "-"), "x" + key,
                     key + "y"}  # fmt: skip
    likes = " or ".join(f"lower(k) like {sql_literal(p)} escape '\\'"
                        for p in otel.SENSITIVE_KEY_PATTERNS)  # fmt: skip
    con = duckdb.connect()
    con.execute(otel.MACROS)
    differ = con.execute(
        f"""select k from unnest($keys) as t(k)
            where otel_is_sensitive(k) <> (list_contains($exact, lower(k)) or {likes})""",
        {"keys": sorted(keys), "exact": list(otel.SENSITIVE_KEYS)},
    ).fetchall()
    assert differ == []
    decided = con.execute(
        "select k, otel_is_sensitive(k) from unnest($keys) as t(k)", {"keys": list(examples)}
    ).fetchall()
    assert dict(decided) == examples


def test_quarantine_rows_keep_no_address_nor_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIFINOPS_PSEUDONYM_KEY", KEY)
    lines = [
        # rejected for its tokens: metadata and messages must not follow it into the quarantine
        json.dumps(litellm_record("bad-tokens", prompt_tokens=-1, user=EMAIL,
                                  metadata=LITELLM_METADATA, messages=[{"content": PROMPT}])),
        # cut off: an excerpt is kept, without the address, the metadata or the messages
        json.dumps({"request_id": f"{EMAIL}/{IPV4}", "metadata": {"x": GUARDRAIL},
                    "messages": [{"content": PROMPT}]})[:-3],
        # valid JSON, not an object
        json.dumps([PROMPT, EMAIL]),
    ]  # fmt: skip
    (folder(tmp_path, LITELLM) / "spend.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    bad_focus = focus_charge("c-1", BilledCost=f"ask {EMAIL}", Tags=json.dumps({"owner": EMAIL}))
    write_table(folder(tmp_path, FOCUS) / "aws" / "bill.csv", [bad_focus], {})
    write_table(folder(tmp_path, DRIVERS) / "drivers.csv",
                [driver_row("d-1", value=f"{EMAIL} {IPV4}")], {})  # fmt: skip
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    for source in (LITELLM, FOCUS, DRIVERS):
        extract(con, source, tmp_path / "landing")
        assert_balanced(con, source)

    assert len(quarantine_rows(con, LITELLM)) == 3
    assert len(quarantine_rows(con, FOCUS)) == 1 and len(quarantine_rows(con, DRIVERS)) == 1
    for marker in (EMAIL, IPV4, "PRIVACY-PROMPT-MARKER", "PRIVACY-GUARDRAIL-MARKER"):
        assert all_text_containing(con, marker) == [], marker
    # the excerpt still tells which request it was, by pseudonym
    [(excerpt,)] = con.execute(
        "select raw_value from raw._quarantine where source = ? and source_row = 2", [LITELLM.name]
    ).fetchall()
    assert f"{pseudonym(EMAIL)}/{pseudonym(IPV4)}" in excerpt


# --------------------------------------------------------------------------------------------
# The whole pipeline: markers planted in every source, none anywhere after a run

SMALL_DEMO_DAYS = 4


def plant_markers(landing: Path, day: date) -> None:
    stamp = f"{day} 10:00:00.000"
    litellm = [
        litellm_record("planted-litellm-1", startTime=stamp, endTime=stamp, user=EMAIL,
                       end_user=EMAIL, metadata=LITELLM_METADATA,
                       request_tags=[f"user:{EMAIL}", "env:production"],
                       messages=[{"role": "user", "content": PROMPT}],
                       response={"choices": [{"message": {"content": PROMPT}}]}),
        litellm_record("planted-litellm-bad", startTime=stamp, completion_tokens=-5,
                       metadata=LITELLM_METADATA, messages=[{"content": PROMPT}]),
    ]  # fmt: skip
    cut = json.dumps({"request_id": "planted-cut", "user": EMAIL, "metadata": {"ip": IPV4},
                      "messages": [{"content": PROMPT}]})[:-4]  # fmt: skip
    text = "".join(json.dumps(r) + "\n" for r in litellm) + cut + "\n"
    (landing / "litellm" / "planted_spend_logs.jsonl").write_text(text, "utf-8")

    nanos = str((calendar.timegm(day.timetuple()) + 10 * 3600) * 10**9)  # 10:00 UTC
    kept = {"app.note": f"escalated by {EMAIL} from {IPV4} / {IPV6}"}
    span = otel_span("planted-span-1", startTimeUnixNano=nanos,
                     endTimeUnixNano=str(int(nanos) + 10**9), **DROPPED_ATTRIBUTES, **kept,
                     status={"code": 2, "message": f"{ERROR_TEXT} for {EMAIL}"})  # fmt: skip
    bad_span = otel_span("planted-span-bad", startTimeUnixNano=nanos, **DROPPED_ATTRIBUTES,
                         **{"gen_ai.usage.cache_read.input_tokens": 500})  # fmt: skip
    document = otel_document(span, bad_span, service="planted-service")
    (landing / "otel" / "planted_spans.json").write_text(json.dumps(document), "utf-8")

    rows = [
        driver_row("planted_driver", date=str(day), value="3") | {"contact": EMAIL},
        driver_row("planted_driver", date=str(day), value=f"{EMAIL} {IPV4}") | {"contact": IPV4},
    ]
    write_table(landing / "business" / "planted_drivers.csv", rows, {"origin": IPV6})


def database_hits(path: Path, needle: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [f"{path.name}:{t}" for t in all_text_containing(con, needle)]


def test_no_marker_survives_a_whole_pipeline_run(tmp_path: Path) -> None:
    from dagster_project.demo.generator import DemoConfig, generate

    data_dir = tmp_path / "pipeline"
    landing = data_dir / "landing"
    config = DemoConfig(seed=11, start=date(2026, 7, 20), days=SMALL_DEMO_DAYS,
                        requests_per_day=60)  # fmt: skip
    generate(config, landing)
    plant_markers(landing, config.start)

    run_pipeline(data_dir)

    warehouse = Path(pipeline_env(data_dir)["AIFINOPS_DUCKDB_PATH"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the planted rows did load, so the scan below looks where they went
        assert con.execute(
            """select count(*) from raw.litellm_spend_logs where request_id = 'planted-litellm-1'
               union all select count(*) from raw.otel_genai_spans where span_id = 'planted-span-1'
               union all select count(*) from raw.business_drivers where driver = 'planted_driver'
               union all select count(*) from raw._quarantine
                         where source_file like '%planted%'"""
        ).fetchall() == [(1,), (1,), (1,), (4,)]
        assert all_text_containing(con, "planted-litellm-1")  # the scan finds what is there
        # the end user is kept as the same pseudonym in both request sources
        assert con.execute(
            "select count(*) from raw.otel_genai_spans where enduser_pseudonym = ?",
            [pseudonym(EMAIL)],
        ).fetchone() == (1,)

    databases = [warehouse, *sorted((data_dir / "published").rglob("*.duckdb"))]
    files = [p for p in data_dir.rglob("*") if p.is_file() and landing not in p.parents]
    assert any(".dagster" in p.parts for p in files)  # Dagster's storage is in the scan
    for marker in MARKERS:
        assert [hit for db in databases for hit in database_hits(db, marker)] == [], marker
        needle = marker.encode()
        assert [str(p) for p in files if needle in p.read_bytes()] == [], marker
