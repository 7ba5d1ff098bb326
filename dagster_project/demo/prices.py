"""List prices the demo vendors bill at, read from the same seeds the warehouse prices with.

The generator bills usage the way a vendor does (quantity x unit price, less the negotiated
discount), so the demo's bills and the warehouse's usage-estimated list cost agree except where
real bills differ (discounts, unlogged usage, billing lag, a model the catalog lacks).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from dagster_project.transform.prices.model_matching import resolve

PARTS = (
    "input",
    "cache_read",
    "cache_write",
    "output",
    "batch_input",
    "batch_output",
)
# Vendors bill batch traffic at half the standard rate (OpenAI, Anthropic and Bedrock all do).
BATCH_FACTOR = Decimal("0.5")
# The early-access model is billed by the vendor even though the public catalog lacks it.
UNKNOWN_MODEL_PRICE = {"input": Decimal(4), "output": Decimal(20)}


@dataclass(frozen=True)
class PriceRow:
    provider_id: str
    model_id: str
    effective_from: date
    effective_to: date | None
    usd_per_mtok: dict[str, Decimal]


def _dec(value: str) -> Decimal | None:
    return Decimal(value) if value not in ("", None) else None


def load_catalog(seeds_dir: Path) -> list[PriceRow]:
    rows: list[PriceRow] = []
    for name in ("price_catalog.csv", "price_internal_rates.csv"):
        with open(seeds_dir / name, newline="") as handle:
            for rec in csv.DictReader(handle):
                inp, out = _dec(rec["input_usd_per_mtok"]), _dec(rec["output_usd_per_mtok"])
                parts = {
                    "input": inp,
                    "cache_read": _dec(rec["cache_read_usd_per_mtok"]) or inp,
                    "cache_write": _dec(rec["cache_write_usd_per_mtok"]) or inp,
                    "output": out,
                    "batch_input": _dec(rec["batch_input_usd_per_mtok"])
                    or (inp * BATCH_FACTOR if inp is not None else None),
                    "batch_output": _dec(rec["batch_output_usd_per_mtok"])
                    or (out * BATCH_FACTOR if out is not None else None),
                }
                rows.append(
                    PriceRow(
                        rec["provider_id"],
                        rec["model_id"],
                        date.fromisoformat(rec["effective_from"]),
                        date.fromisoformat(rec["effective_to"]) if rec["effective_to"] else None,
                        {k: v for k, v in parts.items() if v is not None},
                    )
                )
    return rows


def load_aliases(seeds_dir: Path) -> dict[tuple[str, str], str]:
    with open(seeds_dir / "model_aliases.csv", newline="") as handle:
        return {(r["provider_id"], r["alias"]): r["model_id"] for r in csv.DictReader(handle)}


class PriceBook:
    def __init__(self, seeds_dir: Path) -> None:
        self._rows = load_catalog(seeds_dir)
        self.aliases = load_aliases(seeds_dir)

    def canonical(self, provider_id: str, model: str) -> tuple[str, str]:
        """(catalog provider, catalog model) the warehouse resolves this name to: the hand
        alias names the model, genai-prices' matching resolves it (macros/model_resolution.sql)."""
        name = self.aliases.get((provider_id, model), model)
        match = resolve(provider_id, name)
        if match is None:
            return provider_id, name
        return match.price_provider_id or provider_id, match.model_id

    def unit_price(self, provider_id: str, model: str, part: str, day: date) -> Decimal:
        """USD per single token of `part` for the model on `day`."""
        price_provider_id, model_id = self.canonical(provider_id, model)
        for row in self._rows:
            if (
                row.provider_id == price_provider_id
                and row.model_id == model_id
                and row.effective_from <= day
                and (row.effective_to is None or day < row.effective_to)
                and part in row.usd_per_mtok
            ):
                return row.usd_per_mtok[part] / Decimal(1_000_000)
        base = "output" if "output" in part else "input"
        if model_id in ("claude-nimbus-preview",):
            factor = BATCH_FACTOR if part.startswith("batch") else Decimal(1)
            return UNKNOWN_MODEL_PRICE[base] * factor / Decimal(1_000_000)
        raise KeyError(f"no demo price for {provider_id}/{model_id} {part} on {day}")
