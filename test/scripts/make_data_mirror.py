#!/usr/bin/env python3
"""Lays out a copy of the benchmark tables as the public repositories serve them
(MIRROR/OWNER/REPO/COMMIT/PATH), for fetch_data's download mode to read through file://.

The byte-exact originals are copied from DATA. HELP's .pt latency lists are not in a data
directory, so they are written here as torch.save would hold them (a zip with archive/data.pkl,
a protocol-2 pickle of plain lists and a dict), with the values of DATA's nb201_latency_help.csv.
Their bytes differ from HELP's files, so SOURCES_OUT gets the pinned list with these files'
sizes and hashes in place of HELP's (and without the downloads DATA cannot provide).

Usage: make_data_mirror.py DATA FETCH_DATA_SH MIRROR SOURCES_OUT"""

import csv
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import zipfile


def torch_plain_save(obj, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
        z.writestr("archive/version", "3\n")


def main():
    data, fetch_data, mirror, sources_out = sys.argv[1:5]
    listed = subprocess.run([fetch_data, "--list-sources"], check=True, stdout=subprocess.PIPE,
                            text=True).stdout.splitlines()
    with open(os.path.join(data, "nas-bench-201/nb201_latency_help.csv"), newline="") as f:
        rows = list(csv.reader(f))
    devices = [h[:-len("_ms")] for h in rows[0][2:]]
    names = {r[1]: int(r[0]) for r in rows[1:]}
    # Phones' latencies are integers in HELP's lists, the others floats.
    number = lambda v: float(v) if any(c in v for c in ".en") else int(v)
    latencies = {d: [number(r[2 + k]) for r in rows[1:]] for k, d in enumerate(devices)}

    out = []
    for line in listed:
        if line.startswith("#"):
            out.append(line)
            continue
        save_as, repo, commit, path, size, sha = line.split()
        dest = os.path.join(mirror, repo, commit, path)
        if save_as.startswith("help/"):
            name = os.path.basename(save_as)[:-len(".pt")]
            torch_plain_save(names if name == "str_arch2idx" else latencies[name], dest)
            with open(dest, "rb") as f:
                size, sha = os.path.getsize(dest), hashlib.sha256(f.read()).hexdigest()
        elif os.path.isfile(os.path.join(data, save_as)):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(os.path.join(data, save_as), dest)
        else:
            continue
        out.append(" ".join([save_as, repo, commit, path, str(size), sha]))
    with open(sources_out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
