"""Bulk, bounded-memory extraction of the request logs (issue 11): files are read in batches of
at most AIFINOPS_EXTRACT_BATCH_MB (capped by DuckDB's memory_limit), a LiteLLM file larger than
that in parts cut at line ends. What the bulk path must not lose: line numbers, the quarantine
of a bad line among good ones, compressed files, a huge line, both rows of a request id sent in
two files, and a file larger than the memory limit.

Each case writes a tiny landing folder and runs the real extraction on a fresh DuckDB file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
import zstandard

from dagster_project import db
from dagster_project.extract import landing, litellm
from dagster_project.extract.sources import SOURCES_BY_NAME, extract
from tests.test_bad_inputs import (
    assert_balanced,
    litellm_record,
    otel_document,
    otel_span,
    quarantine_rows,
)

LITELLM = SOURCES_BY_NAME["litellm_spend_logs"]
ROW = ("request_id, source_row, row_hash, metadata::varchar, prompt_fingerprint, api_base, "
       "request_tags::varchar, spend, prompt_tokens, start_time")  # fmt: skip


def landed(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    root = tmp_path / name
    folder = root / LITELLM.folder
    folder.mkdir(parents=True)
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    return root


def run(tmp_path: Path, root: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = db.connect(tmp_path / f"{root.name}.duckdb")
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    extract(con, LITELLM, root)
    assert_balanced(con, LITELLM)
    return con


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"select {ROW} from {litellm.TABLE} order by source_row").fetchall()


def mixed_log() -> tuple[bytes, dict[int, str]]:
    """40 lines: good requests (id names the line), one malformed line, a blank line, a JSON
    array; returns the bytes and {line: request id} of the good ones."""
    lines, good = [], {}
    for number in range(1, 41):
        if number == 17:
            lines.append('{"request_id": "broken-17", "model": "gpt-4o", "prompt_tokens": 1')
        elif number == 25:
            lines.append("")
        elif number == 30:
            lines.append("[1, 2, 3]")
        else:
            record = litellm_record(f"line-{number}", metadata={
                "user_api_key_team_alias": "support", "batch": None, "secret": "x",
                "usage_object": {"prompt_tokens": 100, "prompt_tokens_details": {}},
            })  # fmt: skip
            lines.append(json.dumps(record))
            good[number] = f"line-{number}"
    return ("\n".join(lines) + "\n").encode(), good


def test_a_malformed_line_among_good_ones_keeps_line_numbers_when_read_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, good = mixed_log()
    whole = run(tmp_path, landed(tmp_path, "whole", {"log.jsonl": data}))
    monkeypatch.setenv(landing.BATCH_MB_ENV, "0.003")  # about 3 KB: 3 lines a part
    assert len(data) > 10 * landing.batch_bytes()
    parts = run(tmp_path, landed(tmp_path, "parts", {"log.jsonl": data}))
    for con in (whole, parts):
        loaded = con.execute(f"select source_row, request_id from {litellm.TABLE}").fetchall()
        assert dict(loaded) == good
        quarantined = [(row, field) for _, row, field, _ in quarantine_rows(con, LITELLM)]
        assert quarantined == [(17, "line"), (30, "line")]
        assert quarantine_rows(con, LITELLM)[0][3] == "malformed JSON line"
    # read in parts or whole, every stored value is the same
    assert rows(parts) == rows(whole)
    # metadata keeps only the fields read: a null, an unknown key and an empty object go
    assert (
        rows(parts)[0][3]
        == '{"user_api_key_team_alias":"support","usage_object":{"prompt_tokens":100}}'
    )


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_compressed_file_read_in_parts_loads_like_the_plain_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    data, good = mixed_log()
    packed = gzip.compress(data) if suffix == ".gz" else zstandard.ZstdCompressor().compress(data)
    plain = run(tmp_path, landed(tmp_path, "plain", {"log.jsonl": data}))
    monkeypatch.setenv(landing.BATCH_MB_ENV, "0.003")
    compressed = run(tmp_path, landed(tmp_path, "packed", {"log.jsonl" + suffix: packed}))
    assert rows(compressed) == rows(plain)
    assert len(rows(compressed)) == len(good)
    (source_file,) = compressed.execute(
        f"select distinct source_file from {litellm.TABLE}"
    ).fetchone()
    assert source_file.endswith("log.jsonl" + suffix)  # lineage names the landing file


def test_a_huge_line_larger_than_a_part_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "PROMPT-TEXT-MARKER"
    huge = litellm_record("huge", messages=[{"role": "user", "content": marker * 200_000}])
    lines = [litellm_record("before"), huge, litellm_record("after")]
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    assert len(data) > 3_000_000
    monkeypatch.setenv(landing.BATCH_MB_ENV, "0.5")
    con = run(tmp_path, landed(tmp_path, "huge", {"log.jsonl": data}))
    assert con.execute(
        f"select request_id, source_row, prompt_fingerprint is not null from {litellm.TABLE} "
        "order by source_row"
    ).fetchall() == [("before", 1, True), ("huge", 2, True), ("after", 3, True)]
    stored = con.execute(f"select count(*) from {litellm.TABLE} as t "
                         f"where contains(t::varchar, '{marker}')").fetchall()  # fmt: skip
    assert stored == [(0,)]


def test_a_request_id_in_two_files_of_two_batches_keeps_both_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw keeps what each file says (staging picks one row per request id, unchanged)."""
    monkeypatch.setenv(landing.BATCH_MB_ENV, "0.0005")  # every file a batch of its own
    first = json.dumps(litellm_record("same-id")) + "\n"
    second = json.dumps(litellm_record("same-id", prompt_tokens=120)) + "\n"
    root = landed(tmp_path, "dup", {"a.jsonl": first.encode(), "b.jsonl": second.encode()})
    con = run(tmp_path, root)
    stored = con.execute(
        f"select regexp_extract(source_file, '[ab][.]jsonl'), source_row, prompt_tokens "
        f"from {litellm.TABLE} where request_id = 'same-id' order by 1"
    ).fetchall()
    assert stored == [("a.jsonl", 1, 100), ("b.jsonl", 1, 120)]
    extract(con, LITELLM, root)  # a re-run loads nothing twice
    assert con.execute(f"select count(*) from {litellm.TABLE}").fetchone() == (2,)


