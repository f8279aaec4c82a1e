#!/usr/bin/env python3
"""Installs the benchmark tables nasgen reads into its data directory, every file checked by size
and sha256 against the list below. scripts/fetch_data.sh runs this; see its --help."""

import argparse
import csv
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

USAGE = """\
scripts/fetch_data.sh [--to DIR] [--from DIR] [--mirror URL] [--sources FILE] [--list-sources]

Installs the benchmark tables nasgen reads (NAS-Bench-201, NAS-Bench-Macro, Channel-Bench-Macro,
NASLib's zero-cost scores, HELP's latencies) into the data directory. Every installed file is
checked by size and sha256 against a pinned list; a file that differs is refused by name and
nothing is installed.

Without --from, the originals are downloaded from their public repositories at pinned commits
(raw.githubusercontent.com), each checked by sha256, and the CSV tables are converted from them
here (nb201_all.csv's params and FLOPs by nasgen's own NB201 network: build train_cifar first,
scripts/build.sh --target train_cifar). Verified downloads are kept in DIR/.downloads until
everything is installed, so a rerun after an interruption fetches only what is missing.

  --to DIR        where to install (default: $NASGEN_DATA, else
                  ${XDG_DATA_HOME:-~/.local/share}/nasgen/data, where the tools look)
  --from DIR      install from a copy laid out as the data directory (e.g. a colleague's) instead
                  of downloading: every listed file found there is verified, then copied
  --mirror URL    download from URL/OWNER/REPO/COMMIT/PATH instead of
                  https://raw.githubusercontent.com (a proxy or a local mirror; file:// works)
  --sources FILE  the list of downloads to use instead of the pinned one (same format as
                  --list-sources prints: save-as, repository, commit, path, size, sha256)
  --list-sources  print the pinned list of downloads and exit

The tables without a licence (Channel-Bench-Macro, GENIUS's NB201 extracts) are downloaded by
each user from their repositories, not shipped with nasgen (see the README's "Benchmarks")."""

# What the data directory holds when everything is installed: path, size in bytes, sha256.
INSTALLED = """\
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
"""

MACRO = ("xiusu/NAS-Bench-Macro", "61a2bfc2ca0dce04d0997e6cf498047c27d6acf2")
CHANNEL = ("xiusu/Channel-Bench-Macro", "4ff596e814cc88cc9add77ff83fc1a2f05ee1fef")
GENIUS = ("mingkai-zheng/GENIUS", "97361d30b2da337edd0c8e1ed71b7c88b4a85d38")
HELP = ("HayeonLee/HELP", "45f70eb92d0d735970a33b608d1544ad3c52f285")
NASLIB_ZC201 = ("automl/NASLib", "1bdbd960ee3e08b4b71dfbae57ff4d4e43ec25c1")
NASLIB_ZC101 = ("automl/NASLib", "22280f711aa782fe9157d1b4e5ce4f83f47ab908")

