#!/usr/bin/python3
"""Training throughput of a NAO cell network written with PyTorch's Python API.

What it measures: images per second (and milliseconds per step) of full training steps --
forward, cross-entropy (+ 0.4 x the auxiliary loss with --aux), zero_grad, backward, gradient
clipping at global L2 norm 5 and an SGD step (lr 0.025, momentum 0.9, weight decay 3e-4) -- on
one fixed random batch, after a few untimed warm-up steps. There is no data loading, no
drop-path (keep probability 1) and no dropout, so only the network and the optimiser are timed.
One line is printed per (channels, batch) pair.

It is the Python counterpart of bench/train_throughput.cpp and builds exactly the network of
libnas/models/nasnet.cpp and libnas/models/ops.cpp for the NAO spaces (CIFAR stem only), which
in turn follow NAO_V1/model.py (see specs/nao.md, section 2, of the project specs):

  stem        conv3x3 in_channels -> 3C (bias-free) + BN, no ReLU; s0 = s1 = stem output
  cells       3N + 2 cells, reductions at N and 2N + 1 (the per-node width doubles there:
              C, 2C, 4C); (s0, s1) <- (s1, cell(s0, s1))
  cell        CalibrateInputs (MaybeCalibrateSize): s0 gets ReLU + FactorizedReduce if the
              previous cell reduced, else ReLU-conv1x1-BN if its width differs; s1 gets
              ReLU-conv1x1-BN if its width differs. Five nodes, each the sum of two branches
              op(state); in a reduction cell a branch reading s0 or s1 has stride 2. Output:
              the concatenation of every state no branch reads (ascending); an unused s0 / s1 of
              a reduction cell goes through FactorizedReduce (no ReLU) first.
  aux head    on the output of cell 2N + 1, training mode only (--aux)
  classifier  global average pool -> dropout (p = 0 here, skipped) -> Linear

Conventions of ops.h: convs have no bias, BatchNorm2d is affine with eps 1e-5 and momentum 0.1,
every ReLU is out of place, every conv / linear weight is Kaiming-normal (fan_in, gain sqrt 2)
initialised, BN weights / biases stay 1 / 0, linear biases keep the default uniform init. A
stride-2 op maps H to ceil(H / 2) for odd H too (Fashion-MNIST 28 -> 14 -> 7).

Parameter counts exclude the auxiliary head (modules named "auxiliary*"), as nasgen and the NAO
logs report them. `--check-params` verifies the pinned C++ counts (NAONet-A C=36 N=6:
11,470,150; NAONet-B C=36 N=6: 2,921,302) and forward shapes, then exits.

Run with Debian's interpreter, which has torch:
  /usr/bin/python3 bench/train_throughput.py --arch NAONet-B --channels 16 --layers 1 \
      --batch 128 --image-size 28 --in-channels 1 --classes 10 --steps 20 --warmup 3 --threads 2
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- Architectures (libnas/spaces/nao_cell.cpp) ---------------------------------------------

# 40 integers: normal cell then reduction cell, per node [x_input, x_op, y_input, y_op];
# inputs 0 = s0, 1 = s1, 2 + j = node j. Op ids 0-4 are the 5-op set, 5-15 the 11-op set.
NAMED_ARCHS = {
    "naonet-a": "0 7 1 15 2 8 1 7 0 6 1 7 0 8 4 7 1 5 0 7 0 7 1 13 0 6 0 14 0 9 1 10 0 14 2 6 1 11 0 7",
    "naonet-b": "0 1 0 2 0 1 2 2 1 3 0 2 4 0 1 3 2 1 0 3 1 1 1 0 2 1 2 4 1 0 2 3 3 1 2 2 0 2 0 2",
    "naonet-ws": "0 1 0 4 2 2 1 3 1 0 2 0 2 3 1 3 1 2 0 4 1 1 0 3 2 3 2 3 1 0 0 1 0 4 2 4 2 3 2 3",
}
NODES = 5
INTS_PER_CELL = 4 * NODES
NUM_INTS = 2 * INTS_PER_CELL


def parse_arch(text):
    """Arch name or 40 integers -> (list of 40 ints, op set "nao" or "nao-11").

    Mirrors nao_space_for + NaoCellSpace::from_ints: names are case-insensitive; integers may
    be separated by spaces, commas or brackets; the 11-op set is used when any op id is 5-15,
    and mixing the sets is an error. NaoCellSpace::to_ints gives back the ids of the text
    (NAONet-A keeps its ids 5-15), which is what nao_op_kind in nasnet.cpp dispatches on."""
    t = text.strip()
    named = NAMED_ARCHS.get(t.lower())
    if named is not None:
        t = named
    for ch in ",[]()":
        t = t.replace(ch, " ")
    try:
        ints = [int(p) for p in t.split()]
    except ValueError:
        raise ValueError("--arch %r: expected 40 integers or NAONet-A, NAONet-B, NAONet-WS" % text)
    if len(ints) != NUM_INTS:
        raise ValueError("--arch: expected 40 integers (normal cell, then reduction cell), found %d"
                         % len(ints))
    ops = ints[1::2]
    bad = [v for v in ops if not 0 <= v <= 15]
    if bad:
        raise ValueError("--arch: op id %d is out of range; NAO op ids are 0-4 or 5-15" % bad[0])
    five, eleven = any(v <= 4 for v in ops), any(v >= 5 for v in ops)
    if five and eleven:
        raise ValueError("--arch: the arch mixes op ids of the 5-op set (0-4) and the 11-op set (5-15)")
    for p in range(0, NUM_INTS, 2):
        node = (p % INTS_PER_CELL) // 4
        if not 0 <= ints[p] <= node + 1:
            raise ValueError("--arch: input %d at position %d is out of range; node %d reads 0..%d"
                             % (ints[p], p, node, node + 1))
    return ints, ("nao-11" if eleven else "nao")


def cell_plans(ints):
    """(normal, reduction) plans as in nao_cell_plans: per node two (input, op id) branches, and
    concat = the states (0..6) no branch reads, ascending."""
    plans = []
    for c in range(2):
        nodes, used = [], [0] * (NODES + 2)
        for i in range(NODES):
            base = c * INTS_PER_CELL + 4 * i
            node = [(ints[base + 2 * b], ints[base + 2 * b + 1]) for b in range(2)]
            for inp, _ in node:
                used[inp] += 1
            nodes.append(node)
        plans.append((nodes, [s for s in range(NODES + 2) if used[s] == 0]))
    return plans


# ---- Ops (libnas/models/ops.cpp) --------------------------------------------------------------


def batch_norm(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1, affine=True)


def conv(cin, cout, kernel, stride, padding, groups=1):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, groups=groups, bias=False)


class Identity(nn.Module):
    def forward(self, x):
        return x


class ReLUConvBN(nn.Module):
    """ReLU -> conv kxk (stride, padding) -> BN (NAO ops 6, 7 and the 1x1 calibration)."""

    def __init__(self, cin, cout, kernel, stride, padding):
        super().__init__()
        self.conv = conv(cin, cout, kernel, stride, padding)
        self.bn = batch_norm(cout)

    def forward(self, x):
        return self.bn(self.conv(F.relu(x)))


class SepConv(nn.Module):
    """ReLU -> dw kxk (stride) -> pw 1x1 -> BN -> ReLU -> dw kxk -> pw 1x1 -> BN (ops 0, 1)."""

    def __init__(self, cin, cout, kernel, stride, padding):
        super().__init__()
        self.dw1 = conv(cin, cin, kernel, stride, padding, groups=cin)
        self.pw1 = conv(cin, cin, 1, 1, 0)
        self.bn1 = batch_norm(cin)
        self.dw2 = conv(cin, cin, kernel, 1, padding, groups=cin)
        self.pw2 = conv(cin, cout, 1, 1, 0)
        self.bn2 = batch_norm(cout)

    def forward(self, x):
        y = self.bn1(self.pw1(self.dw1(F.relu(x))))
        return self.bn2(self.pw2(self.dw2(F.relu(y))))


class FacConv(nn.Module):
    """ReLU -> conv 1xk stride (1, s) -> BN -> ReLU -> conv kx1 stride (s, 1) -> BN (ops 8, 9)."""

    def __init__(self, cin, cout, kernel, stride):
        super().__init__()
        pad = kernel // 2
        self.conv1 = conv(cin, cout, (1, kernel), (1, stride), (0, pad))
        self.bn1 = batch_norm(cout)
        self.conv2 = conv(cout, cout, (kernel, 1), (stride, 1), (pad, 0))
        self.bn2 = batch_norm(cout)

    def forward(self, x):
        y = self.bn1(self.conv1(F.relu(x)))
        return self.bn2(self.conv2(F.relu(y)))


class Pool(nn.Module):
    """Pooling only (no BN, no conv). The 2x2 pools (ops 10, 13) first pad one zero row and
    column at the bottom / right -- zeros, not -inf -- then pool with implicit padding 0."""

    def __init__(self, kind, kernel, padding, count_include_pad, zero_pad, stride):
        super().__init__()
        self.kind, self.kernel, self.padding = kind, kernel, padding
        self.count_include_pad, self.zero_pad, self.stride = count_include_pad, zero_pad, stride

    def forward(self, x):
        if self.zero_pad:
            x = F.pad(x, (0, 1, 0, 1), value=0.0)
        if self.kind == "max":
            return F.max_pool2d(x, self.kernel, self.stride, self.padding)
        return F.avg_pool2d(x, self.kernel, self.stride, self.padding, ceil_mode=False,
                            count_include_pad=self.count_include_pad)


class FactorizedReduce(nn.Module):
    """Stride 2, cin -> cout: path 1 = 1x1 conv stride 2 on x; path 2 = the same on x shifted by
    one pixel (zero row / column padded at the bottom / right, first row / column dropped);
    concat (path 1 first) -> BN(cout). ReLU in front only when relu_first (calibration)."""

    def __init__(self, cin, cout, relu_first):
        super().__init__()
        assert cout >= 2 and cout % 2 == 0, "FactorizedReduce needs an even output width"
        self.relu_first = relu_first
        self.conv1 = conv(cin, cout // 2, 1, 2, 0)
        self.conv2 = conv(cin, cout // 2, 1, 2, 0)
        self.bn = batch_norm(cout)

    def forward(self, x):
        x = F.relu(x) if self.relu_first else x
        shifted = F.pad(x, (0, 1, 0, 1), value=0.0)[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv1(x), self.conv2(shifted)], 1))


# NAO op id -> pool (type, kernel, padding, count_include_pad, zero pad right/bottom), from
# pool_spec in ops.cpp. Ids 2 and 14 differ only in count_include_pad.
POOLS = {
    2: ("avg", 3, 1, False, False),
    3: ("max", 3, 1, False, False),
    10: ("max", 2, 0, False, True),
    11: ("max", 3, 1, False, False),
    12: ("max", 5, 2, False, False),
    13: ("avg", 2, 0, True, True),
    14: ("avg", 3, 1, True, False),
    15: ("avg", 5, 2, True, False),
}


def make_op(op_id, c, stride):
    """nao_op_kind (nasnet.cpp) + make_op (ops.cpp) for the NAO family (no ReLU before the
    FactorizedReduce of a stride-2 identity)."""
    if op_id in (4, 5):
        return Identity() if stride == 1 else FactorizedReduce(c, c, relu_first=False)
    if op_id == 0:
        return SepConv(c, c, 3, stride, 1)
    if op_id == 1:
        return SepConv(c, c, 5, stride, 2)
    if op_id == 6:
        return ReLUConvBN(c, c, 1, stride, 0)
    if op_id == 7:
        return ReLUConvBN(c, c, 3, stride, 1)
    if op_id == 8:
        return FacConv(c, c, 3, stride)
    if op_id == 9:
        return FacConv(c, c, 7, stride)
    if op_id in POOLS:
        return Pool(*POOLS[op_id], stride=stride)
    raise ValueError("nao: op id %d is out of range 0..15" % op_id)


class CalibrateInputs(nn.Module):
    """MaybeCalibrateSize / CalibrateInputsImpl (NAO: only the projections the shapes need)."""

    def __init__(self, c0, c1, channels, reduce_s0):
        super().__init__()
        self.s0 = None
        self.s1 = None
        if reduce_s0:
            self.s0 = FactorizedReduce(c0, channels, relu_first=True)
        elif c0 != channels:
            self.s0 = ReLUConvBN(c0, channels, 1, 1, 0)
        if c1 != channels:
            self.s1 = ReLUConvBN(c1, channels, 1, 1, 0)

    def forward(self, s0, s1):
        return (self.s0(s0) if self.s0 is not None else s0,
                self.s1(s1) if self.s1 is not None else s1)


class Cell(nn.Module):
    """BranchCellImpl of the NAO family (drop-path omitted: the bench keeps probability 1, where
    the C++ cell skips it too)."""

    def __init__(self, plan, c0, c1, channels, reduction, reduce_s0):
        super().__init__()
        nodes, concat = plan
        self.nodes = [[inp for inp, _ in node] for node in nodes]
        self.concat = list(concat)
        self.calibrate = CalibrateInputs(c0, c1, channels, reduce_s0)
        self.branch_ops = []
        for j, node in enumerate(nodes):
            pair = []
            for b, (inp, op_id) in enumerate(node):
                stride = 2 if reduction and inp < 2 else 1
                op = make_op(op_id, channels, stride)
                self.add_module("node%d_%s" % (j, "x" if b == 0 else "y"), op)
                pair.append(op)
            self.branch_ops.append(pair)
        self.concat_reduce = []
        for s in self.concat:
            reduce = None
            if reduction and s < 2:
                reduce = FactorizedReduce(channels, channels, relu_first=False)
                self.add_module("reduce_s%d" % s, reduce)
            self.concat_reduce.append(reduce)
        self.out_channels = channels * len(self.concat)

    def forward(self, s0, s1):
        states = list(self.calibrate(s0, s1))
        for inputs, (op_x, op_y) in zip(self.nodes, self.branch_ops):
            states.append(op_x(states[inputs[0]]) + op_y(states[inputs[1]]))
        outs = [r(states[s]) if r is not None else states[s]
                for s, r in zip(self.concat, self.concat_reduce)]
        return torch.cat(outs, 1)


class AuxHead(nn.Module):
    """ReLU -> avg pool to 2x2 (8x8: k5 s3, 7x7: k5 s2, otherwise adaptive; padding not counted)
    -> conv1x1 128 -> BN -> ReLU -> conv2x2 768 -> BN -> ReLU -> Linear(768 -> classes)."""

    def __init__(self, cin, num_classes):
        super().__init__()
        self.conv1 = conv(cin, 128, 1, 1, 0)
        self.bn1 = batch_norm(128)
        self.conv2 = conv(128, 768, 2, 1, 0)
        self.bn2 = batch_norm(768)
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        y = F.relu(x)
        size = x.size(2) if x.size(2) == x.size(3) else None
        if size == 8:
            y = F.avg_pool2d(y, 5, 3, 0, ceil_mode=False, count_include_pad=False)
        elif size == 7:
            y = F.avg_pool2d(y, 5, 2, 0, ceil_mode=False, count_include_pad=False)
        else:
            y = F.adaptive_avg_pool2d(y, (2, 2))
        y = F.relu(self.bn1(self.conv1(y)))
        y = F.relu(self.bn2(self.conv2(y)))
        return self.classifier(y.flatten(1))


class NAONetwork(nn.Module):
    """CellNetworkImpl with the CIFAR stem and NAO two-branch cells."""

    def __init__(self, arch_ints, channels, layers, num_classes, in_channels, auxiliary=False,
                 dropout=0.0):
        super().__init__()
        if channels < 2 or channels % 2:
            raise ValueError("expected an even channels >= 2 (FactorizedReduce splits the width "
                             "in halves), found %d" % channels)
        if layers < 1 or num_classes < 1 or in_channels < 1 or not 0.0 <= dropout < 1.0:
            raise ValueError("expected layers, classes, in_channels >= 1 and dropout in [0, 1)")
        plans = cell_plans(arch_ints)
        n, total = layers, 3 * layers + 2
        self.aux_index = 2 * n + 1
        self.stem_conv = conv(in_channels, 3 * channels, 3, 1, 1)
        self.stem_bn = batch_norm(3 * channels)
        c0 = c1 = 3 * channels
        width, reduce_s0, aux_in = channels, False, 0
        self.cells = []
        for i in range(total):
            reduction = i in (n, 2 * n + 1)
            if reduction:
                width *= 2
            cell = Cell(plans[1 if reduction else 0], c0, c1, width, reduction, reduce_s0)
            self.add_module("cell%d" % i, cell)
            self.cells.append(cell)
            c0, c1 = c1, cell.out_channels
            reduce_s0 = reduction
            if i == self.aux_index:
                aux_in = c1
        self.auxiliary_head = AuxHead(aux_in, num_classes) if auxiliary else None
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(c1, num_classes)
        # init_kaiming: every parameter with >= 2 dims (conv and linear weights, aux included).
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() >= 2:
                    nn.init.kaiming_normal_(p, a=0, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        """(logits, aux logits or None); aux only in training mode with the auxiliary head."""
        s0 = s1 = self.stem_bn(self.stem_conv(x))
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == self.aux_index and self.training and self.auxiliary_head is not None:
                aux = self.auxiliary_head(s1)
        y = F.adaptive_avg_pool2d(s1, 1).flatten(1)
        if self.dropout_p > 0.0:
            y = self.dropout(y)
        return self.classifier(y), aux


def count_params(model):
    """Trainable parameters outside the auxiliary head (model_stats in network.cpp)."""
    return sum(p.numel() for name, p in model.named_parameters()
               if p.requires_grad and not name.startswith("auxiliary"))


# ---- Checks -----------------------------------------------------------------------------------


def check_params():
    """The pinned counts of test/trainers/train_cifar_test.cpp and forward shapes; exit code."""
    failures = []
    pinned = [("NAONet-A", 11470150, 432), ("NAONet-B", 2921302, None)]
    for name, expected, classifier_in in pinned:
        ints, _ = parse_arch(name)
        torch.manual_seed(0)
        model = NAONetwork(ints, 36, 6, 10, 3, auxiliary=True)
        got = count_params(model)
        total = sum(p.numel() for p in model.parameters())
        ok = got == expected
        print("check-params: %s C=36 N=6 3x32x32 10 classes: params=%d (expected %d) "
              "with aux=%d %s" % (name, got, expected, total, "ok" if ok else "MISMATCH"))
        if not ok:
            failures.append("%s: %d params, expected %d" % (name, got, expected))
        if classifier_in is not None and model.classifier.in_features != classifier_in:
            failures.append("%s: classifier reads %d channels, expected %d"
                            % (name, model.classifier.in_features, classifier_in))
    for name in ("NAONet-A", "NAONet-B", "NAONet-WS"):
        ints, _ = parse_arch(name)
        for layers in (1, 2):
            for cin, size in ((1, 28), (3, 32)):
                torch.manual_seed(0)
                model = NAONetwork(ints, 16, layers, 10, cin, auxiliary=True)
                x = torch.randn(2, cin, size, size)
                model.train()
                logits, aux = model(x)
                model.eval()
                with torch.no_grad():
                    eval_logits, eval_aux = model(x)
                ok = (list(logits.shape) == [2, 10] and aux is not None
                      and list(aux.shape) == [2, 10] and list(eval_logits.shape) == [2, 10]
                      and eval_aux is None)
                print("check-forward: %s C=16 N=%d input=%dx%dx%d logits=%s aux=%s eval=%s %s"
                      % (name, layers, cin, size, size, list(logits.shape),
                         None if aux is None else list(aux.shape), list(eval_logits.shape),
                         "ok" if ok else "MISMATCH"))
                if not ok:
                    failures.append("%s N=%d %dx%dx%d: bad output shapes" % (name, layers, cin,
                                                                            size, size))
    if failures:
        print("train_throughput.py: --check-params failed: " + "; ".join(failures),
              file=sys.stderr)
        return 1
    print("check-params: all checks passed")
    return 0


# ---- Benchmark --------------------------------------------------------------------------------


def positive_list(text, what):
    try:
        values = [int(p.strip()) for p in text.split(",")]
    except ValueError:
        raise ValueError("%s: expected comma-separated integers, found %r" % (what, text))
    if not values or any(v <= 0 for v in values):
        raise ValueError("%s: expected positive values, found %r" % (what, text))
    return values


def measure(arch_label, arch_ints, channels, layers, batch, image_size, in_channels, classes,
            steps, warmup, aux, channels_last):
    torch.manual_seed(0)
    model = NAONetwork(arch_ints, channels, layers, classes, in_channels, auxiliary=aux)
    params = count_params(model)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    # As in train_cifar.py: SGD over all parameters (weight decay on BN and biases too).
    optimizer = torch.optim.SGD(model.parameters(), 0.025, momentum=0.9, weight_decay=3e-4)
    x = torch.randn(batch, in_channels, image_size, image_size).contiguous(memory_format=layout)
    y = torch.randint(0, classes, (batch,), dtype=torch.long)
    # train_cifar.py switches to training mode once per epoch and the C++ bench once per run;
    # nothing in the step changes the mode, so once here is the same thing.
    model.train()

    def step():
        logits, aux_logits = model(x)
        loss = F.cross_entropy(logits, y)
        if aux_logits is not None:
            loss = loss + 0.4 * F.cross_entropy(aux_logits, y)
        optimizer.zero_grad()  # torch 1.13 default: zero the grads in place
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        return loss

    # The loss is read every step, warm-up included: bench/train_throughput.cpp does (the
    # Trainer's progress line and NaN check), and train_cifar.py folds loss.data into its
    # running meter every step. On the CPU this read is a copy of one float, not a sync.
    for _ in range(warmup):
        step().item()
    sink = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        sink += step().item()
    seconds = time.perf_counter() - start
    print("train_throughput.py: arch=%s C=%d N=%d batch=%d input=%dx%dx%d aux=%d device=cpu "
          "threads=%d layout=%s params=%d images/s=%.1f ms/step=%.2f%s"
          % (arch_label, channels, layers, batch, in_channels, image_size, image_size,
             1 if aux else 0, torch.get_num_threads(),
             "channels_last" if channels_last else "contiguous", params, batch * steps / seconds,
             1000.0 * seconds / steps, "" if math.isfinite(sink) else " (loss not finite)"),
          flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Training images/s (forward + backward + SGD step) of a NAO network in "
                    "PyTorch, the Python twin of bench/train_throughput.cpp.")
    parser.add_argument("--arch", nargs="+", default=["NAONet-B"],
                        help="NAONet-A, NAONet-B, NAONet-WS or 40 integers (default NAONet-B)")
    parser.add_argument("--channels", default="16", help="base widths C, comma-separated")
    parser.add_argument("--layers", type=int, default=1, help="normal cells per stage N")
    parser.add_argument("--batch", default="128", help="batch sizes, comma-separated")
    parser.add_argument("--image-size", type=int, default=28, help="input height = width")
    parser.add_argument("--in-channels", type=int, default=1, help="input channels")
    parser.add_argument("--classes", type=int, default=10, help="classifier outputs")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads (0 = all cores, as in the C++ program)")
    parser.add_argument("--aux", action="store_true",
                        help="with the auxiliary head and its loss (weight 0.4)")
    parser.add_argument("--memory-format", choices=["contiguous", "channels_last"],
                        default="contiguous",
                        help="layout of weights and input (default contiguous, as the NAO "
                             "reference and most PyTorch code train)")
    parser.add_argument("--check-params", action="store_true",
                        help="verify the pinned C++ parameter counts and forward shapes, exit")
    args = parser.parse_args(argv)

    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    if args.check_params:
        return check_params()
    try:
        arch_label = " ".join(args.arch)
        arch_ints, _ = parse_arch(arch_label)
        channels = positive_list(args.channels, "--channels")
        batches = positive_list(args.batch, "--batch")
        if any(c < 2 or c % 2 for c in channels):
            raise ValueError("--channels: expected even widths >= 2 (FactorizedReduce splits the "
                             "width in halves), found %r" % args.channels)
        if args.steps < 1 or args.warmup < 0:
            raise ValueError("--steps must be >= 1 and --warmup >= 0")
        if args.image_size < 1 or args.in_channels < 1 or args.classes < 1 or args.layers < 1:
            raise ValueError("--image-size, --in-channels, --classes and --layers must be >= 1")
    except ValueError as e:
        print("train_throughput.py: %s" % e, file=sys.stderr)
        return 2
    print("pytorch %s, %d intra-op threads" % (torch.__version__, torch.get_num_threads()),
          flush=True)
    for c in channels:
        for batch in batches:
            measure(arch_label, arch_ints, c, args.layers, batch, args.image_size,
                    args.in_channels, args.classes, args.steps, args.warmup, args.aux,
                    args.memory_format == "channels_last")
    return 0


if __name__ == "__main__":
    sys.exit(main())
