#!/usr/bin/python3
"""Training throughput of the NAO controller (encoder-predictor-decoder) in PyTorch's Python API.

What it measures: architectures per second (and milliseconds per optimizer step) of full
controller training epochs as NAO_V1/train_search.py runs them (nao_train): every batch of a
DataLoader over the architecture pool goes through zero_grad, the forward pass, the loss
0.8 x MSE(predicted value, target) + 0.2 x NLL(decoder log-probabilities, source tokens), the
backward pass, gradient clipping at global L2 norm 5 and an Adam step (lr 1e-3, weight decay
1e-4). The loss is read back every step, as the reference folds it into its running meters. The
DataLoader (shuffle, the per-sample branch swap, collation) is part of what is timed, as it is
part of a controller epoch. A few untimed warm-up epochs come first. One line is printed.

It is the Python counterpart of bench/nao_controller.cpp and builds the controller of NAO_V1
(controller.py, encoder.py, decoder.py) with its defaults for the NAO-WS cell space: 40 source
tokens, vocabulary 12 (token 0 = SOS), encoder length 20.

  encoder     Embedding(12, 48) -> (dropout 0, skipped) -> [B, 40, 48] viewed as [B, 20, 96]
              (two consecutive tokens per step) -> LSTM(96 -> 96, 1 layer, zero initial state)
              -> every output step L2-normalised = H; arch_emb = normalize(mean over time of H)
  predictor   arch_emb -> 3 x (Linear, ReLU, Dropout 0.1): 96 -> 200 -> 200 -> 200
              -> Linear(200 -> 1) -> sigmoid
  decoder     Embedding(12, 96) -> LSTM(96 -> 96, 1 layer) from (h0, c0) = (arch_emb, arch_emb)
              -> attention over H: x = W_in o (no bias), scores = x H^T over the 20 encoder
              steps, softmax, context = scores H, out = tanh(W_out [context, o]) (192 -> 96, no
              bias) -> Linear(96 -> 12) -> log_softmax
  teacher     decoder input = [SOS] + source[:39], target = the 40 source tokens; the LSTM runs
  forcing     over the whole sequence in one call and the attention is batched over all 40
              steps, as the reference does in training (its greedy read-out of the decoded
              symbols is bookkeeping the loss does not use and is left out)

Parameters: encoder 175,073 + decoder 104,460 = 279,533 (`--check-params` verifies the count,
the forward shapes and the data pipeline, then exits; non-zero exit on a mismatch).

Data: `--archs` random valid NAO-WS architectures (normal cell then reduction cell; per node
[x_input, x_op, y_input, y_op] with input token = 1 + uniform 0..i+1 for node i and op token =
7 + uniform 0..4) with targets uniform in (0, 1), from a fixed `--seed`. The Dataset does what
NAODataset(swap=True) of NAO_V1/utils.py does: per sample, one random node of the normal cell
and one of the reduction cell get their two (input, op) branches swapped, and the decoder input
and target are built from the swapped sequence. `--no-swap` keeps the sequences as they are
(still through the same Dataset and DataLoader).

Threads: torch.set_num_threads(--threads). Debian's torch runs its matrix products on OpenBLAS
(pthread build), whose own thread pool that call does not limit; competing with torch's OpenMP
threads it makes 2 threads about 4x slower than 1 here. nas::init_threads keeps OpenBLAS to one
thread on the C++ side, so this script sets OPENBLAS_NUM_THREADS=1 before torch loads (unless
the environment sets it), giving the Python side the same, best, configuration.

Run with Debian's interpreter, which has torch (scripts/bootstrap.sh --bench):
  /usr/bin/python3 bench/nao_controller.py --archs 600 --batch-size 100 --epochs 5 --warmup 1 \\
      --threads 2
"""

import argparse
import math
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402  (after the OpenBLAS setting)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.utils.data  # noqa: E402

# ---- NAO-WS token sequences -------------------------------------------------------------------

NODES = 5
TOKENS_PER_CELL = 4 * NODES          # per node [x_input, x_op, y_input, y_op]
SOURCE_LENGTH = 2 * TOKENS_PER_CELL  # normal cell, then reduction cell
ENCODER_LENGTH = SOURCE_LENGTH // 2  # two tokens per encoder step
VOCAB = 12                           # 0 = SOS, 1..6 = inputs (+1), 7..11 = the 5 ops (+7)
SOS_ID = 0
INPUT_OFFSET = 1
OP_OFFSET = 7
NUM_OPS = 5

