#!/usr/bin/env bash
# Runs bench/nag_gan (C++) and bench/nag_gan.py (PyTorch's Python API) alternately, ROUNDS times
# at each thread count, and prints the median training it/s and sampling archs/s of each with the
# ratios, and the median vertices and edges per cell each generator built (the cost of a forward
# pass depends on them; they should agree). Checks first that both sides count the same
# generator and discriminator parameters.
# Needs python3-torch (scripts/bootstrap.sh --bench) and a build in build/ (or NASGEN_BUILD_DIR).
#   bench/nag_gan_compare.sh [ROUNDS (default 5)] [THREADS... (default 1 2)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${NASGEN_BUILD_DIR:-$root/build}/bin/nag_gan"
py=/usr/bin/python3
[ -x "$bin" ] || { echo "compare: $bin not built (scripts/build.sh)" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "compare: $py has no torch (scripts/bootstrap.sh --bench)" >&2; exit 2; }
rounds="${1:-5}"
shift || true
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
args=(--iters 100 --warmup 400 --samples 100 --sample-batches 50 --sample-warmup 5)

# field NAME KIND: the value of NAME= on the program's KIND line (train or sample).
field() { sed -n "s|.* nag_gan $2 .* $1=\([0-9.]*\).*|\1|p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# counts: the parameter counts of the train line (C++) or of --check-params (Python).
counts() { sed -n 's/.* nag_gan \(train\|params\) .*\(g_params=[0-9]* d_params=[0-9]*\).*/\2/p'; }

c_counts=$("$bin" --threads 1 --iters 1 --warmup 0 --sample-batches 1 --sample-warmup 0 | counts)
p_counts=$("$py" "$root/bench/nag_gan.py" --check-params | counts)
if [ "$c_counts" != "$p_counts" ]; then
  echo "compare: parameter counts differ: nasgen $c_counts, python $p_counts" >&2
  exit 1
fi
echo "compare: parameters equal: $c_counts"

for t in "${threads[@]}"; do
  declare -A runs=()
  for ((r = 0; r < rounds; ++r)); do
    for side in c p; do
      if [ $side = c ]; then
        out=$("$bin" --threads "$t" "${args[@]}")
      else
        out=$("$py" "$root/bench/nag_gan.py" --threads "$t" "${args[@]}")
      fi
      runs[$side.it]+="$(field it/s train <<<"$out") "
      runs[$side.arch]+="$(field archs/s sample <<<"$out") "
      runs[$side.nodes]+="$(field nodes train <<<"$out") "
      runs[$side.edges]+="$(field edges train <<<"$out") "
    done
  done
  m() { printf '%s\n' ${runs[$1]} | median; }
  awk -v t="$t" -v r="$rounds" -v ci="$(m c.it)" -v pi="$(m p.it)" -v ca="$(m c.arch)" \
      -v pa="$(m p.arch)" -v cn="$(m c.nodes)" -v pn="$(m p.nodes)" -v ce="$(m c.edges)" \
      -v pe="$(m p.edges)" 'BEGIN {
    printf "compare: %d thread(s), median of %d alternating runs: ", t, r
    printf "train nasgen %.2f it/s, python %.2f it/s: %.2fx; ", ci, pi, ci / pi
    printf "sample nasgen %.0f archs/s, python %.0f archs/s: %.2fx\n", ca, pa, ca / pa
    printf "compare: %d thread(s), generated per cell (median): ", t
    printf "nasgen %.2f vertices %.1f edges, python %.2f vertices %.1f edges\n", cn, ce, pn, pe }'
  unset runs
done
