#!/usr/bin/python3
"""NAG GAN speed in PyTorch's Python API: the Python twin of bench/nag_gan.cpp.

What it measures, as the C++ side does through NagGan (generators/nag/nag_gan.cpp):
  train   iterations per second of one epoch over random NAS-Bench-201 cells with random
          accuracies and parameter counts (labels: their terciles, 2 conditions of 3 classes),
          batch 32. One iteration: a fake batch under no-grad (fresh noise, uniform labels),
          d_loss = (mean D(real)^2 + mean (D(fake) - 1)^2) / 2, Adam step of D; fresh noise and
          labels, g_loss = mean D(G(z))^2, Adam step of G (lr 2e-4, betas 0.5, 0.999; gradient
          norm clipped when --clip-norm > 0, off as configured). The losses are read back once,
          at the end of the epoch. Both networks in training mode (dropout on).
  sample  architectures per second of NagGan::sample: for one label row (top accuracy class,
          middle parameter class) the generator under no-grad with its dropout on, D's score in
          eval mode, decoding (edges > 0.5, labels by argmax, cut at num_nodes), the NB201 check
          and repair (the fixed adjacency when the cell has 8 vertices, else pruning the vertices
          off every input -> output path).

The model is nasgen's (generators/nag/gan.cpp, libnas/models/graph_layers.cpp) with the sizes of
configs/nag_multiobj.yaml (g_node_size 64, g_graph_size 32, d_node_size 64, d_graph_size 32, the
rest default: latent 100, label embeddings 10, 3 GNN layers, dropout 0.5, gated-sum readouts,
3 GCN layers, 4 head layers, straight-through fakes). NB201 as a graph: 8 vertices (input, the
six edge ops, output), 7 labels (0 output, 1 input, 2..6 ops). c = z ‖ l2(label_emb_k(label_k)),
L = 100 + 2 * 10.
  Generator cell (one per cell; NB201 has one), DGMG-style, one vertex per step:
    node_emb    Embedding(7, 64)
    init_start  Linear(64 + L, 96), LeakyReLU(0.2), Linear(96, 64)      (node_emb(input) ‖ c)
    per step    if some sample has an edge: 3 layers of dropout, forward + reverse messages
                  Linear(128, 128) summed at the receivers, densely: A^T (x W_src) + indeg
                  (x W_dst + b), and GRUCell(128, 64) with the dropped-out state as hidden;
                  L2-normalised states; kept for the samples with an edge
                readout, readout_init: l2(sum_v Linear(64, 32)(h_v) sigmoid(Linear(64, 1)(h_v)))
                node_add    Linear(32 + L, 32), LeakyReLU, Linear(32, 7) (readout ‖ c), input
                            labels masked to -inf, softmax, argmax (the last slot: the output)
                init_new    l2(Linear(64 + 32 + L, 96), LeakyReLU, Linear(96, 64))
                edges       sigmoid(Linear(96, 1)(LeakyReLU(Linear(128 + 32 + L, 96)(h_u ‖ h_new
                            ‖ readout ‖ c)))) for every earlier vertex u (the per-vertex and the
                            per-sample halves of the product apart); > 0.5 grows A
                the loop ends when every sample has generated its output vertex
    out         soft edges and label softmaxes padded to 8 vertices, zero beyond num_nodes;
                straight-through: hard 0/1 edges and one-hot labels + (soft - soft.detach())
  Discriminator: per cell a GCN over D^-1/2 (A + A^T + I) D^-1/2: Linear(7, 64, no bias), then 3
    layers of dropout, x W (64 x 64, no bias), LeakyReLU between; l2 states; gated-sum readout
    (as above, 64 -> 32) over the first num_nodes vertices; head over readout ‖ l2 label
    embeddings: Linear(52, 26), Linear(26, 13), Linear(13, 6) (dropout before, LeakyReLU after
    each) and Linear(6, 1).
Warm-up: 400 untimed iterations (one epoch) before the timed ones, as the C++ side: early
training goes through phases where the generator emits no edges (no message passing) or stops
early, several times cheaper; from about iteration 300 on it builds full cells with about ten
edges. The train line reports the vertices and edges per cell it builds at the end.
The parameter counts equal the C++ ones (bench/nag_gan_compare.sh checks). What differs: the
GRU cell is nn.GRUCell (ATen's composite cell; the C++ side uses nasgen's fused gru_cell, the
same function), Adam is torch.optim.Adam (the C++ side: FlatAdam, one flat buffer), and the
NB201 check is a boolean function (the C++ side throws and catches nas::Error). `--check-params`
prints the parameter counts and exits.

Threads: torch.set_num_threads(--threads); OPENBLAS_NUM_THREADS=1 before torch loads (as
nas::init_threads does on the C++ side; OpenBLAS threads competing with OpenMP's are slower).

  /usr/bin/python3 bench/nag_gan.py --iters 100 --samples 100 --sample-batches 50 --threads 2
"""

