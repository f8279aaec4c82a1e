#!/usr/bin/env bash
# The whole test suite on a fresh machine: install dependencies, build, run every test.
# Tests that need ../shared/data (the benchmark tables) skip with a message when it is absent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
build="${NASGEN_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