# ---- Controller hyper-parameters (NAO_V1 train_search.py defaults) ---------------------------

ENCODER_EMB = 48
HIDDEN = 96
MLP_LAYERS = 3
MLP_HIDDEN = 200
MLP_DROPOUT = 0.1
TRADE_OFF = 0.8       # loss = TRADE_OFF * mse + (1 - TRADE_OFF) * nll
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4
GRAD_BOUND = 5.0

EXPECTED_PARAMS = 279533
EXPECTED_ENCODER_PARAMS = 175073
EXPECTED_DECODER_PARAMS = 104460


def random_arch(rng):
    """One valid NAO-WS architecture as 40 tokens: node i of a cell reads one of the i + 2 states
    before it (s0, s1, nodes 0..i-1), token 1 + state; each branch applies one of 5 ops, token
    7 + op."""
    seq = []
    for _cell in range(2):
        for i in range(NODES):
            for _branch in range(2):
                seq.append(INPUT_OFFSET + rng.randint(0, i + 1))
                seq.append(OP_OFFSET + rng.randint(0, NUM_OPS - 1))
    return seq


def random_target(rng):
    """Uniform in the open interval (0, 1)."""
    while True:
        v = rng.random()
        if v > 0.0:
            return v


def is_valid_arch(seq):
    if len(seq) != SOURCE_LENGTH:
        return False
    for p in range(0, SOURCE_LENGTH, 2):
        node = (p % TOKENS_PER_CELL) // 4
        if not INPUT_OFFSET <= seq[p] <= INPUT_OFFSET + node + 1:
            return False
        if not OP_OFFSET <= seq[p + 1] < OP_OFFSET + NUM_OPS:
            return False
    return True


def swap_branches(seq, a, b):
    """The NAODataset(swap=True) augmentation: node a of the normal cell and node b of the
    reduction cell exchange their (input, op) pairs of branch x and branch y. Both branches of a
    node read from the same range, so the result is valid and describes the same network."""
    out = list(seq)
    for base in (4 * a, TOKENS_PER_CELL + 4 * b):
        out[base:base + 2], out[base + 2:base + 4] = seq[base + 2:base + 4], seq[base:base + 2]
    return out


class ArchDataset(torch.utils.data.Dataset):
    """NAODataset (train=True) of NAO_V1/utils.py: a sample is the (optionally swapped) source
    sequence, its target value, the decoder input [SOS] + source[:-1] and the decoder target
    (the source itself), each as a tensor; the DataLoader's default collate stacks them."""

    def __init__(self, inputs, targets, swap, seed):
        super().__init__()
        assert len(inputs) == len(targets)
        self.inputs = [list(s) for s in inputs]
        self.targets = list(targets)
        self.swap = swap
        self.rng = random.Random(seed)

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, index):
        encoder_input = self.inputs[index]
        if self.swap:
            a = self.rng.randrange(NODES)
            b = self.rng.randrange(NODES)
            encoder_input = swap_branches(encoder_input, a, b)
        decoder_input = [SOS_ID] + encoder_input[:-1]
        return {
            "encoder_input": torch.LongTensor(encoder_input),
            "encoder_target": torch.FloatTensor([self.targets[index]]),
            "decoder_input": torch.LongTensor(decoder_input),
            "decoder_target": torch.LongTensor(encoder_input),
        }


# ---- Model (NAO_V1 encoder.py, decoder.py, controller.py) ------------------------------------


