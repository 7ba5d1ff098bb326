"""Personal data that must not land: e-mail and IP addresses found in free text.

One pattern, written so that Python's `re` and DuckDB's RE2 read it alike, finds e-mail
addresses, IPv4 addresses and IPv6 addresses (full form, or compressed with at least three
groups, so that `us-east-1::foundation-model` in an ARN is not one). Inside DuckDB the macro
`pii_scrub(text)` replaces each one with its keyed hash, `sha256(pseudonym key || address)`: the
same pseudonym the extractors give end-user ids, so one address stays one (unreadable) value.
Outside DuckDB (error messages) `scrub_text` replaces them with a placeholder.
"""

from __future__ import annotations

import re

import duckdb

from dagster_project.db import sql_literal

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_HEX = r"[0-9A-Fa-f]{1,4}"
PII_PATTERN = "|".join(
    (
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",  # e-mail
        rf"\b(?:{_OCTET}\.){{3}}{_OCTET}\b",  # IPv4
        rf"\b(?:{_HEX}:){{7}}{_HEX}\b",  # IPv6, full
        rf"\b(?:{_HEX}:){{2,6}}(?::{_HEX}){{1,5}}\b",  # IPv6, a:b::c
        rf"\b(?:{_HEX}:){{1,5}}(?::{_HEX}){{2,6}}\b",  # IPv6, a::b:c
    )
)
_PII = re.compile(PII_PATTERN)


def scrub_text(text: str) -> str:
    """`text` with every e-mail and IP address replaced by a placeholder (for messages)."""
    return _PII.sub("<address removed>", text)


# What every match of PII_PATTERN contains: an e-mail an @, an IPv4 address a digit, a dot and a
# digit, an IPv6 address two hex digits around a colon or a '::'. Text without any of them (most
# URLs, tags) skips the costly full pattern; text with one is matched by it as before.
PII_HINT = r"@|::|[0-9]\.[0-9]|[0-9A-Fa-f]:[0-9A-Fa-f]"

SCRUB_MACRO = f"""
create or replace temp macro pii_scrub(s) as
    case when s is null or not regexp_matches(s, {sql_literal(PII_HINT)})
              or not regexp_matches(s, {sql_literal(PII_PATTERN)}) then s
         else list_reduce(
             regexp_extract_all(s, {sql_literal(PII_PATTERN)}),
             lambda scrubbed, found: replace(scrubbed, found, coalesce(
                 sha256(getvariable('pseudonym_key') || found), '<address removed>')),
             s)
    end;
"""


def create_scrub_macro(con: duckdb.DuckDBPyConnection) -> None:
    """Define `pii_scrub(text)` on this connection (the key is the session's pseudonym_key)."""
    con.execute(SCRUB_MACRO)
