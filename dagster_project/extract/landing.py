"""Loading landing files into DuckDB schema `raw`, once each, with lineage and a quarantine.

Every source family follows the same protocol, implemented once here:

- a file is identified by its content hash (sha256). A file whose exact content was already
  loaded (under any name) is recorded as `duplicate` and skipped, so a file delivered twice never
  counts twice;
- a file whose path was loaded before but whose content changed (a corrected re-export) replaces
  the rows that came from that path;
- a file that cannot be read at all (truncated Parquet, invalid JSON document) is recorded as
  `failed` with one quarantine row naming the file and the error; the run goes on;
- rows that cannot be loaded go to `raw._quarantine` with file, row, field and reason;
- `raw._load_files` records rows read, loaded and quarantined per file, so "rows in = loaded +
  quarantined" is a check, not a hope.

Each file is loaded in its own transaction: a run killed mid-way leaves whole files or nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.extract.privacy import create_scrub_macro, scrub_text

log = logging.getLogger(__name__)

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw._load_files (
    load_id varchar not null,
    source varchar not null,
    source_file varchar not null,
    content_hash varchar not null,
    size_bytes bigint not null,
    status varchar not null,          -- loaded | duplicate | failed
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    message varchar,
    loaded_at timestamptz not null
);
create table if not exists raw._quarantine (
    source varchar not null,
    source_file varchar not null,
    source_row bigint,                -- line, row or result ordinal in the file; null: whole file
    field varchar,
    reason varchar not null,
    raw_value varchar,                -- the offending value or line, cut to 500 characters
    content_hash varchar not null,
    loaded_at timestamptz not null
);
"""

# Demo-only fallback; production sets AIFINOPS_PSEUDONYM_KEY (see README, "Privacy").
_DEMO_PSEUDONYM_KEY = "demo-only-pseudonym-key"
_warned_demo_key: list[bool] = []  # warn once per process, not once per source


@dataclass(frozen=True)
class FileContext:
    """A landing file about to be loaded."""

    path: Path
    content_hash: str
    size_bytes: int


@dataclass
class LoadSummary:
    source: str
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped_unchanged: int = 0
    files_duplicate: int = 0
    files_failed: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "messages"} | {
            "messages": "\n".join(self.messages[:20])
        }


# What a malformed file raises. Anything else (a missing table, a SQL error) is a defect in the
# pipeline, not in the file, and must fail the run loudly.
class UnreadableFile(ValueError):
    """The file as a whole cannot be read: it goes to the quarantine, the run goes on."""


FILE_ERRORS = (UnreadableFile,)


def probe(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list, what: str) -> tuple:
    """Run a first read of the file; a failure means the file, not the pipeline, is broken."""
    try:
        return con.execute(sql, params).fetchone()
    except duckdb.Error as error:
        raise UnreadableFile(scrub_text(f"{what}: {str(error).splitlines()[0][:400]}")) from error


def quote_ident(name: str) -> str:
    """`name` as a SQL identifier, whatever it contains: in double quotes, each " doubled.
    Every name that comes from a file (a CSV header, a JSON key) reaches SQL only through this."""
    if "\x00" in name:
        raise ValueError(f"a SQL identifier cannot contain NUL: {name!r}")
    return '"' + name.replace('"', '""') + '"'


# A parser loads a batch of files listed in temp table `load_batch` (source_file,
# content_hash): it reads them in bulk, inserts good rows into its raw table and bad rows into
# raw._quarantine (both through `split_good_and_bad`), and returns counts per file.
Counts = dict[str, tuple[int, int, int]]  # source_file -> (rows read, loaded, quarantined)
Parser = Callable[[duckdb.DuckDBPyConnection, list[Path]], Counts]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def set_session_variables(con: duckdb.DuckDBPyConnection) -> None:
    key = os.environ.get("AIFINOPS_PSEUDONYM_KEY")
    if not key:
        if not _warned_demo_key:
            log.warning("AIFINOPS_PSEUDONYM_KEY is not set: pseudonymising with the demo key")
            _warned_demo_key.append(True)
        key = _DEMO_PSEUDONYM_KEY
    con.execute("set variable pseudonym_key = ?", [key])