# HELP's NB201 latency lists (ms per official NB201 index), by device, with their sha256.
HELP_DEVICES = {
    "1080ti_1": "4028f52b2c2441da126932e3827ae11a7f76d39818c4374c1b9ab9df236e23f4",
    "1080ti_256": "435af0ccfab01f5dc55dc9f2e8b90ca37b396b2656e327bba5ee0b6eb9c24464",
    "1080ti_32": "affce4fcdcf6f28622365995ef2ec018bb07d448add59f80633c0978c393cdea",
    "2080ti_1": "38cf0e8f698abf8696c69b41a358fe9ddedf5d54cb1ae6f85b04dd8a8f89a1b3",
    "2080ti_256": "daee655c44c46955d8318ddf0fa39254e70bab1ae723a6abc53d7b7e4e1561ae",
    "2080ti_32": "ebc603ad325850663fc56c8e0fde52fadea28e585a8405864baa20f986eaf29d",
    "essential_ph_1": "a97165c8669a216b9ca046041c83a07352bd07f2a42e2d8fea8b51e7ddbcabf0",
    "eyeriss": "6f1dd2f8c0442289a09ab78e63e49bde96489f6d455cc33d5fa5aed37edb5d03",
    "fpga": "6a0333c1476a3ab039d8c39e5d42ac99efe9e7f3ff521289569013fa84233b28",
    "gold_6226": "6a00f63d14f67f8007ec04519f638a90aa6ed5357cf5c0e60c391df37f186c99",
    "gold_6240": "ac6dd41f183de69bba21dec3954ac73333b7dec871e0defbcce0572d82536890",
    "pixel2": "051845ddefc2bc138f21e2217f6c7827fe280c78375cbfb4b5bd252a888cb950",
    "pixel3": "cf1387da12e06b1d4541ce85f3ca4869d551084e09daf4acf024b6e21a80d465",
    "raspi4": "2fae425c50bcaef7aacc5391244cd0af98bfc7fba689a8741e461cb18192f57c",
    "samsung_a50": "0872cb4ec8ecc7ea1b3bd8c98dd705f2d0f6e4940f3af833b313e484de39b155",
    "samsung_s7": "dbae32364b882022adb044b2aa1af77b66f43a180930d9be4d4c13532429f0ea",
    "silver_4114": "0cce9dc9ba62ad81c21275298a88cb0e4534db6474a878f089df0abb13293421",
    "silver_4210r": "f976049bda39abde94b8f8cac90140cb78a5069fc145c462d6d6bc2f8450727a",
    "titan_rtx_1": "a854dac331e2a37d7dcd6ee1f63d1bc6d73ead3aeb0a86f803f45ea1b294859e",
    "titan_rtx_256": "cff1fba40b1743d3716cfb74c86ac2463d0682c146f356fa9095ac0d02dfb2a5",
    "titan_rtx_32": "1258bee5501fe191530b9898a4f55a122ab30beec9c6ea74598c47a0173babed",
    "titanx_1": "3461cc686263bd0ce4d4cd915bfc2fe067deb139cc68da387741bd6443434cb0",
    "titanx_256": "04ddb80719515687bd3d722235cd5da821b50bd453a9e580b1e9d321dfb92941",
    "titanx_32": "9c4ca69131e34451fb1e104caa47efbe12ffec3cc47bf051613674d7af044ff2",
    "titanxp_1": "935aa0041c6592bed90f2f94ff3b4d40e892c066467864b704e6583682a57b20",
    "titanxp_256": "9f03206bc62b0dcfc882820de07f55dc1fb7f43f57dfc977e4f0f4b019cb5041",
    "titanxp_32": "4b6db63c7a9fb55177aa2649d70031dd86d2ed1609467ef5803dc1089a73cb1b",
}
PHONES = {"essential_ph_1", "pixel2", "samsung_a50", "samsung_s7"}  # integer ms, smaller files
HW_NAS_BENCH_DEVICES = ["eyeriss", "fpga", "pixel3", "raspi4"]  # HW-NAS-Bench's, via HELP


