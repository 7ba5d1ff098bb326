"""extract.privacy.redact: the one scrubber of secrets in messages, shared by the live API pulls
(keys), the LiteLLM database pull and the drivers import (database URLs)."""

from __future__ import annotations

from dagster_project.extract.privacy import REDACTED, redact


def test_a_database_password_vanishes_in_every_spelling_and_the_url_keeps_its_shape() -> None:
    url = "postgresql://finops:p%40ss+w%20rd@db.example:5432/app"  # '@' and ' ' encoded
    message = (
        f"could not connect to {url} (options p%40ss+w%20rd); server said: password "
        "'p@ss+w rd' rejected (form-encoded: p%40ss%2Bw+rd, encoded: p%40ss%2Bw%20rd)"
    )
    cleaned = redact(message, [url])
    assert "p@ss" not in cleaned and "p%40ss" not in cleaned and "w rd" not in cleaned
    assert cleaned.count(REDACTED) == 4
    assert "postgresql://finops:***@db.example:5432/app" in cleaned  # user and host still shown
    assert f"password '{REDACTED}' rejected" in cleaned


def test_a_password_of_a_url_nobody_named_is_removed_too() -> None:
    cleaned = redact("retrying mysql://app:hunter2@10.0.0.5/db", [])
    assert "hunter2" not in cleaned and "mysql://app:***@10.0.0.5/db" in cleaned


def test_api_keys_bearer_tokens_and_x_api_key_values_are_redacted() -> None:
    text = "Authorization: Bearer abc.def, x-api-key: zzz, body sk-secret-1 and sk-secret-12"
    cleaned = redact(text, ["sk-secret-1", "sk-secret-12", None, ""])
    assert "abc.def" not in cleaned and "zzz" not in cleaned and "sk-secret" not in cleaned
    assert cleaned.count(REDACTED) == 4  # the longer key removed whole, not as 1 + "2"


def test_one_secret_given_as_a_string_is_not_taken_letter_by_letter() -> None:
    assert redact("key sk-abc in a sentence", "sk-abc") == f"key {REDACTED} in a sentence"