def list_files(folder: Path, patterns: Iterable[str]) -> list[Path]:
    """Landing files under `folder`, in a stable order; names starting with _ or . are not data."""
    if not folder.exists():
        return []
    found = {p for pattern in patterns for p in folder.rglob(pattern) if p.is_file()}
    return sorted(p for p in found if not p.name.startswith(("_", ".")))


def _record(
    con: duckdb.DuckDBPyConnection,
    source: str,
    load_id: str,
    ctx: FileContext,
    status: str,
    counts: tuple[int, int, int],
    message: str | None,
) -> None:
    con.execute(
        """insert into raw._load_files
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)""",
        [load_id, source, str(ctx.path), ctx.content_hash, ctx.size_bytes, status, *counts,
         message],
    )  # fmt: skip


def _classify(
    con: duckdb.DuckDBPyConnection,
    source: str,
    load_id: str,
    files: list[Path],
    summary: LoadSummary,
) -> list[FileContext]:
    """Which files need loading: new or changed ones. Re-deliveries are recorded and skipped."""
    loaded = dict(
        con.execute(
            """select content_hash, source_file from raw._load_files
               where source = ? and status = 'loaded'""",
            [source],
        ).fetchall()
    )
    loaded_paths = {(h, p) for h, p in con.execute(
        "select content_hash, source_file from raw._load_files where source = ?", [source]
    ).fetchall()}  # fmt: skip
    to_load: list[FileContext] = []
    for path in files:
        ctx = FileContext(path, file_sha256(path), path.stat().st_size)
        first = loaded.get(ctx.content_hash)
        if first == str(path):
            summary.files_skipped_unchanged += 1
        elif first is not None or any(c.content_hash == ctx.content_hash for c in to_load):
            # Same bytes under another name: a re-delivery. Record it once, load nothing.
            original = first or next(c for c in to_load if c.content_hash == ctx.content_hash)
            if (ctx.content_hash, str(path)) not in loaded_paths:
                _record(con, source, load_id, ctx, "duplicate", (0, 0, 0),
                        f"same content as {original if first else original.path}")  # fmt: skip
                summary.messages.append(f"{path.name}: duplicate delivery, not loaded")
            summary.files_duplicate += 1
        else:
            to_load.append(ctx)
    return to_load


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    load_id: str,
    batch: list[FileContext],
    parser: Parser,
) -> Counts:
    """Load files in one transaction: all of them or none."""
    con.execute("begin transaction")
    try:
        con.execute(
            """create or replace temp table load_batch as
               select unnest($paths) as source_file, unnest($hashes) as content_hash,
                      $load_id as load_id, current_timestamp as loaded_at""",
            {"paths": [str(c.path) for c in batch], "hashes": [c.content_hash for c in batch],
             "load_id": load_id},
        )  # fmt: skip
        # A corrected re-export of a path replaces what that path loaded before.
        con.execute(
            f"delete from {raw_table} where source_file in (select source_file from load_batch)"
        )
        con.execute(
            """delete from raw._quarantine where source = ?
               and source_file in (select source_file from load_batch)""",
            [source],
        )
        con.execute(
            """update raw._load_files set status = 'replaced'
               where source = ? and status in ('loaded', 'failed')
               and source_file in (select source_file from load_batch)""",
            [source],
        )
        counts = parser(con, [c.path for c in batch])
        for ctx in batch:
            read, good, bad = counts.get(str(ctx.path), (0, 0, 0))
            if read != good + bad:
                raise RuntimeError(
                    f"{ctx.path}: read {read} rows but loaded {good} and quarantined {bad}"
                )
            _record(con, source, load_id, ctx, "loaded", (read, good, bad), None)
        con.execute("commit")
        return counts
    except BaseException:
        con.execute("rollback")
        raise


