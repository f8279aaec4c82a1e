#!/usr/bin/env bash
# Trains found architectures and N random architectures of the same space the same way
# (train_cifar, one config) and prints their test accuracies, parameters and FLOPs side by side,
# and which side won: the check that a search or a generator found something better than chance.
#
# Usage: scripts/compare_with_random.sh [--top K] [--label NAME] [--config FILE]
#                                       ARCH_FILE OUT_DIR [N] [train_cifar options ...]
#   ARCH_FILE     e.g. RUN_DIR/arch_pool.final of nao_ws or RUN_DIR/generated.txt of
#                 generate_archs (best first; comment lines are skipped)
#   OUT_DIR       one run directory per network: OUT_DIR/searched, OUT_DIR/random_1, ...
#   N             random architectures (seeds 1..N of the space's sampler), default 5; give it
#                 when train_cifar options follow
#   --top K       train the first K architectures of ARCH_FILE (default 1)
#   --label NAME  name of the found ones in the table and in OUT_DIR (default searched; with
#                 K > 1 NAME_1 ... NAME_K)
#   --config FILE train_cifar config (default configs/train_fmnist_naonet_b.yaml with --space nao;
#                 another config names its space itself)
# Options after N go to every train_cifar call (e.g. --epochs 3 --set train_subset=20000).
# An interrupted comparison continues where it stopped when run again (finished networks are
# kept, a network cut off mid-training resumes from its checkpoint). The table is also written
# to OUT_DIR/table.txt.
set -euo pipefail
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${NASGEN_BUILD_DIR:-$root/build}"
top=1
label=searched
config=(--config "$root/configs/train_fmnist_naonet_b.yaml" --space nao)
while [ $# -gt 0 ]; do
  case "$1" in
    --top) top="${2:-}"; shift 2 ;;
    --label) label="${2:-}"; shift 2 ;;
    --config) config=(--config "${2:-}"); shift 2 ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
arch_file="$1"
out="$2"
n="${3:-5}"
shift $(( $# >= 3 ? 3 : 2 ))
[ -f "$arch_file" ] || { echo "compare_with_random: no file $arch_file" >&2; exit 2; }
case "$n" in ''|*[!0-9]*) echo "compare_with_random: N must be a number, found '$n'" >&2; exit 2 ;; esac
case "$top" in ''|0|*[!0-9]*) echo "compare_with_random: --top must be a positive number, found '$top'" >&2; exit 2 ;; esac
case "$label" in ''|*[!a-zA-Z0-9_-]*) echo "compare_with_random: --label must be a plain name, found '$label'" >&2; exit 2 ;; esac
mapfile -t archs < <(grep -v '^[[:space:]]*\(#\|$\)' "$arch_file" | head -n "$top")
[ ${#archs[@]} -ge 1 ] || { echo "compare_with_random: no architecture in $arch_file" >&2; exit 2; }
extra=("$@")
mkdir -p "$out"

names=()
arch_of=()
if [ ${#archs[@]} -eq 1 ] && [ "$top" -eq 1 ]; then
  names+=("$label"); arch_of+=("${archs[0]}")
else
  for i in "${!archs[@]}"; do names+=("${label}_$((i + 1))"); arch_of+=("${archs[$i]}"); done
fi
found=${#names[@]}
for i in $(seq 1 "$n"); do names+=("random_$i"); arch_of+=("random:$i"); done
total=${#names[@]}

# One network into OUT_DIR/NAME (skipped when already finished); its progress goes to the
# terminal and to OUT_DIR/NAME.log. The ETA is the pace of the networks trained so far.
start=$(date +%s)
trained=0
for k in "${!names[@]}"; do
  name="${names[$k]}"
  dir="$out/$name"
  if [ -f "$dir/summary.json" ]; then
    echo "compare_with_random: $name already trained ($dir)"
    continue
  fi
  eta=""
  if [ "$trained" -gt 0 ]; then
    each=$(( ($(date +%s) - start) / trained ))
    eta="; about $(( (each + 30) / 60 )) min each, all done about $(date -d "@$(( $(date +%s) + each * (total - k) ))" +%H:%M)"
  fi
  echo "compare_with_random: training $name ($((k + 1)) of $total$eta)"
  resume=()
  # A run directory left by an interrupted call: continue it (from its last checkpoint, or
  # afresh when it was cut before the first one).
  [ -d "$dir" ] && resume=(--resume)
  "$build/bin/train_cifar" "${config[@]}" --arch "${arch_of[$k]}" --out "$dir" "${resume[@]}" \
    "${extra[@]}" 2>&1 | tee -a "$out/$name.log" | grep --line-buffered -E 'epoch [0-9]+/[0-9]+: |^test accuracy' || true
  [ -f "$dir/summary.json" ] || { echo "compare_with_random: $name failed, see $out/$name.log" >&2; exit 1; }
  trained=$((trained + 1))
done

# The table: network, test accuracy, parameters, FLOPs, architecture; then both sides' means
# and which won.
/usr/bin/env python3 - "$out" "$found" "$label" "${names[@]}" <<'PY' | tee "$out/table.txt"
import json, os, statistics, sys
out, found, label, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rows = []
for name in names:
    s = json.load(open(os.path.join(out, name, "summary.json")))
    rows.append((name, s["test_acc"], s["params"], s["flops"], s["arch"]))
width = max(len(r[0]) for r in rows)
print(f"{'network':<{width}} {'test_acc':>8} {'params':>9} {'FLOPs':>8}  arch")
for name, acc, params, flops, arch in rows:
    print(f"{name:<{width}} {acc:8.2f} {params / 1e6:8.3f}M {flops / 1e6:7.2f}M  {arch}")

def side(rs):
    accs = [r[1] for r in rs]
    mean = statistics.mean(accs)
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    return mean, sd, max(accs), len(accs)

ours, rand = rows[:found], rows[found:]
m, s, b, k = side(ours)
print(f"{label}: mean {m:.2f} +- {s:.2f}, best {b:.2f} over {k}")
if rand:
    rm, rs, rb, rk = side(rand)
    print(f"random: mean {rm:.2f} +- {rs:.2f}, best {rb:.2f} over {rk}")
    if m > rm and b >= rb:
        verdict = f"{label} won: its mean is {m - rm:+.2f} points above random's and its best {b - rb:+.2f}"
    elif m < rm and b <= rb:
        verdict = f"random won: its mean is {rm - m:+.2f} points above {label}'s and its best {rb - b:+.2f}"
    else:
        verdict = (f"no clear winner: {label}'s mean is {m - rm:+.2f} points from random's, "
                   f"its best {b - rb:+.2f}")
    print(verdict)
    spread = max(s, rs)
    if abs(m - rm) < spread:
        print(f"the means differ by less than the spread between networks of one side (+- {spread:.2f}): "
              "more networks or longer training would tell them apart better")
PY
