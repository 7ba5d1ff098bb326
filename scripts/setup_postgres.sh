#!/usr/bin/env bash
# Make PostgreSQL's server binaries (initdb, pg_ctl) available for the LiteLLM database tests
# (tests/test_litellm_db.py starts a throwaway server from them).
#
# Exit codes: 0 = ready, 3 = not on this machine and cannot be installed here (not root, or no
# apt-get: the tests then skip with the reason, or fail under CI=true), anything else = a real
# error.
set -euo pipefail

have_server() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if have_server; then
  exit 0
fi
as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  # a CI runner that is not root usually has password-less sudo
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
fi
if [[ "${as_root[*]}" == "none" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server binaries not found; install Debian's postgresql package" \
       "(apt-get install postgresql) to run the LiteLLM database tests" >&2
  exit 3
fi
echo "installing Debian's postgresql package for the LiteLLM database tests" >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
have_server
