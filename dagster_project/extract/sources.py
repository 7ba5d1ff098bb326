"""The source families the pipeline extracts, each a landing sub-folder, a raw table and a parser.

To add a source: write a parser (see `landing.Parser`), add a `Source` here, and declare the raw
table in `dbt_models/models/staging/<source>/_<source>__sources.yml`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb

from dagster_project.extract import fx_rates, litellm, litellm_db, otel, tabular, vendor_costs
from dagster_project.extract.landing import (
    NOT_DATA,
    Deliveries,
    LoadSummary,
    Parser,
    is_data,
    load_source,
    scan_folder,
    write_landing_states,
)


@dataclass(frozen=True)
class Source:
    name: str  # also the Dagster asset name: raw_<name>
    folder: str  # under the landing folder
    patterns: tuple[str, ...]
    table: str
    parser: Parser
    ddl: str
    description: str
    deliveries: Deliveries | None = None  # bill sources: how files make deliveries (C1)
    # run before the folder is read: writes new landing files from a configured system (LiteLLM:
    # its PostgreSQL database); returns a summary line, or None when not configured
    pull: Callable[[Path], str | None] | None = None
    pull_configured: Callable[[], bool] | None = None  # whether `pull` reads a system now


def _pull_litellm_db(landing_dir: Path) -> str | None:
    result = litellm_db.pull_if_configured(landing_dir)
    return result.summary() if result is not None else None


# Vendor API pages: each file is a delivery, made at the pull time it states (or its mtime).
PAGE_DELIVERIES = Deliveries(per_folder=False, stated_time=vendor_costs.pulled_at)
# FOCUS: the folder holding a file is a delivery (part files in it add up), made at the newest
# modification time of its files.
FOCUS_DELIVERIES = Deliveries(per_folder=True)
# FX rates files: each file is a delivery, made at its modification time; a later file
# restating a currency's rate for a day supersedes the earlier one.
FX_DELIVERIES = Deliveries(per_folder=False)

SOURCES: tuple[Source, ...] = (
    Source(litellm.SOURCE, "litellm", litellm.FILE_PATTERNS, litellm.TABLE, litellm.parse,
           litellm.DDL,
           "LiteLLM proxy spend logs: one row per request through the gateway (JSONL files, "
           "the UI's CSV export, and pulls from LiteLLM's PostgreSQL database when "
           "AIFINOPS_LITELLM_DATABASE_URL is set).",
           pull=_pull_litellm_db, pull_configured=litellm_db.is_configured),
    Source(otel.SOURCE, "otel", otel.FILE_PATTERNS, otel.TABLE, otel.parse, otel.DDL,
           "OpenTelemetry GenAI spans (OTLP JSON): one row per model call span."),
    Source(vendor_costs.OPENAI_SOURCE, "openai/costs", vendor_costs.FILE_PATTERNS,
           vendor_costs.OPENAI_TABLE, vendor_costs.parse_openai, vendor_costs.OPENAI_DDL,
           "OpenAI organization Costs API pages: one row per daily cost result.",
           PAGE_DELIVERIES),
    Source(vendor_costs.ANTHROPIC_SOURCE, "anthropic/cost_report", vendor_costs.FILE_PATTERNS,
           vendor_costs.ANTHROPIC_TABLE, vendor_costs.parse_anthropic, vendor_costs.ANTHROPIC_DDL,
           "Anthropic Admin API cost report pages: one row per daily cost result (cents).",
           PAGE_DELIVERIES),
    Source(vendor_costs.OPENAI_USAGE_SOURCE, "openai/usage", vendor_costs.FILE_PATTERNS,
           vendor_costs.OPENAI_USAGE_TABLE, vendor_costs.parse_openai_usage,
           vendor_costs.OPENAI_USAGE_DDL,
           "OpenAI organization Usage API pages (completions/, embeddings/, ... sub-folders): "
           "one row per bucket x grouping result.",
           PAGE_DELIVERIES),
    Source(vendor_costs.ANTHROPIC_USAGE_SOURCE, "anthropic/usage_report",
           vendor_costs.FILE_PATTERNS, vendor_costs.ANTHROPIC_USAGE_TABLE,
           vendor_costs.parse_anthropic_usage, vendor_costs.ANTHROPIC_USAGE_DDL,
           "Anthropic Admin API usage report (messages) pages: one row per bucket x grouping "
           "result, tokens by type.",
           PAGE_DELIVERIES),
    Source(tabular.FOCUS_SOURCE, "focus", tabular.FOCUS_PATTERNS, tabular.FOCUS_TABLE,
           tabular.parse_focus, tabular.FOCUS_DDL,
           "Cloud billing exports in FOCUS (AWS, Azure, GCP): one row per billed charge.",
           FOCUS_DELIVERIES),
    Source(tabular.DRIVERS_SOURCE, "business", tabular.DRIVERS_PATTERNS, tabular.DRIVERS_TABLE,
           tabular.parse_drivers, tabular.DRIVERS_DDL,
           "Business-driver metrics in long format: day x driver x dimensions."),
    Source(fx_rates.SOURCE, "fx", fx_rates.FILE_PATTERNS, fx_rates.TABLE, fx_rates.parse,
           fx_rates.DDL,
           "FX reference rates in the ECB's eurofxref format: one row per day x currency.",
           FX_DELIVERIES),
)  # fmt: skip
SOURCES_BY_NAME = {s.name: s for s in SOURCES}


BILL_SOURCES = tuple(s for s in SOURCES if s.deliveries is not None)


def pulling_sources() -> list[str]:
    """The sources that will read a system outside the landing folder in this run."""
    return [s.name for s in SOURCES if s.pull_configured is not None and s.pull_configured()]


def extract(con: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path) -> LoadSummary:
    folder = landing_dir / source.folder
    # a configured database that cannot be read fails the run: a silent gap is a wrong total
    pulled = source.pull(landing_dir) if source.pull is not None else None
    files, not_read = scan_folder(folder, source.patterns)
    summary = load_source(
        con, source.name, source.table, files, source.parser, source.ddl,
        deliveries=source.deliveries, folder=folder, not_read=not_read,
    )  # fmt: skip
    if pulled:
        summary.messages.insert(0, pulled)
    record_unclaimed_files(con, landing_dir)
    return summary


def record_unclaimed_files(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> None:
    """Contract C2 for files under the landing folder that no source's folder holds: each gets
    state `not_read` with the reason (source null). Idempotent; every extract refreshes it."""
    folders = [landing_dir / s.folder for s in SOURCES]
    rows = []
    if landing_dir.exists():
        for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
            if any(path.is_relative_to(folder) for folder in folders):
                continue
            reason = (
                NOT_DATA
                if not is_data(path, landing_dir)
                else "no source reads this folder (sources read "
                + ", ".join(f"{s.folder}/" for s in SOURCES)
                + ")"
            )
            rows.append((str(path), "not_read", reason, None, None))
    write_landing_states(con, None, rows)


class LoadBalance(NamedTuple):
    """A source's rows as its loads recorded them and as the raw and quarantine tables hold them."""

    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_in_table: int
    rows_in_quarantine: int

    @property
    def balanced(self) -> bool:
        """Every row read is loaded or quarantined, and the tables hold exactly those rows."""
        return (
            self.rows_read == self.rows_loaded + self.rows_quarantined
            and self.rows_loaded == self.rows_in_table
            and self.rows_quarantined == self.rows_in_quarantine
        )


def load_balance(con: duckdb.DuckDBPyConnection, source: Source) -> LoadBalance:
    read, loaded, quarantined = con.execute(
        """select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                  coalesce(sum(rows_quarantined), 0)
           from raw._load_files where source = ? and status in ('loaded', 'failed')""",
        [source.name],
    ).fetchone()
    in_table = con.execute(f"select count(*) from {source.table}").fetchone()[0]
    in_quarantine = con.execute(
        "select count(*) from raw._quarantine where source = ?", [source.name]
    ).fetchone()[0]
    return LoadBalance(*(int(n) for n in (read, loaded, quarantined, in_table, in_quarantine)))
