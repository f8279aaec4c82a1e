#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, and run the most complete
# pipeline nasgen has today: the baseline strategies compared on NAS-Bench-201 (CIFAR-10),
# 20 seeds each, with a summary table and a best-so-far plot in runs/main/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
build="${NASGEN_BUILD_DIR:-$root/build}"
cd "$root"
"$build/bin/search" --config configs/main.yaml --out runs/main --overwrite "$@"
