#!/usr/bin/python3
"""AG-Net generator pre-training speed in PyTorch's Python API: the Python twin of
bench/agnet_pretrain.cpp.

What it measures: reconstruction steps per second on random NAS-Bench-201 cells, each step
drawing a batch of random cells (8 vertices in the line-graph encoding: input, the six edge ops,
output; the fixed adjacency), fresh standard-normal noise, the generator's forward pass, the
per-sample loss (mean label cross-entropy + mean edge binary cross-entropy), backward and an
Adam step (lr 2e-4, betas 0.5, 0.999). The loss is read back every step, as the C++ side does.

The model is nasgen's AG-Net generator (generators/agnet/generator.h, specs/agnet.md §2) with
the same modules, sizes and algorithm:
  embed       Linear(V, 32), ReLU, Linear(32, 32)             (soft: reads raw logits)
  init_start  Linear(64, 64), ReLU, Linear(64, 32)            (start vertex: embed ‖ z)
  init_new    Linear(96, 64), ReLU, Linear(64, 32)            (embed ‖ h_Ginit ‖ z)
  node_type   Linear(64, 32), ReLU, Linear(32, V)             (h_G ‖ z) + -20 on the input label
  edge        Linear(128, 64), ReLU, Linear(64, 1)            (h_u ‖ h_new ‖ h_G ‖ z)
  readouts    two gated sums: sum_v sigmoid(g(h_v)) f(h_v), f: Linear(32, 32), g: Linear(32, 1)
  GNN         per direction 2 layers: messages Linear(32, 32) of the two 16-d halves summed at the
              receiver (dense: A^T x W_src + indeg (x W_dst + b)), GRUCell(32, 16)
The first edge (input -> vertex 1) is fixed at +20; the thresholded edges (logit > 0.5) form the
graph the GNN sees at the next step. `--check-params` prints the parameter count and exits.

Threads: torch.set_num_threads(--threads); OPENBLAS_NUM_THREADS=1 before torch loads (as
nas::init_threads does on the C++ side; OpenBLAS threads competing with OpenMP's are slower).

  /usr/bin/python3 bench/agnet_pretrain.py --steps 300 --batch-size 32 --threads 2
"""

import argparse
import os
import random
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

V, N, K = 7, 8, 1  # NB201 labels: 0 output, 1 input, 2..6 ops
OUTPUT, INPUT = 0, 1
NB201_EDGES = [(0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)]


def mlp2(a, b, c):
    return nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c))


class Readout(nn.Module):
    def __init__(self, nd, gd):
        super().__init__()
        self.f = nn.Linear(nd, gd)
        self.g = nn.Linear(nd, 1)

    def forward(self, h):
        return (self.f(h) * torch.sigmoid(self.g(h))).sum(1)


def summed_messages(x, a, lin):
    d = x.shape[-1]
    w = lin.weight
    indeg = a.sum(1).unsqueeze(-1)
    return a.transpose(1, 2).bmm(x.matmul(w[:, :d].t())) + indeg * (x.matmul(w[:, d:].t()) + lin.bias)