import argparse
import os
import random
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

V, N = 7, 8  # NB201 labels: 0 output, 1 input, 2..6 ops; line-graph vertices
OUTPUT, INPUT_IDS = 0, [1]
K = len(INPUT_IDS)
NB201_EDGES = [(0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)]
FIXED_ADJ = [[(i, j) in NB201_EDGES for j in range(N)] for i in range(N)]

# configs/nag_multiobj.yaml, the rest GanModelConfig's defaults.
LATENT, LABEL_EMB, CONDITIONS, CLASSES = 100, 10, 2, 3
G_NODE, G_GRAPH, G_LAYERS, G_DROPOUT = 64, 32, 3, 0.5
D_NODE, D_GRAPH, D_LAYERS, D_MLP, D_DROPOUT = 64, 32, 3, 4, 0.5
LR, BETAS = 2e-4, (0.5, 0.999)


def leaky(x):
    return F.leaky_relu(x, 0.2)


def l2_normalize(x):
    return F.normalize(x, p=2, dim=-1, eps=1e-12)


def two_layers(a, b, c):
    return nn.Sequential(nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Linear(b, c))


class GraphReadout(nn.Module):
    """Gated sum, L2-normalised: l2(sum_v f(h_v) sigmoid(g(h_v))) over the vertices in mask."""

    def __init__(self, nd, gd):
        super().__init__()
        self.f = nn.Linear(nd, gd)
        self.g = nn.Linear(nd, 1)

    def forward(self, h, mask=None):
        v = self.f(h) * torch.sigmoid(self.g(h))
        if mask is not None:
            v = v * mask.unsqueeze(-1)
        return l2_normalize(v.sum(1))


def summed_edge_messages(x, a, lin):
    """sum over the edges u -> v of lin(x_u ‖ x_v), densely: A^T (x W_src) + indeg (x W_dst + b)."""
    d = x.shape[-1]
    w = lin.weight
    indeg = a.sum(1).unsqueeze(-1)
    return (a.transpose(1, 2).bmm(x.matmul(w[:, :d].t()))
            + indeg * (x.matmul(w[:, d:].t()) + lin.bias))


def vertex_linear(h, x, lin):
    """lin(h_u ‖ x) for every vertex u: h W_h + (x W_x + b)."""
    d = h.shape[-1]
    w = lin.weight
    per_vertex = h.matmul(w[:, :d].t())
    shared = x.matmul(w[:, d:].t()) + lin.bias
    return per_vertex + shared.unsqueeze(1)


def append_vertex(a, incoming):
    b, n, _ = a.shape
    grown = torch.zeros(b, n + 1, n + 1, dtype=a.dtype)
    grown[:, :n, :n] = a
    grown[:, :n, n] = incoming
    return grown


