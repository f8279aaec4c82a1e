#!/usr/bin/env bash
# Runs bench/train_throughput (C++) and bench/train_throughput.py (PyTorch's Python API) on the
# same network, threads, batch and input, and prints images/s side by side with the ratios.
# Needs python3-torch (scripts/bootstrap.sh --bench) and a build in build/ (or NASGEN_BUILD_DIR).
#   bench/train_throughput_compare.sh [common flags, e.g. --arch NAONet-B --channels 16
#                                      --layers 1 --batch 128 --threads 2]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${NASGEN_BUILD_DIR:-$root/build}/bin/train_throughput"
py=/usr/bin/python3
[ -x "$bin" ] || { echo "compare: $bin not built (scripts/build.sh)" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "compare: $py has no torch (scripts/bootstrap.sh --bench)" >&2; exit 2; }

# Runs one program, echoes its lines and keeps the images/s figures.
run() {
  local out
  out=$("$@")
  echo "$out"
  sed -n 's/.*images\/s=\([0-9.]*\).*/\1/p' <<<"$out" >>"$rates"
}
rates=$(mktemp)
trap 'rm -f "$rates"' EXIT
run "$bin" "$@" --memory-format auto
cpp=$(cat "$rates"); : >"$rates"
run "$bin" "$@" --memory-format contiguous
cpp_nchw=$(cat "$rates"); : >"$rates"
run "$py" "$root/bench/train_throughput.py" "$@" --memory-format contiguous
py_nchw=$(cat "$rates"); : >"$rates"
run "$py" "$root/bench/train_throughput.py" "$@" --memory-format channels_last
py_cl=$(cat "$rates")
paste <(echo "$cpp") <(echo "$cpp_nchw") <(echo "$py_nchw") <(echo "$py_cl") | while read -r a b c d; do
  awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
    printf "compare: nasgen %.1f img/s (NCHW %.1f), python NCHW %.1f, python channels-last %.1f: " \
           "%.2fx the Python NCHW code, %.2fx Python channels-last\n", a, b, c, d, a / c, a / d }'
done
