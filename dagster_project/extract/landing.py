"""Loading landing files into DuckDB schema `raw`, once each, with lineage and a quarantine.

Every source family follows the same protocol, implemented once here:

- a file is identified by its content hash (sha256). A file whose exact content was already
  loaded (under any name) is recorded as `duplicate` and skipped, so a file delivered twice never
  counts twice;
- a file whose path was loaded before but whose content changed (a corrected re-export) replaces
  the rows that came from that path;
- a file that cannot be read at all (truncated Parquet, invalid JSON document) is recorded as
  `failed` with one quarantine row naming the file and the error; the run goes on (for a bill
  source an ERROR asset check then stops publication);
- a file that was loaded and is no longer in the landing folder (deleted, renamed) is retracted:
  its rows and quarantine rows are deleted, its `_load_files` row says `retracted`;
- gzip (`.gz`) and zstd (`.zst`) files are decompressed to a temporary mirror and read like the
  plain file; lineage names the original (compressed) file;
- bill sources (vendor cost pages, FOCUS) carry `bill_key`, `delivery_id`, `delivered_at` and
  `superseded_by`: for each bill key the latest delivery is in force, earlier ones are kept with
  `superseded_by` naming it (see `supersede`);
- `raw._landing_files` holds one state per landing file as of the last run (see `FILE_STATES`).
- rows that cannot be loaded go to `raw._quarantine` with file, row, field and reason;
- `raw._load_files` records rows read, loaded and quarantined per file, so "rows in = loaded +
  quarantined" is a check, not a hope.

Files are read in bounded batches (`batch_bytes`, AIFINOPS_EXTRACT_BATCH_MB), each loaded in its
own transaction: a run killed mid-way leaves whole files or nothing.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import logging
import os
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import zstandard

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
create table if not exists raw._landing_files (
    source varchar,                   -- null: no source reads the file
    source_file varchar not null,
    state varchar not null,           -- see FILE_STATES
    reason varchar,
    content_hash varchar,
    rows bigint,                      -- rows in the raw table from this file
    recorded_at timestamptz not null
);
"""
FILE_STATES = ("loaded", "unchanged", "duplicate", "superseded", "failed", "not_read", "retracted")
# Bill tables (contract C1): the identity of a bill line across deliveries, and which delivery
# it came in. Added to existing tables too, so an older warehouse file keeps working.
BILL_COLUMNS = (
    ("bill_key", "varchar"),
    ("delivery_id", "varchar"),
    ("delivered_at", "timestamptz"),
    ("superseded_by", "varchar"),
)
COMPRESSED = (".gz", ".zst")
BATCH_MB_ENV = "AIFINOPS_EXTRACT_BATCH_MB"
# DuckDB runs a statement on several threads by row groups of 122,880 rows: a batch of 128 MB of
# spend-log lines was one row group, parsed by one thread; 512 MB is about four.
DEFAULT_BATCH_MB = 512
NOT_DATA = "not data (name starts with _ or .)"

# Demo-only fallback; production sets AIFINOPS_PSEUDONYM_KEY (see README, "Privacy").
_DEMO_PSEUDONYM_KEY = "demo-only-pseudonym-key"
_warned_demo_key: list[bool] = []  # warn once per process, not once per source


@dataclass(frozen=True)
class FileContext:
    """A landing file about to be loaded."""

    path: Path
    content_hash: str
    size_bytes: int
    read_path: Path | None = None  # what the parser reads: the file, or its decompressed copy
    delivery_id: str | None = None  # bill sources only
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class Deliveries:
    """How a bill source's files make deliveries (contract C1).

    per_folder: a delivery is the folder holding the file (FOCUS: AWS new-file mode writes each
    re-statement in a new folder; several part files in one folder add up); otherwise each file
    is a delivery (vendor API pages). stated_time reads the time a file states it was delivered
    (a live pull's pull time); without one, the file's modification time counts."""

    per_folder: bool
    stated_time: Callable[[Path], datetime | None] | None = None


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


