"""Java for the Spark tests: pyspark's local session needs a JVM (scripts/setup_java.sh, run by
`make test`, installs Debian's when missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.unavailable import skip_or_fail_under_ci


def java_or_skip() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    setup = Path(__file__).resolve().parents[1] / "scripts" / "setup_java.sh"
    code = subprocess.run(["bash", str(setup)], capture_output=True, text=True).returncode
    if code == 0 and shutil.which("java"):
        return
    skip_or_fail_under_ci(
        "no Java for pyspark (scripts/setup_java.sh could not install one here)",
        "run the Spark comparison",
    )