class CellGenerator(nn.Module):
    def __init__(self, cond):
        super().__init__()
        nd, sd = G_NODE, G_GRAPH
        self.node_emb = nn.Embedding(V, nd)
        self.init_start = two_layers(nd + cond, nd + sd, nd)
        self.init_new = two_layers(nd + sd + cond, nd + sd, nd)
        self.msg = nn.ModuleList(nn.Linear(2 * nd, 2 * nd) for _ in range(G_LAYERS))
        self.msg_rev = nn.ModuleList(nn.Linear(2 * nd, 2 * nd) for _ in range(G_LAYERS))
        self.gru = nn.ModuleList(nn.GRUCell(2 * nd, nd) for _ in range(G_LAYERS))
        self.readout = GraphReadout(nd, sd)
        self.readout_init = GraphReadout(nd, sd)
        self.node_add = two_layers(sd + cond, sd, V)
        self.edge_hidden = nn.Linear(2 * nd + sd + cond, nd + sd)
        self.edge_out = nn.Linear(nd + sd, 1)
        not_generated = torch.zeros(V, dtype=torch.bool)
        not_generated[INPUT_IDS] = True
        self.register_buffer("not_generated", not_generated)

    def propagate(self, h, a):
        b, n, nd = h.shape
        at = a.transpose(1, 2)
        for msg, msg_rev, gru in zip(self.msg, self.msg_rev, self.gru):
            x = F.dropout(h, G_DROPOUT, self.training)
            # Edge u -> v sends msg(h_u ‖ h_v) to v and msg_rev(h_v ‖ h_u) to u.
            m = summed_edge_messages(x, a, msg) + summed_edge_messages(x, at, msg_rev)
            h = gru(m.reshape(b * n, 2 * nd), x.reshape(b * n, nd)).view(b, n, nd)
        return l2_normalize(h)

    def forward(self, c):
        b = c.shape[0]
        states, edge_probs, node_probs = [], [None] * N, []
        for k in range(K):
            ids = torch.full((b,), INPUT_IDS[k], dtype=torch.long)
            states.append(self.init_start(torch.cat([self.node_emb(ids), c], 1)))
            node_probs.append(F.one_hot(ids, V).to(c.dtype))
        h = torch.stack(states, 1)
        a = torch.zeros(b, K, K)
        first_output = torch.full((b,), -1, dtype=torch.long)
        output_row = F.one_hot(torch.full((b,), OUTPUT, dtype=torch.long), V).to(c.dtype)
        for n in range(K, N):
            # Samples without an edge yet skip message passing.
            has_edges = a.sum((1, 2)).gt(0)
            if has_edges.any().item():
                h = torch.where(has_edges.view(b, 1, 1), self.propagate(h, a), h)
            hg = self.readout(h)
            hg_init = self.readout_init(h)
            if n == N - 1:
                op = torch.full((b,), OUTPUT, dtype=torch.long)
                prob = output_row
            else:
                logits = self.node_add(torch.cat([hg, c], 1)).masked_fill(self.not_generated,
                                                                          float("-inf"))
                prob = torch.softmax(logits, 1)
                op = prob.argmax(1)
            h_new = l2_normalize(self.init_new(torch.cat([self.node_emb(op), hg_init, c], 1)))
            hidden = vertex_linear(h, torch.cat([h_new, hg, c], 1), self.edge_hidden)
            ep = torch.sigmoid(self.edge_out(leaky(hidden)).squeeze(-1))  # [B, n]
            edge_probs[n] = ep
            node_probs.append(prob)
            a = append_vertex(a, ep.detach().gt(0.5).to(c.dtype))
            h = torch.cat([h, h_new.unsqueeze(1)], 1)
            first_output = torch.where(first_output.lt(0) & op.eq(OUTPUT),
                                       torch.full_like(first_output, n), first_output)
            if not first_output.lt(0).any().item():
                break
        # Pack: column v of adj holds the probabilities of the edges into v.
        cols = []
        for v in range(N):
            if edge_probs[v] is None:
                cols.append(torch.zeros(b, N))
            else:
                cols.append(torch.cat([edge_probs[v], torch.zeros(b, N - v)], 1))
        adj = torch.stack(cols, 2)
        while len(node_probs) < N:
            node_probs.append(torch.zeros(b, V))
        ops = torch.stack(node_probs, 1)
        num = first_output + 1
        valid = torch.arange(N).unsqueeze(0).lt(num.unsqueeze(1)).to(c.dtype)
        adj = adj * valid.unsqueeze(2) * valid.unsqueeze(1)
        ops = ops * valid.unsqueeze(2)
        return adj, ops, num