def pinned_sources():
    """(save-as, repository, commit, path in the repository, size, sha256) of every download.
    A save-as under the data directory's layout is installed as downloaded; one under help/ is
    only read by a conversion."""
    manifest = installed_manifest()

    def same(path, repo_commit, repo_path):
        size, sha = manifest[path]
        return (path, repo_commit[0], repo_commit[1], repo_path, size, sha)
    rows = [
        same("nas-bench-macro/nas-bench-macro_cifar10.json", MACRO,
             "data/nas-bench-macro_cifar10.json"),
        same("channel-bench-macro/Results_ResNet.json", CHANNEL, "Results_ResNet.json"),
        same("channel-bench-macro/Results_MobileNet.json", CHANNEL, "Results_MobileNet.json"),
    ]
    for ds in ("cifar10", "cifar100", "imagenet"):
        rows.append(same(f"nas-bench-201/genius/nasbench201_{ds}.json", GENIUS,
                         f"benchmark/nasbench201_{ds}.json"))
    rows.append(same("nas-bench-201/naslib_zc/zc_nasbench201.json", NASLIB_ZC201,
                     "naslib/data/zc_nasbench201.json"))
    rows.append(same("nas-bench-101/naslib_zc/zc_nasbench101.json", NASLIB_ZC101,
                     "naslib/data/zc_nasbench101.json"))
    for device, sha in sorted(HELP_DEVICES.items()):
        rows.append((f"help/{device}.pt", HELP[0], HELP[1],
                     f"data/nasbench201/latency/{device}.pt",
                     31663 if device in PHONES else 141039, sha))
    rows.append(("help/str_arch2idx.pt", HELP[0], HELP[1], "data/nasbench201/str_arch2idx.pt",
                 1536943, "e1d7b7cc7cf51d7c3cd6f9e726e7395bea87d7ba674e26202fb8633f963aef0d"))
    return rows


def installed_manifest():
    out = {}
    for line in INSTALLED.splitlines():
        path, size, sha = line.split()
        out[path] = (int(size), sha)
    return out


class Refused(Exception):
    """A file whose size or sha256 is not the listed one."""


def say(*parts):
    print("fetch_data:", *parts, flush=True)


def fail(message, status=1):
    print("fetch_data: " + message, file=sys.stderr, flush=True)
    sys.exit(status)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(path, size, sha, what):
    """Raises Refused naming `what` when the file at path is not size bytes with this sha256."""
    actual_size = os.path.getsize(path)
    actual_sha = sha256_of(path)
    if actual_size != size or actual_sha != sha:
        raise Refused(f"refused {what}: {actual_size} bytes, sha256 {actual_sha}; expected "
                      f"{size} bytes, sha256 {sha}")


def write_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)


def default_data_dir():
    if os.environ.get("NASGEN_DATA"):
        return os.environ["NASGEN_DATA"]
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return os.path.join(base, "nasgen", "data")


# ---- conversions: each reproduces a published table byte for byte -------------------------------

def csv_bytes(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)  # \r\n line ends, as the published tables have
    return out.getvalue().encode()


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class PlainUnpickler(pickle.Unpickler):
    """Reads lists, dicts, numbers and strings only: a pickle naming any class or function is
    refused instead of run."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: expected plain data")


def load_torch_plain(path):
    """A torch.save zip file holding plain Python objects (no tensors): its data.pkl."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith("/data.pkl")]
        if len(names) != 1:
            raise ValueError(f"{path}: expected one data.pkl in the archive, found {names}")
        return PlainUnpickler(io.BytesIO(z.read(names[0]))).load()


def nb201_names(downloads):
    """Official NB201 index -> arch string, from HELP's str_arch2idx."""
    index = load_torch_plain(os.path.join(downloads, "help/str_arch2idx.pt"))
    names = [None] * len(index)
    for arch, i in index.items():
        names[i] = arch
    return names, index


def macro_csv(downloads):
    table = load_json(os.path.join(downloads, "nas-bench-macro/nas-bench-macro_cifar10.json"))
    stages = [(0, 2), (2, 5), (5, 8)]

    def canonical(key):
        # Identities after a stage's first (strided) layer move to the end of the stage.
        out = ""
        for a, b in stages:
            rest = [c for c in key[a + 1:b] if c != "0"]
            out += key[a] + "".join(rest) + "0" * (b - a - 1 - len(rest))
        return out

    rows = [["arch", "canonical_arch", "is_canonical", "test_acc_seed0", "test_acc_seed1",
             "test_acc_seed2", "mean_acc", "std", "params", "flops"]]
    for key in sorted(table):
        r = table[key]
        rows.append([key, canonical(key), int(key == canonical(key))] +
                    [repr(x) for x in r["test_acc"]] +
                    [repr(r["mean_acc"]), repr(r["std"]), r["params"], r["flops"]])
    return csv_bytes(rows)


