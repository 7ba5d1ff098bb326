"""Resolve model names as logs and bills write them to price-catalog model ids, with
genai-prices' own matching.

Providers and gateways spell one model many ways: dated snapshots (``claude-sonnet-4-5-20250929``,
``gpt-4o-2024-08-06``), gateway prefixes (``openai/gpt-4o``, ``bedrock/...``), Bedrock model,
inference-profile and ARN ids (``anthropic.claude-3-5-sonnet-20240620-v1:0``,
``us.anthropic.claude-3-7-sonnet-20250219-v1:0``), ``-latest`` names, Azure and Vertex spellings.
genai-prices carries the match rules for all of these next to the prices the catalog seed is
generated from (``build_catalog``), so the same package decides both the price and which model a
name means. The dbt model ``int_model_matches`` calls :func:`match_rows` on every distinct
(provider, model) pair the staging models produce; the pricing models join its result after the
organisation's hand aliases (``seeds/model_aliases.csv``), which win.

How one (provider_id, model_raw) pair is resolved, first success wins:

1. ``provider``: the warehouse provider id names a genai-prices provider (the catalog's own
   providers through ``PROVIDER_ID_MAP``, others through genai-prices' provider matching, e.g.
   ``aws_bedrock`` -> ``aws``); that provider's model rules match the name, including the
   providers genai-prices lets it fall back to (Azure -> OpenAI, Vertex -> Anthropic).
2. ``provider_prefix``: a gateway prefix naming that same provider (``openai/``, ``bedrock/``,
   ``vertex_ai/``) is removed, then as 1.
3. ``model_name``: only when no provider is known at all (null, or LiteLLM's ``litellm``): the
   provider is found from the name as genai-prices does (a ``provider/`` prefix, else its model
   patterns: ``claude`` is Anthropic, ``gpt-`` OpenAI, ...).

A provider genai-prices does not know (``self_hosted``, ``hosted_vllm``) is never matched by
name: its traffic is not billed at another vendor's list price. Nothing matched means no row:
the request stays ``unpriced`` (listed in ``rpt_unpriced_models``, never priced at zero) until
an alias or the catalog learns it. The price in force is still chosen by date in dbt
(``int_price_catalog``); matching itself does not depend on dates in genai-prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from genai_prices import data
from genai_prices.data_snapshot import DataSnapshot, find_provider_by_id
from genai_prices.types import ModelInfo, Provider

from dagster_project.transform.prices.build_catalog import PROVIDER_ID_MAP

# Columns of int_model_matches, in order.
MATCH_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "model_raw",
    "price_provider_id",
    "model_id",
    "matched_by",
    "genai_prices_provider_id",
)

# Provider ids meaning "a gateway, provider unknown": resolve by the model name alone.
GATEWAY_PROVIDER_IDS: frozenset[str] = frozenset({"litellm"})


@dataclass(frozen=True)
class ModelMatch:
    price_provider_id: str | None  # warehouse provider id of the catalog rows; None: not in it
    model_id: str  # genai-prices model id (the catalog's model_id)
    matched_by: str  # provider | provider_prefix | model_name
    genai_prices_provider_id: str  # the genai-prices provider whose entry matched


@cache
def _snapshot() -> DataSnapshot:
    # The installed package's data, the same the catalog seed is generated from: never the
    # network auto-update, so a build is reproducible.
    return DataSnapshot(providers=data.providers, from_auto_update=False)


@cache
def _owner_by_model() -> dict[int, Provider]:
    # A model found through a provider's fallback belongs to (and is priced under) its owner.
    return {id(model): provider for provider in data.providers for model in provider.models}


def genai_prices_provider(provider_id: str | None) -> Provider | None:
    """The genai-prices provider a warehouse provider id names, or None if it names none."""
    if not provider_id or not provider_id.strip():
        return None
    hint = provider_id.strip().lower()
    reverse = {warehouse: genai for genai, warehouse in PROVIDER_ID_MAP.items()}
    return find_provider_by_id(data.providers, reverse.get(hint, hint))


def _result(model: ModelInfo, matched_by: str) -> ModelMatch:
    owner = _owner_by_model()[id(model)]
    return ModelMatch(
        price_provider_id=PROVIDER_ID_MAP.get(owner.id),
        model_id=model.id,
        matched_by=matched_by,
        genai_prices_provider_id=owner.id,
    )


def _without_own_prefix(model_ref: str, provider: Provider) -> str | None:
    """``openai/gpt-4o`` -> ``gpt-4o`` when every leading segment names this provider."""
    rest = model_ref
    stripped = False
    while "/" in rest:
        head, tail = rest.split("/", 1)
        if find_provider_by_id(data.providers, head) is not provider:
            break
        rest, stripped = tail, True
    return rest if stripped and rest else None


def resolve(provider_id: str | None, model_raw: str | None) -> ModelMatch | None:
    """The catalog model a (provider, model name) pair means, or None when nothing matches."""
    if model_raw is None or not model_raw.strip():
        return None
    model_ref = model_raw.strip().lower()
    hint = (provider_id or "").strip().lower()
    provider = genai_prices_provider(hint)
    if provider is not None:
        if model := provider.find_model(model_ref, all_providers=data.providers):
            return _result(model, "provider")
        rest = _without_own_prefix(model_ref, provider)
        if rest and (model := provider.find_model(rest, all_providers=data.providers)):
            return _result(model, "provider_prefix")
        return None
    if hint and hint not in GATEWAY_PROVIDER_IDS:
        return None  # a provider genai-prices does not know (self-hosted, ...): no guessing
    try:
        _, model = _snapshot().find_provider_model(model_ref, None, "litellm", None)
    except LookupError:
        return None
    return _result(model, "model_name")


def match_rows(pairs: Iterable[tuple[str | None, str | None]]) -> list[tuple[str | None, ...]]:
    """One row per distinct pair that matches, in MATCH_COLUMNS order, sorted."""
    rows = []
    for provider_id, model_raw in sorted(set(pairs), key=lambda p: (p[0] or "", p[1] or "")):
        match = resolve(provider_id, model_raw)
        if match is not None:
            rows.append(
                (
                    provider_id,
                    model_raw,
                    match.price_provider_id,
                    match.model_id,
                    match.matched_by,
                    match.genai_prices_provider_id,
                )
            )
    return rows
