#!/usr/bin/env bash
# Configures and builds nasgen into build/ (Release, Ninja, precompiled LibTorch headers).
# Usage: scripts/build.sh [--target NAME ...] [extra cmake -D options]
#   --target NAME  build only this target (repeatable; e.g. --target train_cifar); default all
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${NASGEN_BUILD_DIR:-$root/build}"
jobs="${NASGEN_JOBS:-$(nproc)}"
targets=()
cmake_options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ -n "${2:-}" ] || { echo "build: --target needs a name" >&2; exit 2; }
              targets+=("$2"); shift 2 ;;
    *) cmake_options+=("$1"); shift ;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  echo "build: configuring $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_options[@]}"
fi
target_args=()
[ ${#targets[@]} -gt 0 ] && target_args=(--target "${targets[@]}")
echo "build: compiling ${targets[*]:-everything} with $jobs jobs"
cmake --build "$build" -j "$jobs" "${target_args[@]}"
