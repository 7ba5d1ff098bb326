#!/usr/bin/env bash
# Make a Java runtime available for the Spark comparison (pyspark's local session runs in a
# JVM: tests/test_spark.py, `make spark-compare`).
#
# Only Debian's packages are used (default-jre-headless: OpenJDK 17 on bookworm); nothing is
# downloaded from anywhere else.
#
# Exit codes: 0 = java is on PATH (or JAVA_HOME), 3 = it is absent and cannot be installed here
# (not root, or no apt-get: callers treat this as "unavailable", and the Spark tests skip, or
# fail under CI=true), anything else = a real error (the install itself failed).
#
# Env vars:
#   JAVA_HOME  a JDK / JRE to use instead of java on PATH
set -euo pipefail

if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  echo "java ready: $("${JAVA_HOME}/bin/java" -version 2>&1 | head -n 1)"
  exit 0
fi
if command -v java >/dev/null 2>&1; then
  echo "java ready: $(java -version 2>&1 | head -n 1)"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "java unavailable: not on PATH and not root (install it with: sudo apt-get install -y default-jre-headless)."
  exit 3
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "java unavailable: not on PATH and no apt-get on this machine."
  exit 3
fi

echo "Installing Debian's default-jre-headless (OpenJDK, a minute or two)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's JRE post-install scripts expect the man page folder (absent on slim images)
mkdir -p /usr/share/man/man1
apt-get install -y -qq default-jre-headless >/dev/null

if ! command -v java >/dev/null 2>&1; then
  echo "default-jre-headless install finished but java is not on PATH" >&2
  exit 1
fi
echo "java ready: $(java -version 2>&1 | head -n 1)"
