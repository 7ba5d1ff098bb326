"""Each dbt concept is defined once (issue 12): the owner keys, batch pricing, the token-part
mapping, the model-alias join and the environment names live in one macro or seed, and every
bill source has its conform model in the union. These read the project's SQL, so a copy
written back into a model fails here before it can drift from the definition."""

from __future__ import annotations

import re
from pathlib import Path

DBT = Path(__file__).resolve().parents[1] / "dbt_models"
SQL = sorted(
    path
    for folder in ("models", "macros", "tests")
    for path in (DBT / folder).rglob("*")
    if path.suffix in {".sql", ".yml"}
)


def _offenders(pattern: str, allowed: set[str], suffixes=(".sql", ".yml")) -> list[str]:
    """The files (but `allowed`) where the pattern occurs; yml prose may name a concept, so
    the checks of SQL text pass suffixes=(".sql",)."""
    found = []
    for path in SQL:
        if path.suffix not in suffixes:
            continue
        text = path.read_text()
        if re.search(pattern, text, flags=re.IGNORECASE | re.DOTALL):
            name = str(path.relative_to(DBT))
            if name not in allowed:
                found.append(name)
    return found


def test_the_owner_keys_are_listed_only_in_their_macro() -> None:
    # six or more owner keys in a row, as a Jinja list, a select list or a group by
    keys = r"team_id'?\W+cost_center_id'?\W+product'?\W+use_case'?\W+feature'?\W+environment"
    assert _offenders(keys, {"macros/owner_keys.sql"}, (".sql",)) == []


def test_batch_pricing_and_environment_names_are_defined_once() -> None:
    assert _offenders(r"var\('batch_price_factor'\)", {"macros/pricing.sql"}, (".sql",)) == [
        # its value in the incremental fingerprint (a rate change rebuilds the days)
        "models/intermediate/int_requests_priced.sql"
    ]
    assert _offenders(r"when 'prod' then", set()) == []
    assert _offenders(r"when 'hosted_vllm' then", set()) == []


def test_the_token_parts_and_the_alias_join_are_written_once() -> None:
    assert _offenders(r"when 'cache_write' then \w*\.?cache_write_tokens", set()) == []
    assert _offenders(r"join model_aliases\s", set()) == []
    assert (
        _offenders(r"join \{\{ ref\('model_aliases'\) \}\}", {"macros/model_resolution.sql"}) == []
    )


def test_every_bill_source_conform_model_is_in_the_union() -> None:
    conform = sorted(
        path.stem.removeprefix("int_billed_charges__")
        for path in (DBT / "models" / "intermediate").glob("int_billed_charges__*.sql")
    )
    union = (DBT / "models" / "intermediate" / "int_billed_charges_unioned.sql").read_text()
    listed = re.search(r"set bill_sources = \[([^\]]*)\]", union)
    assert listed, "int_billed_charges_unioned lists its bill sources in bill_sources"
    assert sorted(re.findall(r"'(\w+)'", listed.group(1))) == conform
    for name in conform:  # each opens with its grain
        text = (DBT / "models" / "intermediate" / f"int_billed_charges__{name}.sql").read_text()
        assert text.startswith("-- One row per"), name


def test_where_each_owner_key_is_read_from_is_in_the_owner_keys_macro() -> None:
    # the request tag, span attribute or column an owner key is read from: only in
    # owner_keys.sql request_owner_keys(), which the log staging models loop over
    assert _offenders(r"'env' then", set(), (".sql",)) == []
    assert _offenders(r"app\.feature", {"macros/owner_keys.sql"}, (".sql",)) == []
    assert _offenders(r"deployment_environment as", {"macros/owner_keys.sql"}, (".sql",)) == []
    assert _offenders(r"as tag_(environment|product|use_case|feature)\b", set(), (".sql",)) == []


def test_provider_ids_of_focus_names_come_from_the_provider_names_seed() -> None:
    # no provider name mapped by a CASE: the seed lists log and FOCUS names alike
    clouds = r"'(amazon bedrock|azure openai|vertex ai|amazon web services|google cloud)'"
    assert _offenders(clouds, set(), (".sql",)) == []
    assert _offenders(r"then '(aws|azure|gcp)(_bedrock|_openai|_vertex_ai)?'", set()) == []


def test_token_part_lists_are_not_written_again() -> None:
    # a (part, token column) list or a union of one select per part, outside token_parts.sql
    # (int_vendor_usage_tokens maps each vendor's own token type names to the parts)
    assert (
        _offenders(
            r"\('(uncached_)?input',\s*'uncached_input_tokens'",
            {"models/intermediate/int_vendor_usage_tokens.sql"},
        )
        == []
    )
    assert _offenders(r"'input' as token_part", set(), (".sql",)) == []
    assert _offenders(r"'contract_(input|output)_rate'\)", set(), (".sql",)) == []
    # a part's columns added up (output: output + reasoning; the total: every part): part_tokens()
    # (the macro itself, and the invariant test that checks the parts against the log's counts)
    allowed = {"macros/token_parts.sql", "tests/singular/allocation/assert_token_parts_add_up.sql"}
    assert _offenders(r"output_tokens\s*\+\s*reasoning_tokens", allowed, (".sql",)) == []


def test_rows_in_force_and_the_focus_null_rules_are_written_once() -> None:
    assert (
        _offenders(r"where superseded_by is null", {"macros/bill_deliveries.sql"}, (".sql",)) == []
    )
    # the FOCUS conditional-null rules are one generic test applied in the fact's yml
    assert _offenders(r"charge_category = 'Tax' and \w+ is not null", set(), (".sql",)) == []