def load_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    files: list[Path],
    parser: Parser,
    ddl: str,
) -> LoadSummary:
    """Load every new or changed file of one source family, in bulk."""
    con.execute(RAW_DDL)
    con.execute(ddl)
    set_session_variables(con)
    summary = LoadSummary(source=source, files_seen=len(files))
    load_id = uuid.uuid4().hex[:12]
    to_load = _classify(con, source, load_id, files, summary)
    if not to_load:
        return summary
    try:
        counts = _load_batch(con, source, raw_table, load_id, to_load, parser)
    except UnreadableFile:
        # Some file in the batch is broken: load one at a time to find it, keep the rest.
        counts = {}
        for ctx in to_load:
            try:
                counts |= _load_batch(con, source, raw_table, load_id, [ctx], parser)
            except UnreadableFile as error:
                _quarantine_unreadable(con, source, load_id, ctx, str(error))
                summary.files_failed += 1
                summary.rows_read += 1
                summary.rows_quarantined += 1
                summary.messages.append(f"{ctx.path}: {error}")
                log.warning("quarantined file %s: %s", ctx.path, error)
    for path, (read, good, bad) in sorted(counts.items()):
        summary.files_loaded += 1
        summary.rows_read += read
        summary.rows_loaded += good
        summary.rows_quarantined += bad
        if bad:
            summary.messages.append(f"{Path(path).name}: {bad} row(s) quarantined")
    return summary


def _quarantine_unreadable(
    con: duckdb.DuckDBPyConnection, source: str, load_id: str, ctx: FileContext, reason: str
) -> None:
    con.execute("begin transaction")
    # A file is retried on every run until it loads; its latest failure replaces the earlier.
    con.execute(
        """delete from raw._quarantine
           where source = ? and source_file = ? and field = '<file>' and source_row is null""",
        [source, str(ctx.path)],
    )
    con.execute(
        """update raw._load_files set status = 'replaced'
           where source = ? and source_file = ? and status = 'failed'""",
        [source, str(ctx.path)],
    )
    con.execute(
        """insert into raw._quarantine
           values (?, ?, null, '<file>', ?, null, ?, current_timestamp)""",
        [source, str(ctx.path), f"file could not be read: {reason}"[:1000], ctx.content_hash],
    )
    _record(con, source, load_id, ctx, "failed", (1, 0, 1), reason[:1000])
    con.execute("commit")


def split_good_and_bad(
    con: duckdb.DuckDBPyConnection,
    source: str,
    staged: str,
    raw_table: str,
    columns: list[str],
) -> Counts:
    """Move rows of temp table `staged` into `raw_table`, or into the quarantine when their
    `reject_reason` is set. `staged` carries source_file, source_row, reject_field,
    reject_reason and reject_value besides `columns`."""
    cols = ", ".join(quote_ident(c) for c in columns)
    con.execute(
        f"""insert into {raw_table} ({cols}, source_file, source_row, content_hash, loaded_at,
                                     load_id)
            select {cols}, s.source_file, s.source_row, b.content_hash, b.loaded_at, b.load_id
            from {staged} as s
            inner join load_batch as b on b.source_file = s.source_file
            where s.reject_reason is null"""
    )
    # A quarantined row keeps no raw e-mail or IP address (see privacy.py).
    create_scrub_macro(con)
    con.execute(
        f"""insert into raw._quarantine
            select ?, s.source_file, s.source_row, s.reject_field, pii_scrub(s.reject_reason),
                   left(pii_scrub(s.reject_value), 500), b.content_hash, b.loaded_at
            from {staged} as s
            inner join load_batch as b on b.source_file = s.source_file
            where s.reject_reason is not null""",
        [source],
    )
    counts = con.execute(
        f"""select source_file, count(*), count(*) - count(reject_reason), count(reject_reason)
            from {staged} group by source_file"""
    ).fetchall()
    con.execute(f"drop table {staged}")
    return {path: (read, good, bad) for path, read, good, bad in counts}


LINEAGE_COLUMNS = """
    source_file varchar not null,
    source_row bigint not null,
    content_hash varchar not null,
    loaded_at timestamptz not null,
    load_id varchar not null
"""