class Encoder(nn.Module):
    """Embedding -> pairs of tokens per step -> LSTM -> normalised outputs H, arch_emb, and the
    performance predictor on arch_emb."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, ENCODER_EMB)
        self.rnn = nn.LSTM(HIDDEN, HIDDEN, 1, batch_first=True)
        widths = [HIDDEN] + [MLP_HIDDEN] * MLP_LAYERS
        self.mlp = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(MLP_LAYERS))
        self.dropout = nn.Dropout(MLP_DROPOUT)
        self.regressor = nn.Linear(MLP_HIDDEN, 1)

    def forward(self, x):
        batch = x.size(0)
        embedded = self.embedding(x)  # [B, 40, 48]; dropout 0 is skipped
        embedded = embedded.view(batch, ENCODER_LENGTH, -1)  # [B, 20, 96]
        out, _ = self.rnn(embedded)  # zero initial state
        outputs = F.normalize(out, 2, dim=-1)
        arch_emb = F.normalize(outputs.mean(dim=1), 2, dim=-1)
        y = arch_emb
        for layer in self.mlp:
            y = self.dropout(F.relu(layer(y)))
        predict_value = torch.sigmoid(self.regressor(y))
        return outputs, arch_emb, predict_value


class Attention(nn.Module):
    """Global dot attention with input / output projections (no biases)."""

    def __init__(self, dim):
        super().__init__()
        self.input_proj = nn.Linear(dim, dim, bias=False)
        self.output_proj = nn.Linear(2 * dim, dim, bias=False)

    def forward(self, output, context):
        # output [B, T, D] decoder states, context [B, S, D] encoder outputs
        x = self.input_proj(output)
        scores = torch.bmm(x, context.transpose(1, 2))  # [B, T, S]
        attn = F.softmax(scores, dim=-1)
        mix = torch.bmm(attn, context)  # [B, T, D]
        return torch.tanh(self.output_proj(torch.cat([mix, output], dim=-1)))


class Decoder(nn.Module):
    """Teacher-forced decoder: one LSTM call over the whole sequence, batched attention, log
    probabilities over the vocabulary at every position."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, HIDDEN)
        self.rnn = nn.LSTM(HIDDEN, HIDDEN, 1, batch_first=True)
        self.attention = Attention(HIDDEN)
        self.out = nn.Linear(HIDDEN, VOCAB)

    def forward(self, decoder_input, hidden, encoder_outputs):
        embedded = self.embedding(decoder_input)  # dropout 0 is skipped
        output, _ = self.rnn(embedded, hidden)
        output = self.attention(output, encoder_outputs)
        return F.log_softmax(self.out(output), dim=-1)  # [B, 40, 12]


