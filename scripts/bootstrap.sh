#!/usr/bin/env bash
# Installs the Debian bookworm packages nasgen builds and runs with. Idempotent: installs only
# what is missing and says what it does. Run as root (or with sudo available).
# Usage: scripts/bootstrap.sh [--tests] [--bench]
#   --tests  also installs chromium, the headless browser the report's test opens its page in
#            (scripts/test.sh passes it)
#   --bench  also installs python3-torch, for the PyTorch comparison in bench/train_throughput.py
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev                # LibTorch 1.13 (CPU)
  libopenblas0-pthread        # replaces the reference BLAS under LibTorch (10x on LSTM/linear)
  libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libjpeg62-turbo-dev libcurl4-openssl-dev
  libxgboost-dev              # gradient-boosted tree predictors (C API)
  gnuplot-nox graphviz
  python3                     # the tables of scripts/compare_with_random.sh and the main job
  dataset-fashion-mnist       # the embedded default data set
)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=(chromium) ;;
    --bench) packages+=(python3-torch) ;;
    *) echo "bootstrap: unknown option '$arg' (known: --tests, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  sudo_cmd=(sudo)
fi

echo "bootstrap: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: done"