class CellGenerator(nn.Module):
    def __init__(self, nd=32, gd=32, layers=2):
        super().__init__()
        self.nd, self.gd = nd, gd
        half = nd // 2
        self.embed = mlp2(V, nd, nd)
        self.init_start = mlp2(nd + gd, nd + gd, nd)
        self.init_new = mlp2(nd + 2 * gd, nd + gd, nd)
        self.node_type = mlp2(2 * gd, gd, V)
        self.edge_hidden = nn.Linear(2 * nd + 2 * gd, nd + gd)
        self.edge_out = nn.Linear(nd + gd, 1)
        self.readout = Readout(nd, gd)
        self.readout_init = Readout(nd, gd)
        self.fwd_msg = nn.ModuleList(nn.Linear(2 * half, nd) for _ in range(layers))
        self.fwd_gru = nn.ModuleList(nn.GRUCell(nd, half) for _ in range(layers))
        self.bwd_msg = nn.ModuleList(nn.Linear(2 * half, nd) for _ in range(layers))
        self.bwd_gru = nn.ModuleList(nn.GRUCell(nd, half) for _ in range(layers))
        bias = torch.zeros(V)
        bias[INPUT] = -20.0
        self.register_buffer("label_bias", bias)

    def propagate(self, h, a):
        b, n, _ = h.shape
        half = self.nd // 2
        hf, hb = h[:, :, :half], h[:, :, half:]
        at = a.transpose(1, 2)
        for msg, gru in zip(self.fwd_msg, self.fwd_gru):
            m = summed_messages(hf, a, msg)
            hf = gru(m.reshape(b * n, self.nd), hf.reshape(b * n, half)).view(b, n, half)
        for msg, gru in zip(self.bwd_msg, self.bwd_gru):
            m = summed_messages(hb, at, msg)
            hb = gru(m.reshape(b * n, self.nd), hb.reshape(b * n, half)).view(b, n, half)
        return torch.cat([hf, hb], 2)

    def forward(self, z):
        b = z.shape[0]
        one_hot = F.one_hot(torch.full((b,), INPUT, dtype=torch.long), V).to(z.dtype)
        h = self.init_start(torch.cat([self.embed(one_hot), z], 1)).unsqueeze(1)
        rows, cols = [one_hot * 20.0], []
        a = torch.zeros(b, 1, 1)
        for n in range(K, N):
            if n > 1:
                h = self.propagate(h, a)
            hg, hgi = self.readout(h), self.readout_init(h)
            logits = self.node_type(torch.cat([hg, z], 1)) + self.label_bias
            h_new = self.init_new(torch.cat([self.embed(logits), hgi, z], 1))
            if n == 1:
                edges = torch.full((b, 1), 20.0)
            else:
                w = self.edge_hidden.weight
                per_vertex = h.matmul(w[:, :self.nd].t())
                shared = torch.cat([h_new, hg, z], 1).matmul(w[:, self.nd:].t()) + self.edge_hidden.bias
                edges = self.edge_out(torch.relu(per_vertex + shared.unsqueeze(1))).squeeze(-1)
            rows.append(logits)
            cols.append(edges)
            grown = torch.zeros(b, n + 1, n + 1)
            grown[:, :n, :n] = a
            grown[:, :n, n] = (edges.detach() > 0.5).to(z.dtype)
            a = grown
            h = torch.cat([h, h_new.unsqueeze(1)], 1)
        return torch.stack(rows, 1), torch.cat(cols, 1)


def random_targets(batch, rng):
    labels = torch.zeros(batch, N, dtype=torch.long)
    edges = torch.zeros(batch, N * (N - 1) // 2)
    for i in range(batch):
        labels[i, 0] = INPUT
        for v in range(1, 7):
            labels[i, v] = rng.randint(2, 6)
        labels[i, 7] = OUTPUT
        for u, v in NB201_EDGES:
            edges[i, v * (v - 1) // 2 + u] = 1.0
    return labels, edges


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check-params", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    gen = CellGenerator()
    params = sum(t.numel() for t in gen.parameters())
    if args.check_params:
        print(f"python agnet_pretrain params={params}")
        return
    opt = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_sum = 0.0

    def step():
        nonlocal loss_sum
        labels, edges = random_targets(args.batch_size, rng)
        node_logits, edge_logits = gen(torch.randn(args.batch_size, 32))
        node = F.cross_entropy(node_logits.reshape(-1, V), labels.reshape(-1), reduction="none")
        edge = F.binary_cross_entropy_with_logits(edge_logits, edges, reduction="none")
        loss = (node.view(args.batch_size, -1).mean(1) + edge.mean(1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    s = time.perf_counter() - start
    print(f"python agnet_pretrain space=nb201 params={params} batch={args.batch_size} "
          f"threads={torch.get_num_threads()} steps/s={args.steps / s:.1f} "
          f"archs/s={args.steps * args.batch_size / s:.0f} ms/step={1000 * s / args.steps:.2f}")


if __name__ == "__main__":
    main()