class NAOController(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def forward(self, encoder_input, decoder_input):
        encoder_outputs, arch_emb, predict_value = self.encoder(encoder_input)
        h0 = arch_emb.unsqueeze(0)
        log_probs = self.decoder(decoder_input, (h0, h0), encoder_outputs)
        return predict_value, log_probs


def count_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def controller_loss(predict_value, log_probs, encoder_target, decoder_target):
    mse = F.mse_loss(predict_value.view(-1), encoder_target.view(-1))
    nll = F.nll_loss(log_probs.reshape(-1, VOCAB), decoder_target.reshape(-1))
    return TRADE_OFF * mse + (1.0 - TRADE_OFF) * nll


def make_pool(archs, seed):
    rng = random.Random(seed)
    inputs = [random_arch(rng) for _ in range(archs)]
    targets = [random_target(rng) for _ in range(archs)]
    return inputs, targets


# ---- Checks -----------------------------------------------------------------------------------


def check_params():
    """The pinned parameter count, forward shapes and the data pipeline; exit code."""
    failures = []
    torch.manual_seed(0)
    model = NAOController()
    got = count_params(model)
    enc, dec = count_params(model.encoder), count_params(model.decoder)
    ok = (got == EXPECTED_PARAMS and enc == EXPECTED_ENCODER_PARAMS
          and dec == EXPECTED_DECODER_PARAMS)
    print("check-params: nao controller (NAO-WS, 40 tokens, vocab 12): params=%d (expected %d), "
          "encoder=%d (expected %d), decoder=%d (expected %d) %s"
          % (got, EXPECTED_PARAMS, enc, EXPECTED_ENCODER_PARAMS, dec, EXPECTED_DECODER_PARAMS,
             "ok" if ok else "MISMATCH"))
    if not ok:
        failures.append("%d params (encoder %d, decoder %d), expected %d (%d, %d)"
                        % (got, enc, dec, EXPECTED_PARAMS, EXPECTED_ENCODER_PARAMS,
                           EXPECTED_DECODER_PARAMS))

    inputs, targets = make_pool(8, 0)
    valid = all(is_valid_arch(s) for s in inputs) and all(0.0 < t < 1.0 for t in targets)
    swapped_ok = True
    for s in inputs:
        for a in range(NODES):
            for b in range(NODES):
                w = swap_branches(s, a, b)
                swapped_ok &= is_valid_arch(w) and swap_branches(w, a, b) == s
                swapped_ok &= sorted(w) == sorted(s)
    for swap in (True, False):
        loader = torch.utils.data.DataLoader(ArchDataset(inputs, targets, swap, 0), batch_size=4,
                                             shuffle=True)
        batch = next(iter(loader))
        enc_in, dec_in = batch["encoder_input"], batch["decoder_input"]
        dec_tgt, enc_tgt = batch["decoder_target"], batch["encoder_target"]
        teacher = (bool((dec_in[:, 0] == SOS_ID).all())
                   and torch.equal(dec_in[:, 1:], dec_tgt[:, :-1])
                   and torch.equal(enc_in, dec_tgt))
        model.train()
        pred, log_probs = model(enc_in, dec_in)
        loss = controller_loss(pred, log_probs, enc_tgt, dec_tgt)
        shapes = (list(enc_in.shape) == [4, SOURCE_LENGTH] and list(enc_tgt.shape) == [4, 1]
                  and list(pred.shape) == [4, 1]
                  and list(log_probs.shape) == [4, SOURCE_LENGTH, VOCAB])
        normalised = bool(torch.allclose(log_probs.exp().sum(-1), torch.ones(4, SOURCE_LENGTH),
                                         atol=1e-5))
        good = (valid and swapped_ok and teacher and shapes and normalised
                and math.isfinite(loss.item()))
        print("check-forward: swap %s batch=4 input=%s pred=%s log_probs=%s loss=%.4f %s"
              % ("on" if swap else "off", list(enc_in.shape), list(pred.shape),
                 list(log_probs.shape), loss.item(), "ok" if good else "MISMATCH"))
        if not good:
            failures.append("swap %s: data or forward check failed (valid archs %s, swap %s, "
                            "teacher forcing %s, shapes %s, log-softmax %s)"
                            % ("on" if swap else "off", valid, swapped_ok, teacher, shapes,
                               normalised))
    if failures:
        print("nao_controller.py: --check-params failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    print("check-params: all checks passed")
    return 0


# ---- Benchmark --------------------------------------------------------------------------------


def measure(archs, batch_size, epochs, warmup, seed, swap):
    torch.manual_seed(seed)  # model init, dropout masks and the DataLoader's shuffling
    inputs, targets = make_pool(archs, seed)
    dataset = ArchDataset(inputs, targets, swap, seed + 1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    model = NAOController()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    # nao_train switches to training mode once per epoch; nothing in the step changes the mode,
    # so once here is the same thing.
    model.train()

    def step(sample):
        encoder_input = sample["encoder_input"]
        optimizer.zero_grad()  # torch 1.13 default: zero the grads in place
        predict_value, log_probs = model(encoder_input, sample["decoder_input"])
        loss = controller_loss(predict_value, log_probs, sample["encoder_target"],
                               sample["decoder_target"])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), GRAD_BOUND)
        optimizer.step()
        return loss.item(), encoder_input.size(0)

    for _ in range(warmup):
        for sample in loader:
            step(sample)
    sink, trained, steps = 0.0, 0, 0
    start = time.perf_counter()
    for _ in range(epochs):
        for sample in loader:
            loss, n = step(sample)
            sink += loss
            trained += n
            steps += 1
    seconds = time.perf_counter() - start
    print("nao_controller (pytorch): %d archs, batch %d, %d epochs, %d threads, swap %s: "
          "%.1f archs/s (%.1f ms per step)%s"
          % (archs, batch_size, epochs, torch.get_num_threads(), "on" if swap else "off",
             trained / seconds, 1000.0 * seconds / steps,
             "" if math.isfinite(sink) else " (loss not finite)"),
          flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Training archs/s (forward + backward + Adam step) of the NAO controller in "
                    "PyTorch, the Python twin of bench/nao_controller.cpp.")
    parser.add_argument("--archs", type=int, default=600,
                        help="random NAO-WS architectures in the pool (default 600)")
    parser.add_argument("--batch-size", type=int, default=100, help="DataLoader batch size")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs over the pool")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first")
    parser.add_argument("--threads", type=int, default=2,
                        help="intra-op threads (default 2; 0 = all cores)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the pool, the swaps, the init and the shuffling")
    parser.add_argument("--no-swap", action="store_true",
                        help="no branch-swap augmentation (the sequences pass unchanged)")
    parser.add_argument("--check-params", action="store_true",
                        help="verify the parameter count (279,533), forward shapes and data, exit")
    args = parser.parse_args(argv)

    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    if args.check_params:
        return check_params()
    try:
        if args.archs < 1 or args.batch_size < 1:
            raise ValueError("--archs and --batch-size must be >= 1")
        if args.epochs < 1 or args.warmup < 0:
            raise ValueError("--epochs must be >= 1 and --warmup >= 0")
        if args.threads < 0:
            raise ValueError("--threads must be >= 0")
    except ValueError as e:
        print("nao_controller.py: %s" % e, file=sys.stderr)
        return 2
    measure(args.archs, args.batch_size, args.epochs, args.warmup, args.seed, not args.no_swap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
