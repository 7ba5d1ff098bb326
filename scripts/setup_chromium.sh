#!/usr/bin/env bash
# Make Debian's `chromium` available for the report's browser tests (tests/test_report_browser.py).
#
# The tests drive the system chromium headless over the DevTools protocol; no browser is ever
# downloaded from anywhere but the Debian archive.
#
# Exit codes: 0 = chromium is on PATH, 3 = it is absent and cannot be installed here (not root,
# or no apt-get: callers treat this as "unavailable", and the browser tests skip, or fail under
# CI=true), anything else = a real error (the install itself failed).
#
# Env vars:
#   CHROMIUM_BIN  the browser to use (default: chromium on PATH)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="${CHROMIUM_BIN:-chromium}"

if command -v "$bin" >/dev/null 2>&1; then
  echo "chromium ready: $("$bin" --version 2>/dev/null || echo "$bin")"
  exit 0
fi

apt_install chromium chromium chromium
echo "chromium ready: $(chromium --version)"