def test_an_unreadable_file_in_a_later_batch_keeps_the_batches_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(landing.BATCH_MB_ENV, "0.0005")
    good = [(json.dumps(litellm_record(f"r-{i}")) + "\n").encode() for i in range(3)]
    files = {"a.jsonl": good[0], "b.jsonl": b"\xff\xfe not utf-8\n", "c.jsonl": good[2]}
    con = run(tmp_path, landed(tmp_path, "bad", files))
    assert sorted(r for (r,) in con.execute(f"select request_id from {litellm.TABLE}").fetchall()
                  ) == ["r-0", "r-2"]  # fmt: skip
    states = dict(
        (Path(f).name, s)
        for f, s in con.execute(
            "select source_file, state from raw._landing_files where source = ?", [LITELLM.name]
        ).fetchall()
    )
    assert states == {"a.jsonl": "loaded", "b.jsonl": "failed", "c.jsonl": "loaded"}


def test_the_batch_size_is_configured_and_capped_by_the_memory_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(landing.BATCH_MB_ENV, "64")
    assert landing.batch_bytes() == 64 * 2**20
    con = db.connect()
    con.execute("set memory_limit = '80MB'")
    # DuckDB reports the limit rounded ('76.2 MiB')
    assert abs(landing.batch_bytes(con) - 80 * 10**6 // 8) < 10**5
    con.execute("set memory_limit = '4GB'")
    assert landing.batch_bytes(con) == 64 * 2**20
    for wrong in ("abc", "0", "-5"):
        monkeypatch.setenv(landing.BATCH_MB_ENV, wrong)
        with pytest.raises(ValueError, match=landing.BATCH_MB_ENV):
            landing.batch_bytes()


def test_a_file_larger_than_the_memory_limit_loads(tmp_path: Path) -> None:
    """A 220 MB spend log under DuckDB memory_limit 200MB: read in parts, every line loaded."""
    template = json.dumps(litellm_record("ID", messages=[{"role": "user", "content": "x" * 200}]))
    count = 220 * 2**20 // len(template) + 1
    root = tmp_path / "big"
    folder = root / LITELLM.folder
    folder.mkdir(parents=True)
    with open(folder / "big.jsonl", "w") as handle:
        for start in range(0, count, 10_000):
            handle.write("".join(template.replace('"ID"', f'"r-{i}"', 1) + "\n"
                                 for i in range(start, min(start + 10_000, count))))  # fmt: skip
    assert (folder / "big.jsonl").stat().st_size > 220 * 2**20
    con = run(tmp_path, root, memory_limit="200MB")
    assert con.execute(
        f"select count(*), count(distinct request_id), max(source_row) from {litellm.TABLE}"
    ).fetchone() == (count, count, count)


def test_otlp_documents_load_under_a_low_memory_limit(tmp_path: Path) -> None:
    """Three OTLP documents of about 8 MB (7,500 spans each) under DuckDB memory_limit 300MB:
    each document is parsed once and its spans typed in a second step (in one query a single
    such document needed more than 300 MB). Every span is loaded, numbered within its file."""
    otel = SOURCES_BY_NAME["otel_genai_spans"]
    folder = tmp_path / "otlp" / otel.folder
    folder.mkdir(parents=True)
    per_file = 7_500
    for day in range(3):
        spans = [
            otel_span(f"{day:02d}{i:014x}", **{"app.note": "n" * 400}) for i in range(per_file)
        ]
        (folder / f"spans_{day}.json").write_text(json.dumps(otel_document(*spans)))
    assert (folder / "spans_0.json").stat().st_size > 7 * 2**20
    con = db.connect(tmp_path / "otlp.duckdb")
    con.execute("set memory_limit = '300MB'")
    summary = extract(con, otel, tmp_path / "otlp")
    assert_balanced(con, otel)
    assert (summary.files_failed, summary.rows_loaded) == (0, 3 * per_file)
    assert con.execute(
        f"select count(distinct span_id), max(source_row), count(distinct source_file) "
        f"from {otel.table}"
    ).fetchone() == (3 * per_file, per_file, 3)


def test_the_pii_prefilter_never_skips_text_the_full_pattern_matches() -> None:
    """pii_scrub skips the full pattern for text without PII_HINT: every text the full pattern
    matches must match the hint (random texts over the characters addresses are made of)."""
    import random
    import re

    from dagster_project.extract import privacy

    full, hint = re.compile(privacy.PII_PATTERN), re.compile(privacy.PII_HINT)
    rng = random.Random(11)
    alphabet = "0123456789abcdefABCDEFxyz.:@-_ /"
    texts = ["a.b@example.org", "10.0.0.1", "fe80::1:2", "2001:db8:0:0:0:0:2:1", "a:b::c:d"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 40)))
              for _ in range(50_000)]  # fmt: skip
    matched = [t for t in texts if full.search(t)]
    assert len(matched) > 300  # the random texts do hold addresses
    assert [t for t in matched if not hint.search(t)] == []
    con = db.connect()
    landing.set_session_variables(con)
    privacy.create_scrub_macro(con)
    scrubbed = con.execute("select pii_scrub(unnest($t))", {"t": matched}).fetchall()
    assert all(a != b for (a,), b in zip(scrubbed, matched, strict=True))
