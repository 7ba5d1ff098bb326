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
