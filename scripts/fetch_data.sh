#!/usr/bin/env bash
# Installs the benchmark tables nasgen reads into its data directory ($NASGEN_DATA, else
# ~/.local/share/nasgen/data): downloaded from their public repositories at pinned commits, or
# --from a local copy; every file checked by sha256. The work is done by fetch_data.py (Python 3
# standard library only); scripts/fetch_data.sh --help lists the options.
set -euo pipefail
exec python3 "$(dirname "$0")/fetch_data.py" "$@"
