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
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  echo "java ready: $("${JAVA_HOME}/bin/java" -version 2>&1 | head -n 1)"
  exit 0
fi
if command -v java >/dev/null 2>&1; then
  echo "java ready: $(java -version 2>&1 | head -n 1)"
  exit 0
fi

# Debian's JRE post-install scripts expect the man page folder (absent on slim images)
mkdir -p /usr/share/man/man1
apt_install java default-jre-headless java

echo "java ready: $(java -version 2>&1 | head -n 1)"
