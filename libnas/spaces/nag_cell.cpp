#include "libnas/spaces/nag_cell.h"

#include <cmath>
#include <unordered_set>
#include <utility>

#include "libnas/spaces/nb101.h"
#include "libnas/util/error.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

const char* const kCellWhat[2] = {"nag normal cell", "nag reduction cell"};
const char* const kFormHint =
    "expected '<normal>|<reduction>' with each cell as 'rows;ops' (e.g. "
    "'001,001,000;input0,input1,output|001,001,000;input0,input1,output'), JSON "
    "{\"normal\": {\"matrix\": ..., \"ops\": ...}, \"reduction\": {...}}, or a published name "
    "(RS-NAG, RS-NAG-E1, RS-NAG-E2, RS-NAG-E3)";

// The genotypes published with NAG (vertex order and matrices exactly as released).
struct Published {
  const char* name;
  const char* text;
};
const Published kPublished[] = {
    {"RS-NAG",
     "001000101,001111011,000000011,000011101,000001101,000000010,000000010,000000001,000000000;"
     "input0,input1,seqconv3x3,seqconv5x5,maxpool3x3,seqconv5x5,seqconv5x5,seqconv5x5,output|"
     "001101,001111,000101,000001,000001,000000;"
     "input0,input1,seqconv5x5,seqconv3x3,seqconv5x5,output"},
    {"RS-NAG-E1",
     "00111010,00111100,00010110,00001011,00000011,00000010,00000001,00000000;"
     "input0,input1,seqconv3x3,avgpool3x3,maxpool3x3,maxpool3x3,maxpool3x3,output|"
     "0010,0010,0001,0000;input0,input1,maxpool3x3,output"},
    {"RS-NAG-E2",
     "00111,00100,00010,00001,00000;input0,input1,seqconv3x3,avgpool3x3,output|"
     "0011,0010,0001,0000;input0,input1,seqconv3x3,output"},
    {"RS-NAG-E3",
     "00100100,00111111,00011111,00000100,00000100,00000011,00000001,00000000;"
     "input0,input1,maxpool3x3,identity,seqconv5x5,maxpool3x3,seqconv5x5,output|"
     "00111,00110,00011,00001,00000;input0,input1,maxpool3x3,maxpool3x3,output"},
};

std::string op_label(const OpVocab& vocab, int op) {
  if (op >= 0 && op < vocab.size())
    return fmt::format("{} (id {})", vocab.names[static_cast<size_t>(op)], op);
  return fmt::format("op id {}", op);
}

bool output_reachable(const CellDag& cell) {
  const int n = cell.num_nodes();
  return live_nodes(cell, {0, 1}, n - 1)[static_cast<size_t>(n - 1)];
}

// The edges an edge flip may touch: every i<j except input0->input1, row-major.
std::vector<std::pair<int, int>> flippable_edges(int n) {
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (!(i == 0 && j == 1)) out.emplace_back(i, j);
  return out;
}

}  // namespace

NagCellSpace::NagCellSpace() {
  vocab_.names = {"output",     "input0",     "input1",     "seqconv3x3",
                  "seqconv5x5", "avgpool3x3", "maxpool3x3", "identity"};
  vocab_.input_ids = {kInput0, kInput1};
  vocab_.output_id = kOutput;
}

std::string NagCellSpace::name() const { return "nag"; }

std::string NagCellSpace::description() const {
  return "NAG cells: normal + reduction DAGs of <= 10 vertices (2 inputs, <= 7 ops, output; "
         "text: rows;ops|rows;ops or RS-NAG)";
}

int NagCellSpace::op_id(const std::string& name, const std::string& what) const {
  return vocab_.id(name, what);
}

CellDag NagCellSpace::canonical_cell(const CellDag& cell) {
  return prune(cell, {0, 1}, cell.num_nodes() - 1, {0, 1});
}

std::vector<std::string> NagCellSpace::published_names() {
  std::vector<std::string> out;
  for (const auto& p : kPublished) out.emplace_back(p.name);
  return out;
}

Arch NagCellSpace::published(const std::string& name) {
  for (const auto& p : kPublished)
    if (to_lower(name) == to_lower(p.name)) return NagCellSpace().parse(p.text);
  fail("nag arch: unknown genotype name {}; known names: {}", quote(name),
       join(published_names(), ", "));
}