def data_name(path: Path) -> str:
    """The file name without its compression suffix: x.jsonl.gz -> x.jsonl."""
    for suffix in COMPRESSED:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


def is_data(path: Path, root: Path) -> bool:
    """Names starting with _ or . (or inside such a folder under `root`) are not data."""
    return not any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)


def scan_folder(folder: Path, patterns: Iterable[str]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every file under `folder`, in a stable order: (files to read, [(file not read, why)]).
    A file is read when its name (less a .gz or .zst suffix) matches a pattern; names starting
    with _ or . (or inside such a folder) are not data."""
    if not folder.exists():
        return [], []
    patterns = tuple(patterns)
    files: list[Path] = []
    not_read: list[tuple[Path, str]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not is_data(path, folder):
            not_read.append((path, NOT_DATA))
        elif any(fnmatch.fnmatchcase(data_name(path), pattern) for pattern in patterns):
            files.append(path)
        else:
            not_read.append((path, f"unknown file type: this folder's source reads "
                                   f"{', '.join(patterns)}, plain or .gz / .zst"))  # fmt: skip
    return files, not_read


def list_files(folder: Path, patterns: Iterable[str]) -> list[Path]:
    """Landing files under `folder` a source reads, in a stable order (see `scan_folder`)."""
    return scan_folder(folder, patterns)[0]


def _decompressed(path: Path, mirror: Path) -> Path:
    """The file to parse: `path` itself, or for a .gz / .zst file its decompressed copy under
    `mirror` at the same absolute path less the suffix (so folder names still tell e.g. the
    FOCUS export). A file that does not decompress cannot be read."""
    if not path.name.endswith(COMPRESSED):
        return path
    absolute = Path(os.path.abspath(path))
    target = mirror / absolute.parent.relative_to(absolute.anchor) / data_name(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "rb") as raw, open(target, "wb") as out:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as stream:
                    shutil.copyfileobj(stream, out, 1 << 20)
            else:
                reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
                with reader as stream:
                    shutil.copyfileobj(stream, out, 1 << 20)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as error:
        raise UnreadableFile(f"{path.name} cannot be decompressed: {error}") from error
    return target


def _with_delivery(ctx: FileContext, deliveries: Deliveries) -> FileContext:
    """Name the delivery a bill file belongs to and when it was made: the time the file states
    (a live pull's pull time), else the file's modification time (ties: delivery name order)."""
    stated = deliveries.stated_time(ctx.read_path or ctx.path) if deliveries.stated_time else None
    at = stated or datetime.fromtimestamp(ctx.path.stat().st_mtime, UTC)
    delivery_id = str(ctx.path.parent) if deliveries.per_folder else str(ctx.path)
    return replace(ctx, delivery_id=delivery_id, delivered_at=at)


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
    states: dict[str, tuple[str, str | None, str | None]],
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
            states[str(path)] = ("unchanged", None, ctx.content_hash)
        elif first is not None or any(c.content_hash == ctx.content_hash for c in to_load):
            # Same bytes under another name: a re-delivery. Record it once, load nothing.
            original = first or next(c for c in to_load if c.content_hash == ctx.content_hash)
            if (ctx.content_hash, str(path)) not in loaded_paths:
                _record(con, source, load_id, ctx, "duplicate", (0, 0, 0),
                        f"same content as {original if first else original.path}")  # fmt: skip
                summary.messages.append(f"{path.name}: duplicate delivery, not loaded")
            summary.files_duplicate += 1
            states[str(path)] = (
                "duplicate",
                f"same content as {original if first else original.path}; not loaded",
                ctx.content_hash,
            )
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
    bills: bool = False,
) -> Counts:
    """Load files in one transaction: all of them or none."""
    con.execute("begin transaction")
    try:
        con.execute(
            """create or replace temp table load_batch as
               select unnest($paths) as source_file, unnest($hashes) as content_hash,
                      $load_id as load_id, current_timestamp as loaded_at,
                      unnest($read_paths) as read_path, unnest($deliveries) as delivery_id,
                      unnest($delivered_at::timestamptz[]) as delivered_at""",
            {"paths": [str(c.path) for c in batch], "hashes": [c.content_hash for c in batch],
             "load_id": load_id, "read_paths": [str(c.read_path or c.path) for c in batch],
             "deliveries": [c.delivery_id for c in batch],
             "delivered_at": [c.delivered_at for c in batch]},
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
        by_read_path = parser(con, [c.read_path or c.path for c in batch])
        counts = {str(c.path): by_read_path[str(c.read_path or c.path)] for c in batch
                  if str(c.read_path or c.path) in by_read_path}  # fmt: skip
        if bills:
            con.execute(
                f"""update {raw_table} as t
                    set delivery_id = b.delivery_id, delivered_at = b.delivered_at
                    from load_batch as b
                    where t.source_file = b.source_file and t.load_id = b.load_id"""
            )
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
    *,
    deliveries: Deliveries | None = None,
    folder: Path | None = None,
    not_read: Iterable[tuple[Path, str]] = (),
) -> LoadSummary:
    """Load every new or changed file of one source family, in bulk; retract what files no
    longer there loaded; for a bill source, recompute which deliveries are in force; record one
    state per file in `raw._landing_files`.

    `folder`: the source's landing folder; a file this source loaded from under it that is no
    longer among `files` is retracted (a file that no longer exists anywhere always is).
    `not_read`: files in the folder the source does not read, with the reason."""
    create_raw_tables(con, source, raw_table, ddl, bills=deliveries is not None)
    set_session_variables(con)
    summary = LoadSummary(source=source, files_seen=len(files))
    load_id = uuid.uuid4().hex[:12]
    states: dict[str, tuple[str, str | None, str | None]] = {}
    retracted = _retract(con, source, raw_table, files, folder)
    summary.messages += [f"{Path(p).name}: {why}" for p, why in retracted.items()]
    to_load = _classify(con, source, load_id, files, summary, states)
    counts: Counts = {}
    loaded: list[FileContext] = []
    bills = deliveries is not None
    limit = batch_bytes(con)
    with tempfile.TemporaryDirectory(prefix="aifinops-landing-") as mirror:
        ready: list[FileContext] = []
        size = 0

        def load(batch: list[FileContext]) -> None:
            nonlocal counts
            try:
                counts |= _load_batch(con, source, raw_table, load_id, batch, parser, bills)
            except UnreadableFile:
                # Some file in the batch is broken: load one at a time to find it, keep the rest.
                for ctx in batch:
                    try:
                        counts |= _load_batch(con, source, raw_table, load_id, [ctx], parser, bills)
                    except UnreadableFile as error:
                        _fail(con, source, load_id, ctx, str(error), summary, states)
            loaded.extend(batch)
            for ctx in batch:  # a decompressed copy is not needed once its file is loaded
                if ctx.read_path is not None and ctx.read_path != ctx.path:
                    ctx.read_path.unlink(missing_ok=True)

        # Files are read in batches of at most `limit` bytes (as read: decompressed), so memory
        # holds one batch at a time whatever the size of the landing folder; a file larger than
        # the limit is a batch of its own. Each batch is one transaction.
        for ctx in to_load:
            try:
                ctx = replace(ctx, read_path=_decompressed(ctx.path, Path(mirror)))
                ctx = _with_delivery(ctx, deliveries) if deliveries else ctx
            except UnreadableFile as error:
                _fail(con, source, load_id, ctx, str(error), summary, states)
                continue
            read_size = (ctx.read_path or ctx.path).stat().st_size
            if ready and size + read_size > limit:
                load(ready)
                ready, size = [], 0
            ready.append(ctx)
            size += read_size
        if ready:
            load(ready)
    for ctx in loaded:
        if str(ctx.path) not in states:
            states[str(ctx.path)] = ("loaded", None, ctx.content_hash)
    for path, (read, good, bad) in sorted(counts.items()):
        summary.files_loaded += 1
        summary.rows_read += read
        summary.rows_loaded += good
        summary.rows_quarantined += bad
        if bad:
            summary.messages.append(f"{Path(path).name}: {bad} row(s) quarantined")
    if deliveries is not None:
        supersede(con, raw_table)
    _record_states(con, source, raw_table, deliveries is not None, states, retracted, not_read)
    return summary


def batch_bytes(con: duckdb.DuckDBPyConnection | None = None) -> int:
    """How many bytes of landing files (as read: decompressed) one batch reads at most:
    AIFINOPS_EXTRACT_BATCH_MB (default 512), and at most an eighth of the connection's DuckDB
    memory_limit (parsed rows take several times their text). Fewer, larger batches cost less
    per file; memory use grows with the batch."""
    value = os.environ.get(BATCH_MB_ENV, "").strip() or str(DEFAULT_BATCH_MB)
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = -1
    if megabytes <= 0:
        raise ValueError(f"{BATCH_MB_ENV}={value!r}: expected a positive number of megabytes")
    limit = int(megabytes * 1024 * 1024)
    if con is not None:
        memory = _bytes(con.execute("select current_setting('memory_limit')").fetchone()[0])
        if memory:
            limit = min(limit, max(memory // 8, 1 << 20))
    return limit


_UNITS = {"b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def _bytes(setting: str) -> int | None:
    """DuckDB's memory_limit as it prints it ('190.7 MiB', '6.0 GiB') in bytes; None: no limit."""
    number, _, unit = setting.strip().partition(" ")
    try:
        return int(float(number) * _UNITS[unit.strip().lower() or "b"])
    except (ValueError, KeyError):
        return None


def _fail(
    con: duckdb.DuckDBPyConnection,
    source: str,
    load_id: str,
    ctx: FileContext,
    reason: str,
    summary: LoadSummary,
    states: dict[str, tuple[str, str | None, str | None]],
) -> None:
    _quarantine_unreadable(con, source, load_id, ctx, reason)
    states[str(ctx.path)] = ("failed", f"file could not be read: {reason}"[:1000], ctx.content_hash)
    summary.files_failed += 1
    summary.rows_read += 1
    summary.rows_quarantined += 1
    summary.messages.append(f"{ctx.path}: {reason}")
    log.warning("quarantined file %s: %s", ctx.path, reason)


def create_raw_tables(
    con: duckdb.DuckDBPyConnection, source: str, raw_table: str, ddl: str, bills: bool
) -> None:
    """The load bookkeeping tables and a source's raw table (a bill source with the C1
    columns), whether or not any file arrives."""
    con.execute(RAW_DDL)
    con.execute(ddl)
    if bills:
        _add_bill_columns(con, source, raw_table)


def _add_bill_columns(con: duckdb.DuckDBPyConnection, source: str, raw_table: str) -> None:
    """Give a bill table the C1 columns. A table loaded before they existed has rows without a
    bill key: the landing folder is the source of truth, so those files are loaded again."""
    for name, kind in BILL_COLUMNS:
        con.execute(f"alter table {raw_table} add column if not exists {name} {kind}")
    stale = con.execute(f"select count(*) from {raw_table} where bill_key is null").fetchone()[0]
    if stale:
        log.warning("%s: %d row(s) predate bill keys; reloading its files", raw_table, stale)
        con.execute("begin transaction")
        con.execute(f"delete from {raw_table}")
        con.execute("delete from raw._quarantine where source = ?", [source])
        con.execute(
            """update raw._load_files set status = 'replaced'
               where source = ? and status in ('loaded', 'failed', 'duplicate')""",
            [source],
        )
        con.execute("commit")


def _retract(
    con: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    files: list[Path],
    folder: Path | None,
) -> dict[str, str]:
    """Retract what files no longer in the landing folder loaded: delete their rows and
    quarantine rows, mark their loads `retracted`. Returns {file: reason}."""
    listed = {str(p) for p in files}
    recorded = con.execute(
        """select distinct source_file from raw._load_files
           where source = ? and status in ('loaded', 'failed', 'duplicate')""",
        [source],
    ).fetchall()
    under = str(folder).rstrip(os.sep) + os.sep if folder is not None else None
    gone = [
        path
        for (path,) in recorded
        if path not in listed
        and (not os.path.exists(path) or (under is not None and path.startswith(under)))
    ]
    retracted: dict[str, str] = {}
    for path in gone:
        con.execute("begin transaction")
        rows = con.execute(
            f"select count(*) from {raw_table} where source_file = ?", [path]
        ).fetchone()[0]
        con.execute(f"delete from {raw_table} where source_file = ?", [path])
        con.execute(
            "delete from raw._quarantine where source = ? and source_file = ?", [source, path]
        )
        con.execute(
            """update raw._load_files set status = 'retracted'
               where source = ? and source_file = ?
               and status in ('loaded', 'failed', 'duplicate')""",
            [source, path],
        )
        con.execute("commit")
        retracted[path] = (
            f"no longer in the landing folder: retracted, {rows} row(s) removed"
            if os.path.exists(path) is False
            else f"no longer read by this source (renamed or not data): retracted, "
            f"{rows} row(s) removed"
        )
        log.info("retracted %s (%d rows)", path, rows)
    return retracted


def supersede(con: duckdb.DuckDBPyConnection, raw_table: str) -> None:
    """Contract C1: for each bill key the latest delivery is in force, the others name it in
    `superseded_by`. A delivery's time is the newest time of its files; ties go to the later
    delivery name. Rows within one delivery are never compared with each other."""
    con.execute(
        f"""update {raw_table} as t set delivered_at = d.delivered_at
            from (select delivery_id, max(delivered_at) as delivered_at
                  from {raw_table} group by delivery_id) as d
            where t.delivery_id = d.delivery_id and t.delivered_at <> d.delivered_at"""
    )
    con.execute(
        f"""update {raw_table} as t set superseded_by = nullif(w.winner, t.delivery_id)
            from (select distinct bill_key,
                         first_value(delivery_id) over (
                             partition by bill_key
                             order by delivered_at desc, delivery_id desc) as winner
                  from {raw_table}) as w
            where t.bill_key = w.bill_key
            and t.superseded_by is distinct from nullif(w.winner, t.delivery_id)"""
    )


def _record_states(
    con: duckdb.DuckDBPyConnection,
    source: str,
    raw_table: str,
    bills: bool,
    states: dict[str, tuple[str, str | None, str | None]],
    retracted: dict[str, str],
    not_read: Iterable[tuple[Path, str]],
) -> None:
    """Contract C2: one row per file of this source in `raw._landing_files`."""
    superseded = "count(superseded_by)" if bills else "0"
    by = "string_agg(distinct superseded_by, ', ')" if bills else "null"
    stored = {
        path: (rows, gone, winners)
        for path, rows, gone, winners in con.execute(
            f"""select source_file, count(*), {superseded}, {by}
                from {raw_table} group by source_file"""
        ).fetchall()
    }
    quarantined = dict(
        con.execute(
            """select source_file, count(*) from raw._quarantine
               where source = ? and source_row is not null group by source_file""",
            [source],
        ).fetchall()
    )
    rows: list[tuple] = []
    for path, (state, reason, content_hash) in states.items():
        count, gone, winners = stored.get(path, (0, 0, None))
        notes = [reason] if reason else []
        if state in ("loaded", "unchanged") and count and gone == count:
            state = "superseded"
            notes.append(f"all {count} row(s) superseded by delivery {winners}")
        elif gone:
            notes.append(f"{gone} of {count} row(s) superseded by delivery {winners}")
        if quarantined.get(path):
            notes.append(f"{quarantined[path]} row(s) quarantined (see raw._quarantine)")
        rows.append((path, state, "; ".join(notes) or None, content_hash, count))
    earlier = con.execute(
        """select source_file, reason, content_hash from raw._landing_files
           where source = ? and state = 'retracted'""",
        [source],
    ).fetchall()
    skip = set(states) | {str(p) for p, _ in not_read}
    for path, reason, content_hash in earlier:
        if path not in skip and path not in retracted:
            rows.append((path, "retracted", reason, content_hash, 0))
    hashes = dict(
        con.execute(
            "select source_file, any_value(content_hash) from raw._load_files where source = ? "
            "group by source_file",
            [source],
        ).fetchall()
    )
    rows += [(p, "retracted", why, hashes.get(p), 0) for p, why in retracted.items()]
    rows += [(str(p), "not_read", why, None, None) for p, why in not_read]
    write_landing_states(con, source, rows)


def write_landing_states(
    con: duckdb.DuckDBPyConnection, source: str | None, rows: list[tuple]
) -> None:
    """Replace the recorded states of one source's files (source None: files no source reads)
    with `rows` of (source_file, state, reason, content_hash, rows)."""
    con.execute("begin transaction")
    con.execute("delete from raw._landing_files where source is not distinct from ?", [source])
    if rows:
        con.executemany(
            "insert into raw._landing_files values (?, ?, ?, ?, ?, ?, current_timestamp)",
            [(source, *row) for row in rows],
        )
    con.execute("commit")


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
            select {cols}, b.source_file, s.source_row, b.content_hash, b.loaded_at, b.load_id
            from {staged} as s
            inner join load_batch as b on b.read_path = s.source_file
            where s.reject_reason is null"""
    )
    # A quarantined row keeps no raw e-mail or IP address (see privacy.py).
    create_scrub_macro(con)
    con.execute(
        f"""insert into raw._quarantine
            select ?, b.source_file, s.source_row, s.reject_field, pii_scrub(s.reject_reason),
                   left(pii_scrub(s.reject_value), 500), b.content_hash, b.loaded_at
            from {staged} as s
            inner join load_batch as b on b.read_path = s.source_file
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


@dataclass(frozen=True)
class RawTable:
    """A raw table with its columns declared once: the DDL that creates it and the column list
    the loader inserts (`split_good_and_bad`) both come from `columns`. Every raw table also
    gets the load lineage columns (LINEAGE_COLUMNS), which the loader fills itself."""

    name: str  # schema-qualified: raw.<table>
    columns: tuple[str, ...]  # one SQL column definition each: '<name> <type> [not null]'
    # columns added after the table first shipped: an older warehouse file gets them (nullable)
    added_later: tuple[str, ...] = ()
    # a table of bill lines: the parser also fills bill_key (BILL_COLUMNS, added by
    # create_raw_tables to every bill source's table)
    bills: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.added_later) - set(self._definitions)
        if unknown:
            raise ValueError(f"{self.name}: added_later names no column: {sorted(unknown)}")

    @property
    def _definitions(self) -> dict[str, str]:
        return {definition.split()[0]: definition for definition in self.columns}

    @property
    def column_names(self) -> list[str]:
        """What the parser's staged rows carry and the loader inserts, in table order."""
        return [*self._definitions, *(["bill_key"] if self.bills else [])]

    @property
    def ddl(self) -> str:
        columns = ",\n    ".join(self.columns)
        ddl = f"create table if not exists {self.name} (\n    {columns},\n{LINEAGE_COLUMNS});\n"
        for name in self.added_later:
            definition = self._definitions[name].removesuffix(" not null")
            ddl += f"alter table {self.name} add column if not exists {definition};\n"
        return ddl