class Generator(nn.Module):
    def __init__(self, cells=1):
        super().__init__()
        self.label_emb = nn.ModuleList(nn.Embedding(CLASSES, LABEL_EMB) for _ in range(CONDITIONS))
        cond = LATENT + CONDITIONS * LABEL_EMB
        self.cells = nn.ModuleList(CellGenerator(cond) for _ in range(cells))

    def condition(self, z, labels):
        parts = [z] + [l2_normalize(e(labels[:, k])) for k, e in enumerate(self.label_emb)]
        return torch.cat(parts, 1)

    def forward(self, z, labels):
        c = self.condition(z, labels)
        adj, ops, num = [], [], []
        for cell in self.cells:
            a, o, n = cell(c)
            # Straight-through: hard edges and one-hot labels carrying the soft values' gradient.
            valid = torch.arange(o.shape[1]).unsqueeze(0).lt(n.unsqueeze(1)).unsqueeze(2)
            a = a.gt(0.5).to(a.dtype) + (a - a.detach())
            o = (F.one_hot(o.argmax(-1), o.shape[-1]).to(o.dtype) * valid.to(o.dtype)
                 + (o - o.detach()))
            adj.append(a)
            ops.append(o)
            num.append(n)
        return torch.stack(adj, 1), torch.stack(ops, 1), torch.stack(num, 1)


class CellDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(V, D_NODE, bias=False)
        bound = 1.0 / D_NODE ** 0.5
        self.gcn = nn.ParameterList(
            nn.Parameter(torch.empty(D_NODE, D_NODE).uniform_(-bound, bound))
            for _ in range(D_LAYERS))
        self.readout = GraphReadout(D_NODE, D_GRAPH)

    def forward(self, adj, ops, num):
        n = adj.shape[1]
        a = adj + adj.transpose(1, 2) + torch.eye(n).unsqueeze(0)
        d = a.sum(2).pow(-0.5)
        a = d.unsqueeze(2) * a * d.unsqueeze(1)
        x = self.emb(ops)
        for l, w in enumerate(self.gcn):
            x = F.dropout(x, D_DROPOUT, self.training)
            x = a.bmm(x.matmul(w))
            if l + 1 < len(self.gcn):
                x = leaky(x)
        x = l2_normalize(x)
        mask = torch.arange(n).unsqueeze(0).lt(num.unsqueeze(1)).to(x.dtype)
        return self.readout(x, mask)