def channel_csv(name, max_widths):
    def convert(downloads):
        table = load_json(os.path.join(downloads, f"channel-bench-macro/Results_{name}.json"))
        rows = [["arch"] + [f"ch{i}" for i in range(7)] +
                ["acc_seed0", "acc_seed1", "acc_seed2", "mean", "std", "params", "flops"]]
        for key in sorted(table):
            r = table[key]
            rows.append([key] + [int(d) * m // 4 for d, m in zip(key, max_widths)] +
                        [repr(x) for x in r["acc"]] +
                        [repr(r["mean"]), repr(r["std"]), r["params"], r["flops"]])
        return csv_bytes(rows)
    return convert


def help_latencies(downloads, devices):
    out = {}
    for device in devices:
        values = load_torch_plain(os.path.join(downloads, f"help/{device}.pt"))
        if len(values) != 15625:
            raise ValueError(f"help/{device}.pt: {len(values)} latencies, expected 15625")
        out[device] = values
    return out


def latency_csv(downloads):
    names, _ = nb201_names(downloads)
    devices = sorted(HELP_DEVICES)
    lat = help_latencies(downloads, devices)
    rows = [["index", "arch_str"] + [f"{d}_ms" for d in devices]]
    rows += [[i, names[i]] + [repr(lat[d][i]) for d in devices] for i in range(len(names))]
    return csv_bytes(rows)


def hw_nas_bench_csv(downloads):
    names, _ = nb201_names(downloads)
    lat = help_latencies(downloads, HW_NAS_BENCH_DEVICES)
    rows = [["index", "arch_str"] + [f"{d}_latency_ms" for d in HW_NAS_BENCH_DEVICES]]
    rows += [[i, names[i]] + [repr(lat[d][i]) for d in HW_NAS_BENCH_DEVICES]
             for i in range(len(names))]
    return csv_bytes(rows)


ZC201_SCORES = ["synflow", "grasp", "fisher", "grad_norm", "l2_norm", "plain", "nwot", "epe_nas",
                "jacov", "snip"]
ZC101_SCORES = ["synflow", "grasp", "fisher", "grad_norm", "l2_norm", "plain", "epe_nas", "jacov",
                "snip"]


def zc201_csv(downloads):
    _, index = nb201_names(downloads)
    table = load_json(os.path.join(downloads, "nas-bench-201/naslib_zc/zc_nasbench201.json"))
    # NASLib's op ids; its tuple lists the edges 1<-0, 2<-0, 3<-0, 2<-1, 3<-1, 3<-2.
    ops = ["skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3"]
    rows = [["dataset", "nb201_index", "arch_str", "naslib_op_indices", "naslib_idx",
             "val_accuracy", "flops", "params"] + ZC201_SCORES]
    for dataset, records in table.items():
        for key, r in records.items():
            t = [int(x) for x in key.strip("()").split(",")]
            o = [ops[i] for i in t]
            arch = f"|{o[0]}~0|+|{o[1]}~0|{o[3]}~1|+|{o[2]}~0|{o[4]}~1|{o[5]}~2|"
            rows.append([dataset, index[arch], arch, "".join(map(str, t)), r["idx"],
                         repr(r["val_accuracy"]), repr(r["flops"]["score"]),
                         repr(r["params"]["score"])] +
                        [repr(r[s]["score"]) for s in ZC201_SCORES])
    return csv_bytes(rows)


def zc101_csv(downloads):
    table = load_json(os.path.join(downloads, "nas-bench-101/naslib_zc/zc_nasbench101.json"))
    op_names = ["input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu"]
    rows = [["raw_matrix_7x7_rowmajor", "raw_ops", "pruned_num_vertices", "pruned_num_edges",
             "pruned_matrix_rowmajor", "pruned_ops", "val_accuracy", "flops", "params"] +
            ZC101_SCORES]
    for key, r in table["nasbench101"]["cifar10"].items():
        t = [int(x) for x in key.strip("()").split(",")]
        m = [t[7 * i:7 * i + 7] for i in range(7)]
        ops = [op_names[i] for i in t[49:]]
        # NB101's pruning: keep the vertices on a path from the input to the output.
        from_input, to_output = {0}, {6}
        for i in range(7):
            if i in from_input:
                from_input.update(j for j in range(i + 1, 7) if m[i][j])
        for i in range(6, -1, -1):
            if i in to_output:
                to_output.update(j for j in range(i) if m[j][i])
        keep = [i for i in range(7) if i in from_input and i in to_output]
        pruned = [[m[i][j] for j in keep] for i in keep]
        rows.append(["".join(map(str, t[:49])), " ".join(ops), len(keep), sum(map(sum, pruned)),
                     "".join(str(x) for row in pruned for x in row),
                     " ".join(ops[i] for i in keep), repr(r["val_accuracy"]), repr(r["flops"]),
                     repr(r["params"])] + [repr(r[s]) for s in ZC101_SCORES])
    return csv_bytes(rows)


def find_train_cifar():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.environ.get("NASGEN_BUILD_DIR") or os.path.join(root, "build")
    path = os.path.join(build, "bin", "train_cifar")
    return path if os.access(path, os.X_OK) else shutil.which("train_cifar")


def nb201_stats(dataset):
    """arch string -> (params, FLOPs) of nasgen's NB201 network (C=16, N=5) on dataset."""
    tool = find_train_cifar()
    proc = subprocess.run([tool, "--space", "nb201", "--arch", "all", "--summary", "--channels",
                           "16", "--layers", "5", "--dataset", dataset, "--log-level", "warn"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} --arch all --summary failed: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        j = json.loads(line)
        out[j["arch"]] = (j["params"], j["flops"])
    return out


def nb201_all_csv(downloads):
    names, _ = nb201_names(downloads)
    genius = {ds: load_json(os.path.join(downloads, f"nas-bench-201/genius/nasbench201_{ds}.json"))
              for ds in ("cifar10", "cifar100")}
    stats = {ds: nb201_stats(ds) for ds in ("cifar10", "cifar100")}
    op_ids = {"none": 0, "skip_connect": 1, "nor_conv_1x1": 2, "nor_conv_3x3": 3,
              "avg_pool_3x3": 4}
    rows = [["index", "arch_str", "op_ids", "c10_val_acc", "c10_test_acc", "c10_rank",
             "c100_val_acc", "c100_test_acc", "c100_rank", "c10_params_M", "c10_flops_M",
             "c100_params_M", "c100_flops_M"]]
    for i, arch in enumerate(names):
        digits = "".join(str(op_ids[op]) for op in re.findall(r"\|([a-z0-9_]+)~\d", arch))
        row = [i, arch, digits]
        for ds in ("cifar10", "cifar100"):
            g = genius[ds][arch]
            row += [repr(g["val_acc_200"]), repr(g["test_acc_200"]), g["rank"]]
        for ds in ("cifar10", "cifar100"):
            params, flops = stats[ds][arch]
            row += [f"{params / 1e6:.6f}", f"{flops / 1e6:.6f}"]
        rows.append(row)
    return csv_bytes(rows)


HELP_ALL = [f"help/{d}.pt" for d in sorted(HELP_DEVICES)] + ["help/str_arch2idx.pt"]
HELP_HW = [f"help/{d}.pt" for d in HW_NAS_BENCH_DEVICES] + ["help/str_arch2idx.pt"]

# Installed tables made here: path -> (the downloads it reads, the conversion).
CONVERTED = {
    "nas-bench-macro/nas-bench-macro_cifar10.csv":
        (["nas-bench-macro/nas-bench-macro_cifar10.json"], macro_csv),
    "channel-bench-macro/Results_ResNet.csv":
        (["channel-bench-macro/Results_ResNet.json"],
         channel_csv("ResNet", [256, 256, 256, 512, 512, 512, 512])),
    "channel-bench-macro/Results_MobileNet.csv":
        (["channel-bench-macro/Results_MobileNet.json"],
         channel_csv("MobileNet", [128, 768, 768, 768, 256, 1536, 1024])),
    "nas-bench-201/nb201_all.csv":
        (["nas-bench-201/genius/nasbench201_cifar10.json",
          "nas-bench-201/genius/nasbench201_cifar100.json", "help/str_arch2idx.pt"],
         nb201_all_csv),
    "nas-bench-201/nb201_latency_help.csv": (HELP_ALL, latency_csv),
    "nas-bench-201/naslib_zc/zc_nasbench201.csv":
        (["nas-bench-201/naslib_zc/zc_nasbench201.json", "help/str_arch2idx.pt"], zc201_csv),
    "nas-bench-101/naslib_zc/zc_nasbench101.csv":
        (["nas-bench-101/naslib_zc/zc_nasbench101.json"], zc101_csv),
    "hw-nas-bench/hwnasbench_nb201_cifar10_latency_subset.csv": (HELP_HW, hw_nas_bench_csv),
}


# ---- the two modes -----------------------------------------------------------------------------

def read_sources(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 6 or not parts[4].isdigit():
                fail(f"--sources {path}:{n}: expected save-as, repository, commit, path, size, "
                     f"sha256; found {line!r}", 2)
            rows.append((parts[0], parts[1], parts[2], parts[3], int(parts[4]), parts[5]))
    return rows


def download(url, dest):
    """Fetches url into dest through dest.part, up to three tries (one for a local file or when
    the server says the file is not there); returns an error text or None."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    error = None
    for attempt in range(1 if url.startswith("file:") else 3):
        if attempt:
            time.sleep(2 * attempt)
        try:
            with urllib.request.urlopen(url, timeout=60) as r, open(dest + ".part", "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
            os.replace(dest + ".part", dest)
            return None
        except urllib.error.HTTPError as e:
            error = f"HTTP {e.code} {e.reason}"
            if 400 <= e.code < 500:
                break
        except (urllib.error.URLError, OSError) as e:
            error = str(getattr(e, "reason", e))
    return error


def fetch(args, to):
    sources = read_sources(args.sources) if args.sources else pinned_sources()
    downloads = os.path.join(to, ".downloads")
    manifest = installed_manifest()
    if find_train_cifar() is None:
        fail("nb201_all.csv's params and FLOPs come from nasgen's NB201 network: build "
             "train_cifar first (scripts/build.sh --target train_cifar), or set NASGEN_BUILD_DIR "
             "to the build directory", 2)

    refused, unreachable = [], []
    total = sum(s[4] for s in sources)
    done = 0
    for n, (save_as, repo, commit, path, size, sha) in enumerate(sources, 1):
        dest = os.path.join(downloads, save_as)
        url = f"{args.mirror.rstrip('/')}/{repo}/{commit}/{path}"
        if os.path.exists(dest):  # kept from an interrupted run
            try:
                check(dest, size, sha, save_as)
                done += size
                continue
            except Refused:
                os.remove(dest)
        say(f"[{n}/{len(sources)}] {repo}@{commit[:7]} {path} ({size / 1e6:.1f} MB, "
            f"{100 * done / total:.0f} % done)")
        error = download(url, dest)
        if error:
            unreachable.append(f"{url} ({error})")
            continue
        try:
            check(dest, size, sha, f"{save_as} from {url}")
        except Refused as e:
            os.remove(dest)
            refused.append(str(e))
        done += size
    for line in refused:
        print("fetch_data: " + line + " (a changed or corrupted download)", file=sys.stderr)
    for line in unreachable:
        print("fetch_data: could not download " + line, file=sys.stderr)
    if refused or unreachable:
        fail(f"{len(refused) + len(unreachable)} download(s) failed; nothing installed (verified "
             f"downloads are kept in {downloads}: run again to fetch the rest)")

    # Everything under the data directory's layout, as downloaded or converted, in a staging
    # directory first: one failed check and nothing is installed.
    staging = os.path.join(downloads, ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    have = {s[0] for s in sources}
    staged = []
    for path in manifest:
        size, sha = manifest[path]
        if path in have:
            src = os.path.join(downloads, path)
            os.makedirs(os.path.dirname(os.path.join(staging, path)), exist_ok=True)
            shutil.copyfile(src, os.path.join(staging, path))
        elif path in CONVERTED:
            inputs, convert = CONVERTED[path]
            lacking = [i for i in inputs if i not in have]
            if lacking:
                say(f"not converting {path}: the sources lack {', '.join(lacking)}")
                continue
            say(f"converting {path}")
            try:
                table = convert(downloads)
            except Exception as e:  # a tool or an input the conversion cannot read
                fail(f"converting {path} failed: {e}; nothing installed")
            write_atomic(os.path.join(staging, path), table)
        else:
            continue
        try:
            check(os.path.join(staging, path), size, sha, path)
        except Refused as e:
            fail(f"{e} (the conversion does not reproduce the published table); nothing installed")
        staged.append(path)
    install(staging, staged, to)
    shutil.rmtree(downloads, ignore_errors=True)
    say(f"installed {len(staged)} verified table(s) into {to}")
    left = [p for p in manifest if p not in staged]
    if left:
        say(f"not among the sources, so not installed ({len(left)}): {' '.join(left)}")


def install(src_dir, paths, to):
    for path in paths:
        dest = os.path.join(to, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(src_dir, path), dest + ".part")
        os.replace(dest + ".part", dest)


def from_copy(src, to):
    if not os.path.isdir(src):
        fail(f"--from {src}: no such directory", 2)
    found, missing, refused = [], [], []
    for path, (size, sha) in installed_manifest().items():
        file = os.path.join(src, path)
        if not os.path.isfile(file):
            missing.append(path)
            continue
        try:
            check(file, size, sha, path)
            found.append(path)
        except Refused as e:
            refused.append(str(e))
    for line in refused:
        print("fetch_data: " + line + " (a corrupted or different copy)", file=sys.stderr)
    if refused:
        fail(f"{len(refused)} file(s) of {src} failed the check; nothing installed")
    if not found:
        fail(f"{src} holds none of the benchmark tables (expected e.g. "
             "nas-bench-201/genius/nasbench201_cifar10.json); nothing installed")
    install(src, found, to)
    say(f"installed {len(found)} verified table(s) into {to}")
    if missing:
        say(f"not in {src}, so not installed ({len(missing)}): {' '.join(missing)}")


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `--list-sources | head` ends quietly
    parser = argparse.ArgumentParser(prog="scripts/fetch_data.sh", usage=USAGE, add_help=False)
    parser.add_argument("--to")
    parser.add_argument("--from", dest="source")
    parser.add_argument("--mirror", default="https://raw.githubusercontent.com")
    parser.add_argument("--sources")
    parser.add_argument("--list-sources", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    args, unknown = parser.parse_known_args()
    if args.help:
        print(USAGE)
        return
    if unknown:
        fail(f"unknown option {unknown[0]!r} (scripts/fetch_data.sh --help lists the options)", 2)
    if args.list_sources:
        print("# save-as repository commit path size sha256")
        for row in pinned_sources():
            print(" ".join(str(x) for x in row))
        return
    to = args.to or default_data_dir()
    if args.source:
        from_copy(args.source, to)
    else:
        fetch(args, to)
    if not os.environ.get("NASGEN_DATA") and os.path.abspath(to) != os.path.abspath(
            default_data_dir()):
        say(f"the tools look there when NASGEN_DATA={to} is set")


if __name__ == "__main__":
    main()
