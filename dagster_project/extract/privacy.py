"""Personal data that must not land, and secrets that must not show.

`redact` removes credentials from every message a pull or an import shows (API keys, bearer
tokens, database passwords): the one implementation the live pulls, the LiteLLM database pull
and the drivers import share.

E-mail and IP addresses found in free text:

One pattern, written so that Python's `re` and DuckDB's RE2 read it alike, finds e-mail
addresses, IPv4 addresses and IPv6 addresses (full form, or compressed with at least three
groups, so that `us-east-1::foundation-model` in an ARN is not one). Inside DuckDB the macro
`pii_scrub(text)` replaces each one with its keyed hash, `sha256(pseudonym key || address)`: the
same pseudonym the extractors give end-user ids, so one address stays one (unreadable) value.
Outside DuckDB (error messages) `scrub_text` replaces them with a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

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


REDACTED = "[REDACTED]"
# Credentials in a form we can spot even when we were not told the value (a proxy's key, say).
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"(?i)(x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
)
# the password of any URL mentioned: shown as `***`, as SQLAlchemy's render_as_string does
_URL_USERINFO = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]+)@")


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` without any of `secrets` (each replaced by [REDACTED]; a secret that is a URL
    stands for its password, in every spelling: as given, percent-encoded, form-encoded), without
    the password of any URL it mentions, and without anything shaped like a bearer token or an
    x-api-key value. Longest secrets first, so a secret that contains another is removed whole."""
    if isinstance(secrets, str):  # one secret, not its characters
        secrets = [secrets]
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        if "://" in secret:
            password = url_password(secret)
            if password:
                forms |= {password, quote(password, safe=""), quote_plus(password)}
            as_written = _URL_PASSWORD.search(secret)
            if as_written:
                forms.add(as_written.group(1))
        else:
            forms.add(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return _URL_USERINFO.sub(r"\1***@", text)


def url_password(url: str) -> str | None:
    """The password of a database URL (SQLAlchemy's reading; a plain pattern if it cannot)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password or None
    except Exception:
        match = _URL_PASSWORD.search(url)
        return match.group(1) if match else None


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
