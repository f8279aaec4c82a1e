#!/usr/bin/env bash
# Configures and builds nasgen into build/ (Release, Ninja, precompiled LibTorch headers).
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${NASGEN_BUILD_DIR:-$root/build}"
jobs="${NASGEN_JOBS:-$(nproc)}"
if [ ! -f "$build/build.ninja" ]; then
  echo "build: configuring $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
echo "build: compiling with $jobs jobs"
cmake --build "$build" -j "$jobs"
