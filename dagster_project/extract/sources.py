"""The source families the pipeline extracts, each a landing sub-folder, a raw table and a parser.

To add a source: write a parser (see `landing.Parser`), add a `Source` here, and declare the raw
table in `dbt_models/models/staging/<source>/_<source>__sources.yml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.extract import litellm, otel, tabular, vendor_costs
from dagster_project.extract.landing import LoadSummary, Parser, list_files, load_source


@dataclass(frozen=True)
class Source:
    name: str  # also the Dagster asset name: raw_<name>
    folder: str  # under the landing folder
    patterns: tuple[str, ...]
    table: str
    parser: Parser
    ddl: str
    description: str


SOURCES: tuple[Source, ...] = (
    Source(litellm.SOURCE, "litellm", litellm.FILE_PATTERNS, litellm.TABLE, litellm.parse,
           litellm.DDL,
           "LiteLLM proxy spend logs: one row per request through the gateway."),
    Source(otel.SOURCE, "otel", otel.FILE_PATTERNS, otel.TABLE, otel.parse, otel.DDL,
           "OpenTelemetry GenAI spans (OTLP JSON): one row per model call span."),
    Source(vendor_costs.OPENAI_SOURCE, "openai/costs", vendor_costs.FILE_PATTERNS,
           vendor_costs.OPENAI_TABLE, vendor_costs.parse_openai, vendor_costs.OPENAI_DDL,
           "OpenAI organization Costs API pages: one row per daily cost result."),
    Source(vendor_costs.ANTHROPIC_SOURCE, "anthropic/cost_report", vendor_costs.FILE_PATTERNS,
           vendor_costs.ANTHROPIC_TABLE, vendor_costs.parse_anthropic, vendor_costs.ANTHROPIC_DDL,
           "Anthropic Admin API cost report pages: one row per daily cost result (cents)."),
    Source(tabular.FOCUS_SOURCE, "focus", tabular.FOCUS_PATTERNS, tabular.FOCUS_TABLE,
           tabular.parse_focus, tabular.FOCUS_DDL,
           "Cloud billing exports in FOCUS (AWS, Azure, GCP): one row per billed charge."),
    Source(tabular.DRIVERS_SOURCE, "business", tabular.DRIVERS_PATTERNS, tabular.DRIVERS_TABLE,
           tabular.parse_drivers, tabular.DRIVERS_DDL,
           "Business-driver metrics in long format: day x driver x dimensions."),
)  # fmt: skip
SOURCES_BY_NAME = {s.name: s for s in SOURCES}


def extract(con: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path) -> LoadSummary:
    files = list_files(landing_dir / source.folder, source.patterns)
    return load_source(con, source.name, source.table, files, source.parser, source.ddl)