Arch NagCellSpace::parse(const std::string& text) const {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(), "nag arch: empty text; {}", kFormHint);
  Arch arch;
  if (t.front() == '{') {
    Json j = parse_json(t, "nag arch JSON");
    NAS_CHECK(j.is_object(), "nag arch JSON: found {}; {}", j.type_name(), kFormHint);
    for (const auto& kv : j.items())
      NAS_CHECK(kv.key() == "normal" || kv.key() == "reduction",
                "nag arch JSON: unknown key {}; expected only \"normal\" and \"reduction\"",
                quote(kv.key()));
    for (int ci = 0; ci < 2; ++ci) {
      const char* key = ci == 0 ? "normal" : "reduction";
      NAS_CHECK(j.contains(key), "nag arch JSON: missing \"{}\"; {}", key, kFormHint);
      auto resolve = [this, ci](const std::string& n) { return op_id(n, kCellWhat[ci]); };
      arch.cells.push_back(cell_from_json(j.at(key), resolve, kCellWhat[ci]));
    }
  } else if (t.find(';') == std::string::npos && t.find('|') == std::string::npos) {
    for (const auto& p : kPublished)
      if (to_lower(t) == to_lower(p.name)) return parse(p.text);
    fail("nag arch: {} is neither a published genotype name ({}) nor cell text; {}", quote(t),
         join(published_names(), ", "), kFormHint);
  } else {
    auto parts = split(t, '|');
    NAS_CHECK(parts.size() == 2, "nag arch: {} has {} '|'-separated cells, expected 2; {}",
              quote(t), parts.size(), kFormHint);
    for (int ci = 0; ci < 2; ++ci) {
      auto resolve = [this, ci](const std::string& n) { return op_id(n, kCellWhat[ci]); };
      arch.cells.push_back(parse_rows_ops(parts[static_cast<size_t>(ci)], resolve, kCellWhat[ci]));
    }
  }
  validate(arch);
  return arch;
}

std::string NagCellSpace::format(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 2, "nag arch: expected 2 cells (normal, reduction), found {}",
            arch.cells.size());
  std::string out;
  for (int ci = 0; ci < 2; ++ci) {
    check_shape(arch.cells[static_cast<size_t>(ci)], kCellWhat[ci]);
    if (ci) out.push_back('|');
    out += format_rows_ops(arch.cells[static_cast<size_t>(ci)], vocab_);
  }
  return out;
}

void NagCellSpace::validate_cell(const CellDag& cell, const std::string& what,
                                 bool require_canonical) const {
  const int n = cell.num_nodes();
  NAS_CHECK(n >= kMinVertices,
            "{}: has {} vertices; a cell needs at least input0, input1 and output", what, n);
  NAS_CHECK(n <= kMaxVertices,
            "{}: has {} vertices, at most {} are allowed (2 inputs, up to 7 op vertices, output)",
            what, n, kMaxVertices);
  NAS_CHECK(static_cast<int>(cell.adj.size()) == n,
            "{}: adjacency has {} rows but there are {} ops", what, cell.adj.size(), n);
  for (int i = 0; i < n; ++i)
    NAS_CHECK(static_cast<int>(cell.adj[i].size()) == n,
              "{}: adjacency row {} has {} entries, expected {}", what, i, cell.adj[i].size(), n);
  NAS_CHECK(
      !cell.adj[0][1],
      "{}: edge input0->input1 (0->1) is not allowed; the two cell inputs are never connected",
      what);
  for (int i = 0; i < n; ++i)
    for (int in = 0; in < 2; ++in)
      NAS_CHECK(!cell.adj[i][in],
                "{}: edge {}->{} goes into input{}; no edge may enter a cell input", what, i, in,
                in);
  check_shape(cell, what);
  NAS_CHECK(cell.ops[0] == kInput0, "{}: vertex 0 is {}, expected input0", what,
            op_label(vocab_, cell.ops[0]));
  NAS_CHECK(cell.ops[1] == kInput1, "{}: vertex 1 is {}, expected input1", what,
            op_label(vocab_, cell.ops[1]));
  NAS_CHECK(cell.ops[n - 1] == kOutput, "{}: vertex {} (the last) is {}, expected output", what,
            n - 1, op_label(vocab_, cell.ops[n - 1]));
  for (int v = 2; v < n - 1; ++v)
    NAS_CHECK(cell.ops[v] >= kFirstOp && cell.ops[v] <= kLastOp,
              "{}: op vertex {} is {}; op vertices take ids 3..7 (seqconv3x3, seqconv5x5, "
              "avgpool3x3, maxpool3x3, identity)",
              what, v, op_label(vocab_, cell.ops[v]));
  auto live = live_nodes(cell, {0, 1}, n - 1);
  NAS_CHECK(live[static_cast<size_t>(n - 1)],
            "{}: the output (vertex {}) is not reachable from either input", what, n - 1);
  if (!require_canonical) return;
  for (int v = 2; v < n - 1; ++v) {
    if (live[static_cast<size_t>(v)]) continue;
    if (cell.preds(v).empty())
      fail(
          "{}: op vertex {} has no predecessor, so it computes nothing; remove it "
          "(canonical form: every op vertex on an input->output path)",
          what, v);
    fail(
        "{}: op vertex {} is not on any input->output path; remove it (canonical form: every "
        "op vertex on an input->output path)",
        what, v);
  }
}

void NagCellSpace::validate(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 2, "nag arch: expected 2 cells (normal, reduction), found {}",
            arch.cells.size());
  for (int ci = 0; ci < 2; ++ci)
    validate_cell(arch.cells[static_cast<size_t>(ci)], kCellWhat[ci], true);
}