class Discriminator(nn.Module):
    def __init__(self, cells=1):
        super().__init__()
        self.label_emb = nn.ModuleList(nn.Embedding(CLASSES, LABEL_EMB) for _ in range(CONDITIONS))
        self.cells = nn.ModuleList(CellDiscriminator() for _ in range(cells))
        head, width = [], cells * D_GRAPH + CONDITIONS * LABEL_EMB
        for l in range(D_MLP):
            out = 1 if l + 1 == D_MLP else max(1, width // 2)
            head.append(nn.Linear(width, out))
            width = out
        self.head = nn.ModuleList(head)

    def forward(self, graphs, labels):
        adj, ops, num = graphs
        parts = [cell(adj.select(1, i), ops.select(1, i), num.select(1, i))
                 for i, cell in enumerate(self.cells)]
        parts += [l2_normalize(e(labels[:, k])) for k, e in enumerate(self.label_emb)]
        x = torch.cat(parts, 1)
        for l, lin in enumerate(self.head):
            if l + 1 < len(self.head):
                x = leaky(lin(F.dropout(x, D_DROPOUT, self.training)))
            else:
                x = lin(x)
        return x.squeeze(1)


# ---- data: random NB201 cells with random accuracies and parameter counts ----------------------

def random_records(n, rng):
    """(ops, acc, params) per record; the adjacency is NB201's fixed one."""
    out = []
    for _ in range(n):
        ops = [INPUT_IDS[0]] + [rng.randint(2, 6) for _ in range(6)] + [OUTPUT]
        out.append((ops, rng.uniform(80.0, 95.0), rng.uniform(1e5, 2e6)))
    return out


def fit_scale(values, classes=CLASSES):
    """The K - 1 split points at positions floor(N / K) * i of the sorted values (terciles)."""
    values = sorted(values)
    step = len(values) // classes
    return [values[step * i] for i in range(1, classes)]


def label(bounds, value):
    for i, b in enumerate(bounds):
        if value <= b:
            return i
    return len(bounds)


def to_graph_batch(records):
    """adj [B, 1, N, N], ops [B, 1, N, V] one-hot, num_nodes [B, 1], as the graph view."""
    b = len(records)
    adj = torch.tensor(FIXED_ADJ, dtype=torch.float32).expand(b, 1, N, N).contiguous()
    ops = F.one_hot(torch.tensor([r[0] for r in records]), V).to(torch.float32).unsqueeze(1)
    return adj, ops, torch.full((b, 1), N, dtype=torch.long)


# ---- decoding, as decode_generated with NB201's fixed adjacency as the topology ------------------

def nb201_valid(ops, adj):
    return (len(ops) == N and ops[0] == INPUT_IDS[0] and ops[N - 1] == OUTPUT
            and all(2 <= lab <= 6 for lab in ops[1:N - 1])
            and all(adj[i][j] == FIXED_ADJ[i][j] for i in range(N) for j in range(i + 1, N)))


def prune(ops, adj, sources, sink, keep):
    """The cell without the vertices off every source -> sink path (those in keep stay)."""
    n = len(ops)
    fwd, bwd = [False] * n, [False] * n
    for s in sources:
        fwd[s] = True
    for j in range(n):
        fwd[j] = fwd[j] or any(fwd[i] and adj[i][j] for i in range(j))
    bwd[sink] = True
    for i in range(n - 1, -1, -1):
        bwd[i] = bwd[i] or any(bwd[j] and adj[i][j] for j in range(i + 1, n))
    kept = [i for i in range(n) if (fwd[i] and bwd[i]) or i in keep]
    return ([ops[i] for i in kept],
            [[b > a and adj[kept[a]][kept[b]] for b in range(len(kept))] for a in range(len(kept))])


def decode_generated(adj, ops, num):
    """One (ops, adj) or None per sample: cut at num_nodes, checked, repaired where it can be."""
    hard = adj.gt(0.5).tolist()
    labels = ops.argmax(-1).tolist()
    nums = num.tolist()
    out = []
    for b in range(len(nums)):
        n = nums[b][0]
        cell_ops = labels[b][0][:n]
        cell_adj = [[j > i and hard[b][0][i][j] for j in range(n)] for i in range(n)]
        if nb201_valid(cell_ops, cell_adj):
            out.append((cell_ops, cell_adj))
            continue
        if n == N:
            cell_adj = FIXED_ADJ
        elif n > K:
            cell_ops, cell_adj = prune(cell_ops, cell_adj, list(range(K)), n - 1, list(range(K)))
        out.append((cell_ops, cell_adj) if nb201_valid(cell_ops, cell_adj) else None)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--warmup", type=int, default=400)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--sample-batches", type=int, default=50)
    p.add_argument("--sample-warmup", type=int, default=5)
    p.add_argument("--clip-norm", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check-params", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    g, d = Generator(), Discriminator()
    g_params = sum(t.numel() for t in g.parameters())
    d_params = sum(t.numel() for t in d.parameters())
    if args.check_params:
        print(f"python nag_gan params g_params={g_params} d_params={d_params}")
        return
    opt_g = torch.optim.Adam(g.parameters(), lr=LR, betas=BETAS, eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=LR, betas=BETAS, eps=1e-8)
    batch = args.batch_size

    def random_labels(n):
        return torch.randint(0, CLASSES, (n, CONDITIONS))

    # One data set per epoch (`warmup` iterations, then `iters` timed ones); the terciles are
    # fitted to the timed data.
    timed_data = random_records(args.iters * batch, rng)
    scales = [fit_scale([r[1] for r in timed_data]), fit_scale([r[2] for r in timed_data])]

    def train_epoch(epoch, records):
        real_all = to_graph_batch(records)
        labels_all = torch.tensor([[label(scales[0], r[1]), label(scales[1], r[2])]
                                   for r in records])
        start = time.perf_counter()
        torch.manual_seed(args.seed * 1000 + epoch)
        order = list(range(len(records)))
        rng.shuffle(order)
        index = torch.tensor(order)
        g.train()
        d.train()
        d_losses, g_losses = [], []
        for it in range(len(records) // batch):
            idx = index.narrow(0, it * batch, batch)
            real = tuple(t.index_select(0, idx) for t in real_all)
            real_labels = labels_all.index_select(0, idx)

            fake_labels = random_labels(batch)
            with torch.no_grad():
                fake = g(torch.randn(batch, LATENT), fake_labels)
            d_real = d(real, real_labels)
            d_fake = d(fake, fake_labels)
            d_loss = 0.5 * (d_real.pow(2).mean() + (d_fake - 1.0).pow(2).mean())
            opt_d.zero_grad()
            d_loss.backward()
            if args.clip_norm > 0:
                nn.utils.clip_grad_norm_(d.parameters(), args.clip_norm)
            opt_d.step()

            g_labels = random_labels(batch)
            g_fake = g(torch.randn(batch, LATENT), g_labels)
            g_loss = d(g_fake, g_labels).pow(2).mean()
            opt_g.zero_grad()
            g_loss.backward()
            if args.clip_norm > 0:
                nn.utils.clip_grad_norm_(g.parameters(), args.clip_norm)
            opt_g.step()
            d_losses.append(d_loss.detach())
            g_losses.append(g_loss.detach())
        torch.stack(d_losses).mean().item()
        torch.stack(g_losses).mean().item()
        return time.perf_counter() - start

    if args.warmup > 0:
        train_epoch(1, random_records(args.warmup * batch, rng))
    s = train_epoch(2, timed_data)
    # What the generator builds now, not timed: vertices and edges per cell (message passing is
    # skipped while no sample has an edge, so both set the cost of a forward pass).
    with torch.no_grad():
        adj, _, num = g(torch.randn(batch, LATENT), random_labels(batch))
        nodes = num.double().mean().item()
        edges = adj.gt(0.5).sum().item() / (adj.shape[0] * adj.shape[1])
    print(f"python nag_gan train space=nb201 g_params={g_params} d_params={d_params} batch={batch} "
          f"threads={torch.get_num_threads()} it/s={args.iters / s:.2f} "
          f"ms/it={1000 * s / args.iters:.1f} nodes={nodes:.2f} edges={edges:.2f}", flush=True)

    # NagGan::sample with the top accuracy class and the middle parameter class.
    label_row = torch.tensor([CLASSES - 1, CLASSES // 2])

    def sample(call):
        archs, scores = [], []
        with torch.no_grad():
            torch.manual_seed(args.seed + call)
            g.train(True)
            d.eval()
            for done in range(0, args.samples, 256):
                b = min(256, args.samples - done)
                lab = label_row.unsqueeze(0).expand(b, -1).contiguous()
                fake = g(torch.randn(b, LATENT), lab)
                scores.append(d(fake, lab))
                archs += decode_generated(*fake)
            torch.cat(scores)
            g.train()
            d.train()
        return sum(a is not None for a in archs)

    for i in range(args.sample_warmup):
        sample(i)
    valid = 0
    start = time.perf_counter()
    for i in range(args.sample_batches):
        valid += sample(args.sample_warmup + i)
    s = time.perf_counter() - start
    print(f"python nag_gan sample space=nb201 g_params={g_params} d_params={d_params} "
          f"batch={args.samples} threads={torch.get_num_threads()} "
          f"archs/s={args.sample_batches * args.samples / s:.0f} "
          f"ms/batch={1000 * s / args.sample_batches:.2f} "
          f"valid={valid / (args.sample_batches * args.samples):.3f}")


if __name__ == "__main__":
    main()
