"""Tests that need a tool this machine may lack (a browser, Java, the FOCUS validator, older
DuckDB releases): without it they skip, but under CI=true they fail, because CI must run them."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from dagster_project.serve.focus.validator import validator_available


def skip_or_fail_under_ci(reason: str, ci_must: str) -> NoReturn:
    """Skip with `reason`; under CI=true fail with it instead: "<reason>; CI must <ci_must>"."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must {ci_must}", pytrace=False)
    pytest.skip(reason)


def require_focus_validator() -> None:
    if not validator_available():
        skip_or_fail_under_ci(
            "focus-validator is not installed (run scripts/setup_focus_validator.sh)",
            "run the FOCUS validator",
        )
