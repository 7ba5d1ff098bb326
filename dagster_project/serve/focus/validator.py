"""Run the FinOps Foundation's official FOCUS validator (focus-validator 2.2.1) on a file.

The validator needs Python >= 3.12 while this project runs on 3.11, so it lives in its own
venv (made by ``scripts/setup_focus_validator.sh``) and is driven as a subprocess. Stdlib only.

Usage: ``python -m dagster_project.serve.focus.validator FILE.csv|FILE.parquet``
(exit 0 = valid, 1 = rules failed, 2 = validator crashed/unparseable, 3 = validator unavailable).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from dagster_project.config import REPO_ROOT

FOCUS_VALIDATOR_VERSION = "2.2.1"

# Rules that fail on every dataset, valid or not, because of defects in the validator itself.
# InvoiceId-C-004-C ("InvoiceId MUST be NULL") fires on any row that has an InvoiceId.
KNOWN_UPSTREAM_DEFECTS = frozenset({"InvoiceId-C-004-C"})

# Capabilities our FOCUS rows declare; without them the matching rules are skipped as
# "not applicable" and would check nothing.
APPLICABILITY_CRITERIA = (
    "USAGE_MEASUREMENT_SUPPORTED",
    "UNIT_PRICING_SUPPORTED",
    "TAGGING_SUPPORTED",
    "SUB_ACCOUNT_SUPPORTED",
)


# Console summary, e.g. "Total: 578 | Pass: 192 | Fail: 1 | Skipped: 385".
_SUMMARY_RE = re.compile(
    r"^Total:\s*(\d+)\s*\|\s*Pass:\s*(\d+)\s*\|\s*Fail:\s*(\d+)(?:\s*\|\s*Skipped:\s*(\d+))?",
    re.MULTILINE,
)
# Console rule line, e.g. "❌ InvoiceId-C-004-C: FAIL  (violations=3, ...)" ("[FAIL]" on ASCII).
_FAIL_LINE_RE = re.compile(r"^\S+\s+([A-Za-z]+-[A-Z]-\d+-[A-Z]): FAIL\b", re.MULTILINE)


class ValidatorUnavailableError(RuntimeError):
    """The validator venv is missing or broken (run scripts/setup_focus_validator.sh)."""


@dataclass
class ValidationResult:
    """Outcome of one validator run.

    ``failed`` is the validator's own Fail count (failures + errors, known defects included);
    ``failed_rules`` excludes the known upstream defects, which go to ``ignored_failures``.
    """

    total: int
    passed: int
    failed: int
    failed_rules: list[str]
    ignored_failures: list[str]
    raw_output: str
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed_rules

    def summary(self) -> str:
        line = (
            f"Total: {self.total} | Pass: {self.passed} | Fail: {self.failed} "
            f"| Skipped: {self.skipped}"
        )
        if self.failed_rules:
            line += f"\nFailed rules: {', '.join(self.failed_rules)}"
        if self.ignored_failures:
            line += f"\nIgnored (known upstream defects): {', '.join(self.ignored_failures)}"
        return line


def default_venv() -> Path:
    """Same location rule as the setup script: $FOCUS_VALIDATOR_VENV, relative to repo root."""
    return REPO_ROOT / os.environ.get("FOCUS_VALIDATOR_VENV", ".venv-focus")


def _as_text(data: str | bytes | None) -> str:
    # TimeoutExpired carries bytes even when run with text=True.
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _probe(venv: Path) -> tuple[str, Path] | None:
    """Return (installed version, package directory) or None if the venv cannot import it."""
    python = venv / "bin" / "python"
    if not python.exists() or not (venv / "bin" / "focus-validator").exists():
        return None
    code = (
        "import importlib.metadata as m, os, focus_validator;"
        "print(m.version('focus-validator'));"
        "print(os.path.dirname(focus_validator.__file__))"
    )
    try:
        proc = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or len(out) != 2:
        return None
    return out[0].strip(), Path(out[1].strip())


def validator_available(venv: Path | None = None) -> bool:
    """True if the venv holds the pinned focus-validator (other versions may report differently)."""
    probe = _probe(venv or default_venv())
    return probe is not None and probe[0] == FOCUS_VALIDATOR_VERSION


def _rule_id(testcase: ET.Element) -> str:
    # Testcase names look like "BilledCost-C-003-M :: Nullability" (errors: "X :: None").
    return testcase.get("name", "").split(" :: ")[0].strip()


def parse_junit(xml_text: str) -> tuple[int, int, int, list[str]]:
    """Parse the validator's JUnit report into (total, failed, skipped, failed rule ids).

    Errored rules (e.g. their column is missing) count as failed, as in the console summary.
    The root's tests/failures/errors/skipped counts are cross-checked against the testcases.
    """
    root = ET.fromstring(xml_text)
    if root.tag != "testsuites":
        raise ValueError(f"unexpected JUnit root element <{root.tag}>")
    cases = list(root.iter("testcase"))
    failed_ids = [_rule_id(c) for c in cases if c.find("failure") is not None]
    errored_ids = [_rule_id(c) for c in cases if c.find("error") is not None]
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    declared = {k: int(root.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}
    counted = {
        "tests": len(cases),
        "failures": len(failed_ids),
        "errors": len(errored_ids),
        "skipped": skipped,
    }
    if declared != counted:
        raise ValueError(f"JUnit summary {declared} disagrees with its testcases {counted}")
    if not cases:
        # Zero rules run would read as a pass; treat it as a broken run instead.
        raise ValueError("JUnit report contains no testcases")
    failed = sorted(dict.fromkeys(failed_ids + errored_ids))
    return len(cases), len(failed_ids) + len(errored_ids), skipped, failed


def parse_summary_line(stdout: str) -> tuple[int, int, int, int] | None:
    """Parse "Total: N | Pass: N | Fail: N | Skipped: N" into a tuple, or None if absent."""
    m = _SUMMARY_RE.search(stdout)
    if not m:
        return None
    total, passed, failed = (int(g) for g in m.groups()[:3])
    skipped = int(m.group(4)) if m.group(4) is not None else total - passed - failed
    return total, passed, failed, skipped


def _build_result(
    total: int, failed: int, skipped: int, failed_ids: list[str], raw_output: str
) -> ValidationResult:
    return ValidationResult(
        total=total,
        passed=total - failed - skipped,
        failed=failed,
        failed_rules=[r for r in failed_ids if r not in KNOWN_UPSTREAM_DEFECTS],
        ignored_failures=[r for r in failed_ids if r in KNOWN_UPSTREAM_DEFECTS],
        raw_output=raw_output,
        skipped=skipped,
    )


def build_command(venv: Path, data_file: Path, junit_file: Path, version: str = "1.2") -> list[str]:
    """The validator command line (paths absolute: it runs with a different working dir)."""
    return [
        str(venv / "bin" / "focus-validator"),
        "--data-file",
        str(data_file),
        "--validate-version",
        version,
        # Offline: use the rules JSON shipped inside the package, never fetch from GitHub.
        "--block-download",
        "--applicability-criteria",
        ",".join(APPLICABILITY_CRITERIA),
        "--output-type",
        "unittest",
        "--output-destination",
        str(junit_file),
    ]


def run_focus_validator(
    data_file: Path,
    *,
    venv: Path | None = None,
    version: str = "1.2",
    timeout_s: int = 600,
) -> ValidationResult:
    """Validate a FOCUS CSV/Parquet file; raise RuntimeError if the run cannot be read."""
    venv = (venv or default_venv()).absolute()
    data_file = Path(data_file).resolve()
    if not data_file.is_file():
        raise FileNotFoundError(f"no such data file: {data_file}")
    # The validator picks its loader from the (case-sensitive) extension and crashes otherwise.
    if data_file.suffix not in {".csv", ".parquet"}:
        raise ValueError(f"focus-validator reads only .csv or .parquet files, got {data_file}")
    probe = _probe(venv)
    if probe is None:
        raise ValidatorUnavailableError(
            f"focus-validator is not installed in {venv}; run scripts/setup_focus_validator.sh"
        )
    installed, package_dir = probe
    if installed != FOCUS_VALIDATOR_VERSION:
        raise ValidatorUnavailableError(
            f"{venv} has focus-validator {installed}, expected {FOCUS_VALIDATOR_VERSION}"
        )
    # It opens "focus_validator/rules/currency_codes.csv" relative to the working directory,
    # so it must run from site-packages (the package's parent), or it dies with
    # FileNotFoundError.
    cwd = package_dir.parent

    with tempfile.TemporaryDirectory(prefix="focus-validator-") as tmp:
        junit_file = Path(tmp) / "focus-junit.xml"
        cmd = build_command(venv, data_file, junit_file, version)
        try:
            proc = subprocess.run(
                cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"focus-validator timed out after {timeout_s}s on {data_file}\n"
                f"--- stdout (tail) ---\n{_tail(_as_text(exc.stdout))}\n"
                f"--- stderr (tail) ---\n{_tail(_as_text(exc.stderr))}"
            ) from exc
        xml_text = junit_file.read_text(encoding="utf-8") if junit_file.exists() else ""

    console = proc.stdout + proc.stderr
    raw_output = xml_text + ("\n" + console if console.strip() else "")
    # With --output-type unittest, 2.2.1 prints no console summary; parse it when present.
    summary = parse_summary_line(proc.stdout)

    junit_error = "no JUnit report written"
    if xml_text and proc.returncode == 0:
        try:
            total, failed, skipped, failed_ids = parse_junit(xml_text)
        except (ET.ParseError, ValueError) as exc:
            junit_error = f"unreadable JUnit report: {exc}"
        else:
            if summary is not None and summary != (
                total,
                total - failed - skipped,
                failed,
                skipped,
            ):
                raise RuntimeError(
                    f"focus-validator summary {summary} disagrees with its JUnit report "
                    f"(total={total}, failed={failed}, skipped={skipped})"
                )
            return _build_result(total, failed, skipped, failed_ids, raw_output)

    if summary is not None and proc.returncode == 0:
        total, _passed, failed, skipped = summary
        failed_ids = sorted(set(_FAIL_LINE_RE.findall(proc.stdout)))
        if len(failed_ids) == failed:
            return _build_result(total, failed, skipped, failed_ids, raw_output)

    # Exits 0 even when rules fail, but 1 with a traceback when it crashes (bad CSV, wrong cwd).
    raise RuntimeError(
        f"could not read focus-validator results for {data_file} "
        f"(exit code {proc.returncode}; {junit_error}; no usable summary line)\n"
        f"command: {' '.join(cmd)}\n"
        f"--- stdout (tail) ---\n{_tail(proc.stdout)}\n"
        f"--- stderr (tail) ---\n{_tail(proc.stderr)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.serve.focus.validator",
        description="Validate a FOCUS CSV/Parquet file with focus-validator "
        f"{FOCUS_VALIDATOR_VERSION} (ignoring known upstream defects).",
    )
    parser.add_argument("data_file", type=Path, help="FOCUS .csv or .parquet file")
    parser.add_argument("--venv", type=Path, default=None, help="validator venv (.venv-focus)")
    parser.add_argument("--version", default="1.2", help="FOCUS version to validate against")
    parser.add_argument("--timeout", type=int, default=600, help="seconds before giving up")
    args = parser.parse_args(argv)

    try:
        result = run_focus_validator(
            args.data_file, venv=args.venv, version=args.version, timeout_s=args.timeout
        )
    except ValidatorUnavailableError as exc:
        print(f"focus-validator unavailable: {exc}", file=sys.stderr)
        return 3
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"focus-validator error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    print("FOCUS validation " + ("passed" if result.ok else "FAILED"))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
