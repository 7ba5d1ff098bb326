#!/usr/bin/env bash
# Install older DuckDB releases, each in its own venv, so a test can open the published file the
# way a BI tool's bundled DuckDB 1.x driver would (tests/test_publish.py).
#
# Exit codes: 0 = ready, 3 = cannot be set up on this machine (no Python that the old wheels
# support, or the package index is unreachable): callers treat it as "unavailable", and the
# tests skip with the reason (they fail instead under CI=true). Anything else = a real error.
#
# Env vars:
#   OLD_DUCKDB_VERSIONS  space-separated versions (default: the oldest and newest 1.x lines)
#   OLD_DUCKDB_VENVS     folder of the venvs, relative to the repo root unless absolute
#   OLD_DUCKDB_PYTHON    interpreter to build them with (default: python3.11, then python3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

versions="${OLD_DUCKDB_VERSIONS:-1.1.3 1.4.1}"
root="$(from_repo_root "${OLD_DUCKDB_VENVS:-.venv-duckdb-old}")"

# duckdb 1.1.3 publishes wheels for CPython 3.8 to 3.13.
is_usable() {
  "$1" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 13) else 1)' >/dev/null 2>&1
}

python_bin=""
for candidate in "${OLD_DUCKDB_PYTHON:-}" python3.11 python3; do
  if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 && is_usable "$candidate"; then
    python_bin="$candidate"
    break
  fi
done
if [[ -z "$python_bin" ]]; then
  unavailable "old duckdb unavailable: no Python 3.9-3.13 found (set OLD_DUCKDB_PYTHON)."
fi

mkdir -p "$root"
for version in $versions; do
  venv="$root/$version"
  installed="$("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || true)"
  if [[ "$installed" == "$version" ]]; then
    echo "duckdb $version already installed in $venv"
    continue
  fi
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "duckdb==$version"; then
    rm -rf "$venv"
    unavailable "old duckdb unavailable: pip could not install duckdb==$version."
  fi
  echo "duckdb $version ready in $venv"
done
