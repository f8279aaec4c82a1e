#!/usr/bin/env bash
# Runs bench/agnet_pretrain (C++) and bench/agnet_pretrain.py (PyTorch's Python API) alternately,
# ROUNDS times at each thread count, and prints the median steps/s of each with the ratio.
# Needs python3-torch (scripts/bootstrap.sh --bench) and a build in build/ (or NASGEN_BUILD_DIR).
#   bench/agnet_pretrain_compare.sh [ROUNDS (default 5)] [THREADS... (default 1 2)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${NASGEN_BUILD_DIR:-$root/build}/bin/agnet_pretrain"
py=/usr/bin/python3
[ -x "$bin" ] || { echo "compare: $bin not built (scripts/build.sh)" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "compare: $py has no torch (scripts/bootstrap.sh --bench)" >&2; exit 2; }
rounds="${1:-5}"
shift || true
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)

rate() { sed -n 's/.*steps\/s=\([0-9.]*\).*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for t in "${threads[@]}"; do
  cpp=() python=()
  for ((r = 0; r < rounds; ++r)); do
    cpp+=("$("$bin" --threads "$t" --steps 300 --warmup 20 | rate)")
    python+=("$("$py" "$root/bench/agnet_pretrain.py" --threads "$t" --steps 300 --warmup 20 | rate)")
  done
  c=$(printf '%s\n' "${cpp[@]}" | median)
  p=$(printf '%s\n' "${python[@]}" | median)
  awk -v t="$t" -v c="$c" -v p="$p" -v r="$rounds" 'BEGIN {
    printf "compare: %d thread(s), median of %d alternating runs: nasgen %.1f steps/s, python %.1f steps/s: %.2fx\n", t, r, c, p, c / p }'
done
