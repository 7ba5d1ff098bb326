"""Specifications for the price catalog seed generated from genai-prices."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path

import pytest
from genai_prices import data
from genai_prices import types as gp

from dagster_project.transform.prices import build_catalog as bc

SEED = Path(__file__).resolve().parents[1] / "seeds" / "price_catalog.csv"
PRICE_COLUMNS = [c for c in bc.COLUMNS if c.endswith("_usd_per_mtok")]
# Plain decimal: no exponent, no trailing zeros after the point, no leading '+', no sign.
DECIMAL_STRING = re.compile(r"^(0|[1-9]\d*)(\.\d*[1-9])?$")

EXPECTED_MODELS = {
    "openai": ["gpt-4o", "gpt-4o-mini", "o3-mini", "text-embedding-3-small"],
    "anthropic": ["claude-sonnet-4-0", "claude-3-5-haiku-latest"],
    "aws_bedrock": [
        "amazon.nova-pro-v1:0",
        "amazon.nova-lite-v1:0",
        "regional.anthropic.claude-3-5-haiku-20241022-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
    ],
}


@pytest.fixture(scope="module")
def result() -> bc.BuildResult:
    return bc.build_catalog()


@pytest.fixture(scope="module")
def rows(result: bc.BuildResult) -> list[dict[str, str]]:
    return result.rows


def _rows_by_model(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    grouped: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[(row["provider_id"], row["model_id"])].append(row)
    return grouped


def _current_row(rows: list[dict[str, str]], provider_id: str, model_id: str) -> dict[str, str]:
    matches = [
        r
        for r in rows
        if r["provider_id"] == provider_id and r["model_id"] == model_id and not r["effective_to"]
    ]
    assert len(matches) == 1, f"expected one open-ended row for {provider_id}/{model_id}"
    return matches[0]


def _model(
    model_id: str, prices: object, variants: list[gp.PriceVariant] | None = None
) -> gp.ModelInfo:
    return gp.ModelInfo(
        id=model_id,
        match=gp.ClauseEquals(equals=model_id),
        name=None,
        prices=prices,
        price_variants=variants,
    )


def _provider(*models: gp.ModelInfo, provider_id: str = "openai") -> gp.Provider:
    return gp.Provider(id=provider_id, name=provider_id, api_pattern="x", models=list(models))


# --- the committed seed -----------------------------------------------------------------------


def test_generated_catalog_matches_committed_seed(tmp_path: Path) -> None:
    out = tmp_path / "price_catalog.csv"
    assert bc.main(["--output", str(out)]) == 0
    assert SEED.exists(), "run: python -m dagster_project.transform.prices.build_catalog"
    assert out.read_bytes() == SEED.read_bytes(), "seed is stale: regenerate it with build_catalog"


def test_check_passes_for_fresh_file_and_fails_for_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "price_catalog.csv"
    assert bc.main(["--output", str(out), "--check"]) == 1  # missing file is stale too
    bc.main(["--output", str(out)])
    assert bc.main(["--output", str(out), "--check"]) == 0
    out.write_text(out.read_text() + "openai,stale-model,,2020-01-01,,1,,,,2,2,,,manual\n")
    assert bc.main(["--output", str(out), "--check"]) == 1


def test_default_output_is_repo_seed() -> None:
    assert SEED == bc.DEFAULT_OUTPUT


def test_columns_are_in_contract_order() -> None:
    header = SEED.read_text().splitlines()[0]
    assert header == (
        "provider_id,model_id,model_name,effective_from,effective_to,input_usd_per_mtok,"
        "cache_read_usd_per_mtok,cache_write_usd_per_mtok,cache_write_1h_usd_per_mtok,"
        "output_usd_per_mtok,reasoning_usd_per_mtok,batch_input_usd_per_mtok,"
        "batch_output_usd_per_mtok,price_source"
    )


def test_build_is_deterministic(rows: list[dict[str, str]]) -> None:
    assert bc.render_csv(bc.build_catalog().rows) == bc.render_csv(rows)


# --- row-level invariants -----------------------------------------------------------------------


def test_every_row_has_input_or_output_price(rows: list[dict[str, str]]) -> None:
    assert rows
    bad = [r["model_id"] for r in rows if not (r["input_usd_per_mtok"] or r["output_usd_per_mtok"])]
    assert bad == []


def test_prices_are_decimal_strings_not_float_artifacts(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column in PRICE_COLUMNS:
            value = row[column]
            if not value:
                continue
            assert DECIMAL_STRING.match(value), f"{row['model_id']}.{column}={value!r}"
            # Float artefacts show up as long tails such as 1.2500000001 or 0.30000000000000004.
            assert len(value.partition(".")[2]) <= 6, f"{row['model_id']}.{column}={value!r}"


def test_prices_are_within_a_sane_range(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column in PRICE_COLUMNS:
            if row[column]:
                assert Decimal(0) <= Decimal(row[column]) < Decimal(1000), (row, column)


def test_effective_periods_do_not_overlap_per_model(rows: list[dict[str, str]]) -> None:
    for key, periods in _rows_by_model(rows).items():
        starts = [date.fromisoformat(p["effective_from"]) for p in periods]
        assert starts == sorted(set(starts)), f"{key}: duplicate or unsorted periods"
        for current, following in pairwise(periods):
            # Contiguous, exclusive end: each period ends exactly where the next one starts.
            assert current["effective_to"] == following["effective_from"], key
        assert periods[-1]["effective_to"] == "", f"{key}: latest period must be open-ended"
        for period in periods[:-1]:
            assert period["effective_from"] < period["effective_to"], key


def test_adjacent_periods_differ_in_price(rows: list[dict[str, str]]) -> None:
    for key, periods in _rows_by_model(rows).items():
        for current, following in pairwise(periods):
            assert any(current[c] != following[c] for c in PRICE_COLUMNS), key


def test_rows_sorted_by_provider_model_effective_from(rows: list[dict[str, str]]) -> None:
    keys = [(r["provider_id"], r["model_id"], r["effective_from"]) for r in rows]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys))


def test_only_mapped_providers_and_version_source(rows: list[dict[str, str]]) -> None:
    assert {r["provider_id"] for r in rows} == set(bc.PROVIDER_ID_MAP.values())
    assert {r["price_source"] for r in rows} == {f"genai-prices {version('genai-prices')}"}


def test_reasoning_defaults_to_output_price(rows: list[dict[str, str]]) -> None:
    # No provider in genai-prices currently has a separate reasoning price for these providers.
    assert all(r["reasoning_usd_per_mtok"] == r["output_usd_per_mtok"] for r in rows)


def test_summary_counts_are_consistent(result: bc.BuildResult) -> None:
    assert result.providers == len(bc.PROVIDER_ID_MAP)
    assert result.models == len(_rows_by_model(result.rows))
    assert result.skipped_models > 0  # e.g. whisper-1 / tts-1 have no token prices
    source_models = sum(len(p.models) for p in data.providers if p.id in bc.PROVIDER_ID_MAP)
    assert result.models + result.skipped_models == source_models


# --- agreement with genai-prices' own price resolution ------------------------------------------


def _base(value: object) -> Decimal | None:
    return value.base if isinstance(value, gp.TieredPrices) else value  # type: ignore[return-value]


def _only_date_constraints(model: gp.ModelInfo) -> bool:
    return isinstance(model.prices, gp.ModelPrice) or all(
        p.constraint is None or isinstance(p.constraint, gp.StartDateConstraint)
        for p in model.prices
    )


def test_rows_agree_with_genai_prices_resolution(rows: list[dict[str, str]]) -> None:
    models = {
        (bc.PROVIDER_ID_MAP[p.id], m.id): m
        for p in data.providers
        if p.id in bc.PROVIDER_ID_MAP
        for m in p.models
    }
    checked = 0
    for row in rows:
        model = models[(row["provider_id"], row["model_id"])]
        if not _only_date_constraints(model):
            continue
        day = date.fromisoformat(row["effective_from"])
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        standard = model.get_prices(at)
        assert bc.format_price(_base(standard.input_mtok)) == row["input_usd_per_mtok"]
        assert bc.format_price(_base(standard.output_mtok)) == row["output_usd_per_mtok"]
        assert bc.format_price(_base(standard.cache_read_mtok)) == row["cache_read_usd_per_mtok"]
        if row["batch_input_usd_per_mtok"]:
            batch = model.get_prices(at, {"processing": "batch"})
            assert bc.format_price(_base(batch.input_mtok)) == row["batch_input_usd_per_mtok"]
            assert bc.format_price(_base(batch.output_mtok)) == row["batch_output_usd_per_mtok"]
        checked += 1
    assert checked == len(rows)


# --- the models the warehouse relies on -----------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "model_id"),
    [(p, m) for p, models in EXPECTED_MODELS.items() for m in models],
)
def test_expected_models_present_with_sensible_prices(
    rows: list[dict[str, str]], provider_id: str, model_id: str
) -> None:
    row = _current_row(rows, provider_id, model_id)
    input_price = Decimal(row["input_usd_per_mtok"])
    assert Decimal(0) < input_price < Decimal(100)
    if row["output_usd_per_mtok"]:
        assert Decimal(row["output_usd_per_mtok"]) >= input_price
    if row["cache_read_usd_per_mtok"]:
        assert Decimal(row["cache_read_usd_per_mtok"]) < input_price
    if row["batch_input_usd_per_mtok"]:
        assert Decimal(row["batch_input_usd_per_mtok"]) < input_price


def test_embedding_model_has_no_output_price(rows: list[dict[str, str]]) -> None:
    row = _current_row(rows, "openai", "text-embedding-3-small")
    assert row["output_usd_per_mtok"] == ""
    assert row["reasoning_usd_per_mtok"] == ""


def test_missing_display_name_falls_back_to_model_id(rows: list[dict[str, str]]) -> None:
    model_id = "regional.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert _current_row(rows, "aws_bedrock", model_id)["model_name"] == model_id


# --- flattening rules on synthetic genai-prices data --------------------------------------------


def test_format_price_strips_trailing_zeros_without_exponent() -> None:
    assert bc.format_price(Decimal("2.50")) == "2.5"
    assert bc.format_price(Decimal("0.0750")) == "0.075"
    assert bc.format_price(Decimal("1E+1")) == "10"
    assert bc.format_price(Decimal("15")) == "15"
    assert bc.format_price(None) == ""


def test_tiered_price_uses_base_tier() -> None:
    tiered = gp.TieredPrices(base=Decimal("3"), tiers=[gp.Tier(start=200_000, price=Decimal("6"))])
    model = _model("m", gp.ModelPrice(input_mtok=tiered, output_mtok=Decimal("15")))
    (row,) = bc.build_catalog([_provider(model)]).rows
    assert row["input_usd_per_mtok"] == "3"


def test_start_dates_split_periods_and_unconstrained_starts_2020() -> None:
    model = _model(
        "m",
        [
            gp.ConditionalPrice(
                prices=gp.ModelPrice(input_mtok=Decimal("10"), output_mtok=Decimal("40"))
            ),
            gp.ConditionalPrice(
                constraint=gp.StartDateConstraint(start_date=date(2025, 6, 10)),
                prices=gp.ModelPrice(input_mtok=Decimal("2"), output_mtok=Decimal("8")),
            ),
        ],
    )
    first, second = bc.build_catalog([_provider(model)]).rows
    assert (first["effective_from"], first["effective_to"]) == ("2020-01-01", "2025-06-10")
    assert (second["effective_from"], second["effective_to"]) == ("2025-06-10", "")
    assert (first["input_usd_per_mtok"], second["input_usd_per_mtok"]) == ("10", "2")


def test_time_of_day_price_is_ignored_in_favour_of_default() -> None:
    model = _model(
        "m",
        [
            gp.ConditionalPrice(prices=gp.ModelPrice(input_mtok=Decimal("0.27"))),
            gp.ConditionalPrice(
                constraint=gp.TimeOfDateConstraint(
                    start_time=datetime(2020, 1, 1, 16, 30).time(),
                    end_time=datetime(2020, 1, 1, 0, 30).time(),
                ),
                prices=gp.ModelPrice(input_mtok=Decimal("0.135")),
            ),
        ],
    )
    (row,) = bc.build_catalog([_provider(model)]).rows
    assert row["input_usd_per_mtok"] == "0.27"
    assert row["effective_from"] == "2020-01-01"


def test_batch_variant_fills_batch_columns_from_its_start_date() -> None:
    batch = gp.PriceVariant(
        when={"processing": "batch"},
        prices=gp.ModelPrice(input_mtok=Decimal("1.25"), output_mtok=Decimal("5")),
        constraint=gp.StartDateConstraint(start_date=date(2026, 10, 14)),
    )
    priority = gp.PriceVariant(
        when={"service_tier": "priority"}, prices=gp.ModelPrice(input_mtok=Decimal("4.25"))
    )
    model = _model(
        "m",
        gp.ModelPrice(input_mtok=Decimal("2.5"), output_mtok=Decimal("10")),
        [priority, batch],
    )
    before, after = bc.build_catalog([_provider(model)]).rows
    assert (before["batch_input_usd_per_mtok"], before["batch_output_usd_per_mtok"]) == ("", "")
    assert (after["batch_input_usd_per_mtok"], after["batch_output_usd_per_mtok"]) == ("1.25", "5")
    assert after["effective_from"] == "2026-10-14"
    assert after["input_usd_per_mtok"] == "2.5"  # the priority tier never leaks in


def test_separate_reasoning_price_is_used_when_present() -> None:
    prices = gp.ModelPrice(
        input_mtok=Decimal("1"), output_mtok=Decimal("4"), output_reasoning_mtok=Decimal("3")
    )
    (row,) = bc.build_catalog([_provider(_model("m", prices))]).rows
    assert (row["output_usd_per_mtok"], row["reasoning_usd_per_mtok"]) == ("4", "3")


def test_models_without_token_prices_are_skipped_and_counted() -> None:
    audio_only = _model("whisper", gp.ModelPrice(input_audio_mtok=Decimal("6")))
    chat = _model("chat", gp.ModelPrice(input_mtok=Decimal("1"), output_mtok=Decimal("2")))
    result = bc.build_catalog([_provider(audio_only, chat)])
    assert [r["model_id"] for r in result.rows] == ["chat"]
    assert (result.models, result.skipped_models) == (1, 1)


def test_unmapped_providers_are_excluded_and_ids_are_mapped() -> None:
    chat = _model("chat", gp.ModelPrice(input_mtok=Decimal("1"), output_mtok=Decimal("2")))
    result = bc.build_catalog(
        [_provider(chat, provider_id="aws"), _provider(chat, provider_id="groq")]
    )
    assert [r["provider_id"] for r in result.rows] == ["aws_bedrock"]
    assert result.providers == 1
