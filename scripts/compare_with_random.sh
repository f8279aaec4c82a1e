#!/usr/bin/env bash
# Trains a searched architecture and N random architectures of the same space the same way
# (train_cifar, one config) and prints their test accuracies: the check that a search found
# something better than chance.
#
# Usage: scripts/compare_with_random.sh ARCH_FILE OUT_DIR [N] [train_cifar options ...]
#   ARCH_FILE  e.g. RUN_DIR/arch_pool.final of nao_ws (its first line is trained)
#   OUT_DIR    one run directory per network: OUT_DIR/searched, OUT_DIR/random_1, ...
#   N          random architectures (seeds 1..N of the space's sampler), default 5; give it
#              when train_cifar options follow
# Defaults: --config configs/train_fmnist_naonet_b.yaml --space nao; options after N go to
# every train_cifar call (e.g. --epochs 3 --set train_subset=20000 --threads 1).
# An interrupted comparison continues where it stopped when run again (finished networks are
# kept, a network cut off mid-training resumes from its checkpoint).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${NASGEN_BUILD_DIR:-$root/build}"
arch_file="$1"
out="$2"
n="${3:-5}"
shift $(( $# >= 3 ? 3 : 2 ))
[ -f "$arch_file" ] || { echo "compare_with_random: no file $arch_file" >&2; exit 2; }
case "$n" in ''|*[!0-9]*) echo "compare_with_random: N must be a number, found '$n'" >&2; exit 2 ;; esac
config=(--config "$root/configs/train_fmnist_naonet_b.yaml" --space nao)
mkdir -p "$out"

# train NAME ARCH_OPTIONS...: one network into OUT_DIR/NAME, skipped when already finished.
train() {
  local name="$1"
  shift
  local dir="$out/$name"
  if [ -f "$dir/summary.json" ]; then
    echo "compare_with_random: $name already trained ($dir)"
    return
  fi
  local resume=()
  # A run directory left by an interrupted call: continue it (from its last checkpoint, or
  # afresh when it was cut before the first one).
  [ -d "$dir" ] && resume=(--resume)
  echo "compare_with_random: training $name"
  "$build/bin/train_cifar" "${config[@]}" "$@" --out "$dir" "${resume[@]}" "${extra[@]}" \
    > "$out/$name.log" 2>&1 || { echo "compare_with_random: $name failed, see $out/$name.log" >&2; exit 1; }
}
extra=("$@")
train searched --arch-file "$arch_file"
for i in $(seq 1 "$n"); do train "random_$i" --arch "random:$i"; done

# The table: network, test accuracy, parameters, architecture; then the random mean.
/usr/bin/env python3 - "$out" "$n" <<'PY'
import json, os, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
rows = []
for name in ["searched"] + [f"random_{i}" for i in range(1, n + 1)]:
    s = json.load(open(os.path.join(out, name, "summary.json")))
    rows.append((name, s["test_acc"], s["params"], s["arch"]))
print(f"{'network':<10} {'test_acc':>8} {'params':>8}  arch")
for name, acc, params, arch in rows:
    print(f"{name:<10} {acc:8.2f} {params:8d}  {arch}")
rand = [r[1] for r in rows[1:]]
mean = statistics.mean(rand) if rand else float("nan")
sd = statistics.stdev(rand) if len(rand) > 1 else 0.0
print(f"random mean {mean:.2f} +- {sd:.2f} over {len(rand)}; searched {rows[0][1]:.2f} "
      f"({rows[0][1] - mean:+.2f})")
PY
