#!/usr/bin/env bash
# Installs the benchmark tables nasgen reads (NAS-Bench-201, NAS-Bench-Macro,
# Channel-Bench-Macro, NASLib's zero-cost scores, HELP's latencies) into the data directory,
# after checking each file's size and sha256 against the list below.
#
# Usage: scripts/fetch_data.sh --from DIR [--to DIR]
#   --from DIR  a copy of the tables laid out as the data directory (e.g. a colleague's
#               data directory): every file of the list found there is verified, then copied
#   --to DIR    where to install (default: $NASGEN_DATA, else
#               ${XDG_DATA_HOME:-~/.local/share}/nasgen/data, where the tools look)
# A file whose size or hash differs from the list is refused by name and nothing is installed.
# Files of the list that DIR lacks are named and skipped: the tests and benchmarks that need them
# skip or say so. Downloading from the public sources is not supported yet: the tables without a
# licence (Channel-Bench-Macro, GENIUS's NB201 extracts) are fetched by each user from their
# repositories, not shipped with nasgen (see the README's "Benchmarks").
set -euo pipefail
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# path in the data directory, size in bytes, sha256
manifest() {
  cat <<'EOF'
nas-bench-macro/nas-bench-macro_cifar10.json 1178821 686dee8363cc21cca8c1f321ad5749454f2d9b9ca5972682e137e539bc522297
nas-bench-macro/nas-bench-macro_cifar10.csv 837754 00b5f259de8340cc3ec8ea6302fe051793b280e57a8a6b4d35e086a194b02636
channel-bench-macro/Results_ResNet.json 2821965 bf13bcaea3f2076f2c1bfbf5c2fee044aafe0385fae6a0d64c433b1d7f5a7520
channel-bench-macro/Results_MobileNet.json 2793867 f640474d8ff3ff2231d0c45986bb0f10af291545316342fb009952e7641908e0
channel-bench-macro/Results_ResNet.csv 2361155 114703129932b333343b87e73e7ae655e205f3190eb012b19dc426bd9e68a3be
channel-bench-macro/Results_MobileNet.csv 2341155 99a28cd1493a4e0c9b58ed01c5288dbc6a9ee41db54ccded938dfb49410a50b8
nas-bench-201/genius/nasbench201_cifar10.json 2625770 7c5d7d890a285deb41556f95e904fab854f8fcfd65da7eb39410fdedd87215ec
nas-bench-201/genius/nasbench201_cifar100.json 2722508 6b21a0e98864e0aff288fc54bb5105907441bfd63bb063ad3d279edcbf926da5
nas-bench-201/genius/nasbench201_imagenet.json 2738705 a29f63ca37b72cfa9a8e4ce6bad5d678c6039c9929c8060b7d32187f537d560f
nas-bench-201/nb201_all.csv 3332696 242c4344faa5a8c7cbc97e836027fc874578f802c01c95d45aba238bbd7469ae
nas-bench-201/nb201_latency_help.csv 7933770 87c15a7d95fcfe213b11d00181aaa63caa793777e020d41104e24d7599918ea5
nas-bench-201/naslib_zc/zc_nasbench201.json 1962205 80e131a5f2cd0320bd5524945a9df9f7a115a642654644f909e879f747fb3c4a
nas-bench-201/naslib_zc/zc_nasbench201.csv 727203 d9837c40cbee1f94d2d8489280251df0ee14d0d57d167cfa4ab9e02c14980182
nas-bench-101/naslib_zc/zc_nasbench101.json 259564 c34840bc9af68b6ebaa7f052e42c1749a9a737d7243078be2a5548052bc5a0c2
nas-bench-101/naslib_zc/zc_nasbench101.csv 205699 09655f3e375d8821da09bedc3c41a7ff91b0caad107a48c0be28bd687bfb468c
hw-nas-bench/hwnasbench_nb201_cifar10_latency_subset.csv 2307956 cbc0ad7a3bf711aeac0a0d08e3e8fe1f641cf51b6806b2ee5ec6039e14bf10d4
EOF
}

from=""
to="${NASGEN_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/nasgen/data}"
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:-}"; [ -n "$from" ] || usage; shift 2 ;;
    --to) to="${2:-}"; [ -n "$to" ] || usage; shift 2 ;;
    -h|--help) usage ;;
    *) echo "fetch_data: unknown option '$1'" >&2; usage ;;
  esac
done
if [ -z "$from" ]; then
  echo "fetch_data: downloading from the public sources is not supported yet; install from a copy" \
       "of the tables with --from DIR" >&2
  exit 2
fi
[ -d "$from" ] || { echo "fetch_data: --from $from: no such directory" >&2; exit 2; }

# Verify every listed file DIR has before copying any.
found=()
missing=()
bad=0
while read -r path size sha; do
  file="$from/$path"
  if [ ! -f "$file" ]; then
    missing+=("$path")
    continue
  fi
  actual_size=$(stat -c %s "$file")
  actual_sha=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$actual_size" != "$size" ] || [ "$actual_sha" != "$sha" ]; then
    echo "fetch_data: refused $path: $actual_size bytes, sha256 $actual_sha; expected $size bytes," \
         "sha256 $sha (a corrupted or different copy)" >&2
    bad=$((bad + 1))
    continue
  fi
  found+=("$path")
done < <(manifest)
if [ "$bad" -gt 0 ]; then
  echo "fetch_data: $bad file(s) of $from failed the check; nothing installed" >&2
  exit 1
fi
if [ ${#found[@]} -eq 0 ]; then
  echo "fetch_data: $from holds none of the benchmark tables (expected e.g." \
       "nas-bench-201/genius/nasbench201_cifar10.json); nothing installed" >&2
  exit 1
fi

# Copy each file through a temporary name, so an interrupted install leaves no half file.
for path in "${found[@]}"; do
  mkdir -p "$(dirname "$to/$path")"
  cp "$from/$path" "$to/$path.part"
  mv -f "$to/$path.part" "$to/$path"
done
echo "fetch_data: installed ${#found[@]} verified table(s) into $to"
if [ ${#missing[@]} -gt 0 ]; then
  echo "fetch_data: not in $from, so not installed (${#missing[@]}): ${missing[*]}"
fi
if [ -z "${NASGEN_DATA:-}" ] && [ "$to" != "${XDG_DATA_HOME:-$HOME/.local/share}/nasgen/data" ]; then
  echo "fetch_data: the tools look there when NASGEN_DATA=$to is set"
fi
