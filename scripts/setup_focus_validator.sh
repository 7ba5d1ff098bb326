#!/usr/bin/env bash
# Install the FinOps Foundation's FOCUS validator into its own venv.
#
# focus-validator 2.2.1 needs Python >= 3.12 while the project runs on 3.11, so it
# lives in a separate venv (default: <repo>/.venv-focus) and is called as a subprocess.
#
# Exit codes: 0 = ready, 3 = no Python >= 3.12 on this machine (callers treat this as
# "unavailable", not failure), anything else = a real error.
#
# Env vars:
#   FOCUS_VALIDATOR_PYTHON  interpreter to use (checked first)
#   FOCUS_VALIDATOR_VENV    venv path, relative to the repo root unless absolute
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FOCUS_VALIDATOR_VERSION="2.2.1"
# The validator does not work with pyarrow 26+ (see docs/stack notes), so cap it.
PYARROW_SPEC="pyarrow<26"

venv="$(from_repo_root "${FOCUS_VALIDATOR_VENV:-.venv-focus}")"

# True if "$1" runs and is Python >= 3.12. Running it matters: a pyenv shim named
# python3.12 can sit on PATH yet fail with "command not found" for the active version.
is_py312_plus() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  if [[ -n "${FOCUS_VALIDATOR_PYTHON:-}" ]]; then
    if is_py312_plus "$FOCUS_VALIDATOR_PYTHON"; then
      echo "$FOCUS_VALIDATOR_PYTHON"
      return 0
    fi
    echo "FOCUS_VALIDATOR_PYTHON=$FOCUS_VALIDATOR_PYTHON is not a working Python >= 3.12; looking elsewhere" >&2
  fi
  if candidate="$(command -v python3.12 2>/dev/null)" && is_py312_plus "$candidate"; then
    echo "$candidate"
    return 0
  fi
  # pyenv installs, newest 3.12.x first (version-aware sort so 3.12.10 beats 3.12.9).
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  while IFS= read -r candidate; do
    if [[ -n "$candidate" ]] && is_py312_plus "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done < <(ls -d "$pyenv_root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV)
  return 1
}

# Idempotency: an existing venv with the pinned version is left alone.
if [[ -x "$venv/bin/python" ]]; then
  installed="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("focus-validator"))' 2>/dev/null || true)"
  if [[ "$installed" == "$FOCUS_VALIDATOR_VERSION" ]]; then
    echo "focus-validator $FOCUS_VALIDATOR_VERSION already installed in $venv"
    exit 0
  fi
fi

if ! python_bin="$(find_python)"; then
  unavailable "focus-validator unavailable: no Python >= 3.12 found (set FOCUS_VALIDATOR_PYTHON, put python3.12 on PATH, or install one with pyenv)."
fi

echo "Using $python_bin ($("$python_bin" --version 2>&1)) for $venv"
# A venv left behind by another interpreter (e.g. 3.11) cannot run the validator: rebuild it.
if [[ -x "$venv/bin/python" ]] && ! is_py312_plus "$venv/bin/python"; then
  echo "Removing $venv: its Python is older than 3.12"
  rm -rf "$venv"
fi
if [[ ! -x "$venv/bin/python" ]]; then
  "$python_bin" -m venv "$venv"
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "focus-validator==$FOCUS_VALIDATOR_VERSION" "$PYARROW_SPEC"

"$venv/bin/python" -c 'import importlib.metadata as m; print("focus-validator", m.version("focus-validator"), "pyarrow", m.version("pyarrow"))'
echo "focus-validator ready in $venv"