std::string NagCellSpace::hash(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 2, "nag arch: expected 2 cells (normal, reduction), found {}",
            arch.cells.size());
  Arch canon;
  for (int ci = 0; ci < 2; ++ci) {
    validate_cell(arch.cells[static_cast<size_t>(ci)], kCellWhat[ci], false);
    canon.cells.push_back(canonical_cell(arch.cells[static_cast<size_t>(ci)]));
  }
  return arch_hash(canon);
}

Arch NagCellSpace::sample(Rng& rng) const {
  static const std::vector<double> kVertexWeights = {1, 8, 16, 32, 64, 128, 256, 512};
  auto sample_cell = [&rng]() {
    for (int attempt = 0; attempt < 1000000; ++attempt) {
      const int n = kMinVertices + static_cast<int>(rng.weighted_index(kVertexWeights));
      const double bias = rng.uniform();
      CellDag c(n);
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
          c.adj[i][j] = std::floor(rng.uniform() + bias) >= 1.0 ? 1 : 0;
      c.adj[0][1] = 0;
      c.ops[0] = kInput0;
      c.ops[1] = kInput1;
      c.ops[n - 1] = kOutput;
      for (int v = 2; v < n - 1; ++v)
        c.ops[v] = static_cast<int>(rng.uniform_int(kFirstOp, kLastOp));
      if (output_reachable(c)) return canonical_cell(c);
    }
    fail_runtime("nag: no valid cell found while sampling (this should not happen)");
  };
  Arch arch;
  arch.cells.push_back(sample_cell());
  arch.cells.push_back(sample_cell());
  return arch;
}

Arch NagCellSpace::mutate(const Arch& arch, Rng& rng) const {
  validate(arch);
  const std::string start = hash(arch);
  for (int attempt = 0; attempt < 1000000; ++attempt) {
    Arch out = arch;
    CellDag& c = out.cells[static_cast<size_t>(rng.uniform_int(0, 1))];
    const int n = c.num_nodes();
    if (n < kMaxVertices && rng.bernoulli(0.2)) {
      // A new op vertex fed by one earlier vertex and feeding one later vertex: both ends are
      // live in a canonical cell, so the new vertex is live too.
      const int pos = static_cast<int>(rng.uniform_int(2, n - 1));
      c = insert_vertex(c, pos, static_cast<int>(rng.uniform_int(kFirstOp, kLastOp)));
      c.adj[static_cast<size_t>(rng.uniform_int(0, pos - 1))][pos] = 1;
      c.adj[pos][static_cast<size_t>(rng.uniform_int(pos + 1, n))] = 1;
    } else {
      const auto edges = flippable_edges(n);
      const int num_edges = static_cast<int>(edges.size());
      const int num_op_changes = (n - 3) * (kLastOp - kFirstOp);
      const int k = static_cast<int>(rng.uniform_int(0, num_edges + num_op_changes - 1));
      if (k < num_edges) {
        auto [i, j] = edges[static_cast<size_t>(k)];
        c.adj[i][j] = c.adj[i][j] ? 0 : 1;
      } else {
        const int r = k - num_edges;
        const int v = 2 + r / (kLastOp - kFirstOp);
        const int shift = 1 + r % (kLastOp - kFirstOp);
        const int num_ops = kLastOp - kFirstOp + 1;
        c.ops[v] = kFirstOp + (c.ops[v] - kFirstOp + shift) % num_ops;
      }
      if (!output_reachable(c)) continue;
      c = canonical_cell(c);
    }
    if (is_valid(out) && hash(out) != start) return out;
  }
  fail_runtime("nag: no valid mutation found for {}", quote(format(arch)));
}

std::vector<Arch> NagCellSpace::neighbors(const Arch& arch) const {
  validate(arch);
  std::unordered_set<std::string> seen{hash(arch)};
  std::vector<Arch> out;
  auto consider = [&](Arch cand, size_t ci) {
    CellDag& c = cand.cells[ci];
    if (!output_reachable(c)) return;
    c = canonical_cell(c);
    if (!is_valid(cand)) return;
    if (seen.insert(hash(cand)).second) out.push_back(std::move(cand));
  };
  for (size_t ci = 0; ci < 2; ++ci) {
    const CellDag& base = arch.cells[ci];
    const int n = base.num_nodes();
    for (auto [i, j] : flippable_edges(n)) {
      Arch cand = arch;
      cand.cells[ci].adj[i][j] = base.adj[i][j] ? 0 : 1;
      consider(std::move(cand), ci);
    }
    for (int v = 2; v < n - 1; ++v)
      for (int op = kFirstOp; op <= kLastOp; ++op) {
        if (op == base.ops[v]) continue;
        Arch cand = arch;
        cand.cells[ci].ops[v] = op;
        consider(std::move(cand), ci);
      }
  }
  return out;
}

void NagCellSpace::enumerate(const std::function<void(const Arch&)>&) const {
  fail(
      "nag: the space is finite but far too large to enumerate (pairs of cells of up to 10 "
      "vertices); use sample, mutate or neighbors");
}

const OpVocab& NagCellSpace::vocab() const { return vocab_; }
int NagCellSpace::max_nodes() const { return kMaxVertices; }

}  // namespace nas
