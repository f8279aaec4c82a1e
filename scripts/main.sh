#!/usr/bin/env bash
# The main job: NAG's generative pipeline end to end on Fashion-MNIST, the embedded data set
# (Debian's dataset-fashion-mnist; nothing to download). On a fresh machine it installs what is
# missing, builds the five tools it runs, and then:
#   1. the NAS dataset: random nag-cell architectures scored by a weight-sharing supernet
#      (build_nas_dataset --config configs/nag_oneshot_fmnist.yaml);
#   2. the GAN conditioned on accuracy and parameter classes (train_gan, configs/nag_multiobj.yaml);
#   3. architectures for a request: generate_archs --acc 0.97 --params 3M;
#   4. the best K generated architectures and K random ones of the same space trained with one
#      short recipe (scripts/compare_with_random.sh, configs/train_fmnist_nag.yaml), then the
#      table "generated vs random" (test accuracy, params, FLOPs), which says which won;
#   5. the report: one HTML page of every step (report DIR): the NAS dataset, GAN quality per
#      epoch, the generated architectures' cell diagrams and commands, the training curves.
# Usage: scripts/main.sh [--quick] [--out DIR] [--threads N]
#   --quick    a version of about 5 minutes: 100 architectures, 3 supernet epochs, 3 + 3 networks
#              trained one epoch on 10,000 images (the full job: 300, 5 + 5, 3 epochs on 20,000)
#   --out DIR  run directory (default runs/main, or runs/main-quick with --quick)
#   --threads  LibTorch threads of every tool (default: all cores)
# Run it again after an interruption: finished steps are kept and an interrupted one resumes.
set -euo pipefail
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
quick=0
out=""
threads=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --out) out="${2:-}"; [ -n "$out" ] || usage; shift 2 ;;
    --threads) threads="${2:-}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "main: unknown option '$1'" >&2; usage ;;
  esac
done
case "$threads" in ''|*[!0-9]*) echo "main: --threads must be a number, found '$threads'" >&2; exit 2 ;; esac

"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh" --target build_nas_dataset --target train_gan --target generate_archs \
  --target train_cifar --target report
build="${NASGEN_BUILD_DIR:-$root/build}"
cd "$root"

# The settings of both versions, and each step's wall time measured on 2 cores (for the ETA).
if [ "$quick" -eq 1 ]; then
  out="${out:-runs/main-quick}"
  dataset_options=(--records 100 --set one_shot.train.epochs=3 --set one_shot.average_last=2)
  k=3
  train_options=(--epochs 1 --set train_subset=10000)
  seconds=(105 45 5 150 2)
else
  out="${out:-runs/main}"
  dataset_options=()
  k=5
  train_options=()
  seconds=(360 130 10 840 2)
fi
steps=("the NAS dataset (build_nas_dataset)" "the GAN (train_gan)" "generation (generate_archs)"
       "$k generated and $k random architectures trained (train_cifar)" "the report (report)")
common=(--threads "$threads")
mkdir -p "$out"
job_start=$(date +%s)

# step I: announces step I (0-based) with its expected time and the job's expected end.
step() {
  local i="$1" left=0 j
  for j in $(seq "$i" $(( ${#seconds[@]} - 1 ))); do left=$(( left + seconds[j] )); done
  echo
  echo "main: step $((i + 1)) of ${#steps[@]}: ${steps[$i]}; about $(( (seconds[i] + 59) / 60 )) min," \
       "the job should end about $(date -d "@$(( $(date +%s) + left ))" +%H:%M)"
}

# run_step DIR DONE_FILE TOOL ARGS...: runs TOOL into DIR unless DONE_FILE exists; a directory
# left by an interrupted run is resumed.
run_step() {
  local dir="$1" done_file="$2" tool="$3"
  shift 3
  if [ -f "$done_file" ]; then
    echo "main: already done ($done_file)"
    return
  fi
  if [ -d "$dir" ]; then
    "$build/bin/$tool" --out "$dir" --resume "${common[@]}"
  else
    "$build/bin/$tool" --out "$dir" "$@" "${common[@]}"
  fi
}

step 0
run_step "$out/nas_dataset" "$out/nas_dataset/nas_dataset.jsonl" build_nas_dataset \
  --config configs/nag_oneshot_fmnist.yaml "${dataset_options[@]}"

step 1
run_step "$out/gan" "$out/gan/gan.pt" train_gan --config configs/nag_multiobj.yaml \
  --dataset "$out/nas_dataset"

step 2
"$build/bin/generate_archs" --run "$out/gan" --acc 0.97 --params 3M --num "$k" "${common[@]}"

step 3
"$root/scripts/compare_with_random.sh" --top "$k" --label generated \
  --config configs/train_fmnist_nag.yaml "$out/gan/generated.txt" "$out/trained" "$k" \
  "${common[@]}" "${train_options[@]}"
cp "$out/trained/table.txt" "$out/table.txt"

step 4
"$build/bin/report" "$out"

echo
echo "main: done in $(( ($(date +%s) - job_start + 30) / 60 )) min; the table is in $out/table.txt," \
     "the report in $out/report.html (open it in a browser)"
