#!/usr/bin/env bash
# The whole test suite on a fresh machine: install dependencies, build, run every test.
# Tests that need the benchmark tables skip with a message when they are absent
# (scripts/fetch_data.sh installs them); the report's page is opened in chromium, which
# bootstrap installs with --tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/bootstrap.sh" --tests
"$root/scripts/build.sh"
build="${NASGEN_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
