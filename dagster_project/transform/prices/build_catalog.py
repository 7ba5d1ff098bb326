"""Regenerate the dbt seed ``seeds/price_catalog.csv`` from the installed genai-prices data.

Prices are never typed by hand: every number comes from ``genai_prices.data.providers`` of the
installed package, so upgrading genai-prices and re-running this module is the only way to change
the catalog. ``--check`` lets CI fail when the committed seed and the package disagree.

How genai-prices' structure is flattened into one row per model per effective period:

* Effective periods. ``ModelInfo.prices`` is either one ``ModelPrice`` or a list of
  ``ConditionalPrice``. Only ``StartDateConstraint`` opens a new period. A price with no
  constraint applies from ``DEFAULT_EFFECTIVE_FROM`` (2020-01-01). Like genai-prices itself, the
  last active conditional price wins, and the first one is used before any start date is reached.
  ``effective_to`` is the exclusive start of the next period, empty when open-ended. Consecutive
  periods with identical prices are merged.
* Non-date conditions. Conditional prices with any other constraint (e.g.
  ``TimeOfDateConstraint`` off-peak pricing) are ignored, so the unconditional/default price is
  used. The same applies to batch price variants with a non-date constraint.
* Tiered prices (``TieredPrices``, e.g. a higher rate above 200k prompt tokens): the base (first
  tier) price is written; higher tiers are not represented.
* Cache writes: ``cache_write_usd_per_mtok`` is the default (5 minute) cache write price;
  ``cache_write_1h_usd_per_mtok`` is the 1 hour TTL price where the provider has one.
* Reasoning: genai-prices normally bills reasoning tokens as output tokens. When there is no
  separate ``output_reasoning_mtok`` price, the output price is written.
* Batch: batch prices come from ``ModelInfo.price_variants`` whose ``when`` is exactly
  ``{"processing": "batch"}`` (other variants such as service tiers or fast mode are ignored).
  Variant start dates also open new periods, because genai-prices only models batch prices from
  those dates. Where there is no batch price the columns stay empty and the dbt layer applies its
  documented batch discount.
* Models without an input and without an output token price (image, audio, per-request or
  search-only models) are skipped and counted in the summary.
* ``model_name`` falls back to the model id when genai-prices has no display name.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

from genai_prices import data
from genai_prices.types import (
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    PriceVariant,
    Provider,
    StartDateConstraint,
    TieredPrices,
)

from dagster_project.config import SEEDS_DIR

# genai-prices provider id -> warehouse provider_id. Add a line here to bring in another provider.
PROVIDER_ID_MAP: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "aws": "aws_bedrock",
    "azure": "azure_openai",
    "google": "gcp_vertex_ai",
}

DEFAULT_EFFECTIVE_FROM = date(2020, 1, 1)
DEFAULT_OUTPUT = SEEDS_DIR / "price_catalog.csv"
BATCH_CONTEXT: dict[str, str] = {"processing": "batch"}

# Catalog column -> genai-prices price keys, first present key wins. The fallbacks encode the
# documented conventions (5m cache write is the default write; reasoning is billed as output).
STANDARD_PRICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "input_usd_per_mtok": ("input_mtok",),
    "cache_read_usd_per_mtok": ("cache_read_mtok",),
    "cache_write_usd_per_mtok": ("cache_write_mtok", "cache_write_5m_mtok"),
    "cache_write_1h_usd_per_mtok": ("cache_write_1h_mtok",),
    "output_usd_per_mtok": ("output_mtok",),
    "reasoning_usd_per_mtok": ("output_reasoning_mtok", "output_mtok"),
}
BATCH_PRICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "batch_input_usd_per_mtok": ("input_mtok",),
    "batch_output_usd_per_mtok": ("output_mtok",),
}

COLUMNS: tuple[str, ...] = (
    "provider_id",
    "model_id",
    "model_name",
    "effective_from",
    "effective_to",
    *STANDARD_PRICE_COLUMNS,
    *BATCH_PRICE_COLUMNS,
    "price_source",
)

PriceValue = Decimal | TieredPrices | None


@dataclass(frozen=True)
class BuildResult:
    rows: list[dict[str, str]]
    providers: int
    models: int
    skipped_models: int

    def summary(self) -> str:
        return (
            f"price catalog: {self.providers} providers, {self.models} models, "
            f"{len(self.rows)} rows, {self.skipped_models} skipped (no input/output token price)"
        )


def format_price(value: PriceValue) -> str:
    """Render a USD price as a plain decimal string ('2.5', '0.075', '10'); '' when missing."""
    if value is None:
        return ""
    price = value.base if isinstance(value, TieredPrices) else value
    # normalize() drops trailing zeros; format 'f' prevents exponent notation such as '1E+1'.
    return format(price.normalize(), "f")


def _price_key_value(prices: ModelPrice, keys: Sequence[str]) -> PriceValue:
    # ModelPrice stores only the keys present in the data; vars() avoids its dynamic __getattr__.
    stored = vars(prices)
    return next((stored[key] for key in keys if stored.get(key) is not None), None)


def _is_date_or_unconstrained(constraint: object) -> bool:
    return constraint is None or isinstance(constraint, StartDateConstraint)


def _is_active_on(constraint: object, day: date) -> bool:
    return not isinstance(constraint, StartDateConstraint) or constraint.start_date <= day


def _conditional_prices(model: ModelInfo) -> list[ConditionalPrice]:
    if isinstance(model.prices, ModelPrice):
        return [ConditionalPrice(prices=model.prices)]
    usable = [p for p in model.prices if _is_date_or_unconstrained(p.constraint)]
    # A model whose every price has a non-date constraint still needs a price: use the first.
    return usable or model.prices[:1]


def _batch_variants(model: ModelInfo) -> list[PriceVariant]:
    return [
        variant
        for variant in model.price_variants or ()
        if variant.when == BATCH_CONTEXT and _is_date_or_unconstrained(variant.constraint)
    ]


def _standard_price_on(conditionals: Sequence[ConditionalPrice], day: date) -> ModelPrice:
    # Mirrors ModelInfo.get_prices: the last active price wins, else the first one.
    for conditional in reversed(conditionals):
        if _is_active_on(conditional.constraint, day):
            return conditional.prices
    return conditionals[0].prices


def _batch_price_on(variants: Sequence[PriceVariant], day: date, keys: Sequence[str]) -> PriceValue:
    # Mirrors ModelInfo.get_prices: variants resolve first to last, independently per price key.
    for variant in variants:
        if _is_active_on(variant.constraint, day):
            value = _price_key_value(variant.prices, keys)
            if value is not None:
                return value
    return None


def _start_dates(constraints: Iterable[object]) -> set[date]:
    return {c.start_date for c in constraints if isinstance(c, StartDateConstraint)}


def _period_starts(
    conditionals: Sequence[ConditionalPrice], variants: Sequence[PriceVariant]
) -> list[date]:
    starts = _start_dates(p.constraint for p in conditionals)
    starts |= _start_dates(v.constraint for v in variants)
    first = min([DEFAULT_EFFECTIVE_FROM, *starts])
    return sorted(starts | {first})


def _prices_on(
    conditionals: Sequence[ConditionalPrice], variants: Sequence[PriceVariant], day: date
) -> dict[str, str]:
    standard = _standard_price_on(conditionals, day)
    prices = {
        column: format_price(_price_key_value(standard, keys))
        for column, keys in STANDARD_PRICE_COLUMNS.items()
    }
    for column, keys in BATCH_PRICE_COLUMNS.items():
        prices[column] = format_price(_batch_price_on(variants, day, keys))
    return prices


def _price_periods(model: ModelInfo) -> Iterator[tuple[date, date | None, dict[str, str]]]:
    conditionals = _conditional_prices(model)
    if not conditionals:  # ModelInfo.prices defaults to an empty list
        return
    variants = _batch_variants(model)
    periods: list[tuple[date, dict[str, str]]] = []
    for start in _period_starts(conditionals, variants):
        prices = _prices_on(conditionals, variants, start)
        # Merging unchanged neighbours keeps one row per distinct price, not per data entry.
        if not periods or periods[-1][1] != prices:
            periods.append((start, prices))
    for index, (start, prices) in enumerate(periods):
        end = periods[index + 1][0] if index + 1 < len(periods) else None
        yield start, end, prices


def _has_token_price(prices: dict[str, str]) -> bool:
    return bool(prices["input_usd_per_mtok"] or prices["output_usd_per_mtok"])


def model_rows(provider_id: str, model: ModelInfo, price_source: str) -> list[dict[str, str]]:
    """Catalog rows for one model, one per effective period; empty if it has no token price."""
    return [
        {
            "provider_id": provider_id,
            "model_id": model.id,
            "model_name": model.name or model.id,
            "effective_from": start.isoformat(),
            "effective_to": end.isoformat() if end else "",
            **prices,
            "price_source": price_source,
        }
        for start, end, prices in _price_periods(model)
        if _has_token_price(prices)
    ]


def _sort_key(row: dict[str, str]) -> tuple[str, str, str]:
    return row["provider_id"], row["model_id"], row["effective_from"]


def build_catalog(providers: Sequence[Provider] | None = None) -> BuildResult:
    """Flatten genai-prices providers (default: the installed package data) into catalog rows."""
    price_source = f"genai-prices {version('genai-prices')}"
    selected = [
        p for p in (data.providers if providers is None else providers) if p.id in PROVIDER_ID_MAP
    ]
    rows: list[dict[str, str]] = []
    models = skipped = 0
    for provider in selected:
        for model in provider.models:
            new_rows = model_rows(PROVIDER_ID_MAP[provider.id], model, price_source)
            rows.extend(new_rows)
            models += bool(new_rows)
            skipped += not new_rows
    rows.sort(key=_sort_key)
    return BuildResult(rows=rows, providers=len(selected), models=models, skipped_models=skipped)


def render_csv(rows: Iterable[dict[str, str]]) -> str:
    """CSV text with a fixed column order and '\\n' line endings, so diffs stay stable."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Regenerate the price_catalog dbt seed from the installed genai-prices data."
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"CSV file to write or check (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the file differs from what would be generated",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    result = build_catalog()
    content = render_csv(result.rows)
    output: Path = args.output
    if args.check:
        # Bytes, not read_text(): universal newlines would hide a CRLF-converted file.
        on_disk = output.read_bytes().decode("utf-8") if output.exists() else None
        if on_disk != content:
            print(
                f"{output} is out of date with the installed genai-prices; "
                "regenerate it with: python -m dagster_project.transform.prices.build_catalog",
                file=sys.stderr,
            )
            return 1
        print(f"{result.summary()}; {output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(content, encoding="utf-8", newline="")
    print(f"{result.summary()}; wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
