#include "libnas/spaces/nb101.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

// ---- the "rows;ops" text form and its JSON twin ---------------------------------------------

CellDag parse_rows_ops(const std::string& text, const OpNameResolver& op_id,
                       const std::string& what) {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(),
            "{}: empty cell text; expected 'rows;ops': 0/1 adjacency rows joined by ',', then "
            "';', then one op name per vertex joined by ','",
            what);
  auto parts = split(t, ';');
  NAS_CHECK(parts.size() == 2,
            "{}: {} has {} ';'-separated parts, expected 2: adjacency rows ';' op names", what,
            quote(t), parts.size());
  NAS_CHECK(!trim(parts[0]).empty(), "{}: {} has no adjacency rows before ';'", what, quote(t));
  NAS_CHECK(!trim(parts[1]).empty(), "{}: {} has no op names after ';'", what, quote(t));
  CellDag cell;
  cell.adj = adjacency_from_string(parts[0], ',', what);
  for (const auto& name : split(parts[1], ',')) cell.ops.push_back(op_id(trim(name)));
  NAS_CHECK(cell.ops.size() == cell.adj.size(),
            "{}: {} adjacency rows but {} op names; every vertex needs one op", what,
            cell.adj.size(), cell.ops.size());
  return cell;
}

std::string format_rows_ops(const CellDag& cell, const OpVocab& vocab) {
  std::vector<std::string> names;
  for (int op : cell.ops) {
    NAS_CHECK(op >= 0 && op < vocab.size(), "cell text: op id {} is outside the vocabulary 0..{}",
              op, vocab.size() - 1);
    names.push_back(vocab.names[static_cast<size_t>(op)]);
  }
  return adjacency_to_string(cell, ',') + ";" + join(names, ",");
}

CellDag cell_from_json(const Json& j, const OpNameResolver& op_id, const std::string& what) {
  NAS_CHECK(j.is_object(), "{}: expected a JSON object {{\"matrix\": ..., \"ops\": ...}}, found {}",
            what, j.type_name());
  for (const auto& kv : j.items())
    NAS_CHECK(kv.key() == "matrix" || kv.key() == "ops",
              "{}: unknown key {}; expected only \"matrix\" and \"ops\"", what, quote(kv.key()));
  NAS_CHECK(j.contains("matrix") && j.contains("ops"),
            "{}: JSON cell needs both \"matrix\" and \"ops\"", what);
  const Json& m = j.at("matrix");
  const Json& o = j.at("ops");
  NAS_CHECK(m.is_array(), "{}: \"matrix\" must be an array of rows, found {}", what, m.type_name());
  NAS_CHECK(o.is_array(), "{}: \"ops\" must be an array of op names, found {}", what,
            o.type_name());
  CellDag cell;
  for (size_t r = 0; r < m.size(); ++r) {
    const Json& row = m[r];
    NAS_CHECK(row.is_array() && row.size() == m.size(),
              "{}: matrix row {} must be an array of {} entries 0/1", what, r, m.size());
    std::vector<uint8_t> out;
    for (const Json& v : row) {
      bool ok = v.is_boolean() ||
                (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1));
      NAS_CHECK(ok, "{}: matrix row {} holds {}, expected only 0/1", what, r, v.dump());
      out.push_back(v.is_boolean() ? (v.get<bool>() ? 1 : 0)
                                   : static_cast<uint8_t>(v.get<int64_t>()));
    }
    cell.adj.push_back(std::move(out));
  }
  for (const Json& v : o) {
    NAS_CHECK(v.is_string(), "{}: ops must be op names (strings), found {}", what, v.dump());
    cell.ops.push_back(op_id(v.get<std::string>()));
  }
  NAS_CHECK(cell.ops.size() == cell.adj.size(),
            "{}: matrix has {} rows but there are {} ops; every vertex needs one op", what,
            cell.adj.size(), cell.ops.size());
  return cell;
}

CellDag insert_vertex(const CellDag& cell, int pos, int op) {
  const int n = cell.num_nodes();
  CellDag out(n + 1);
  auto map = [pos](int v) { return v < pos ? v : v + 1; };
  for (int i = 0; i < n; ++i) {
    out.ops[map(i)] = cell.ops[i];
    for (int j = i + 1; j < n; ++j) out.adj[map(i)][map(j)] = cell.adj[i][j];
  }
  out.ops[pos] = op;
  return out;
}

// ---- NAS-Bench-101 --------------------------------------------------------------------------

namespace {

const char* const kWhat = "nb101 cell";

std::string op_label(const OpVocab& vocab, int op) {
  if (op >= 0 && op < vocab.size()) return vocab.names[static_cast<size_t>(op)];
  return fmt::format("op id {}", op);
}

bool is_interior_op(int op) {
  return op == Nb101Space::kConv1x1 || op == Nb101Space::kConv3x3 || op == Nb101Space::kMaxPool;
}

}  // namespace

Nb101Space::Nb101Space() {
  vocab_.names = {"output", "input", "conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3"};
  vocab_.input_ids = {kInput};
  vocab_.output_id = kOutput;
}

std::string Nb101Space::name() const { return "nb101"; }

std::string Nb101Space::description() const {
  return "NAS-Bench-101 cell: <= 7 vertices, <= 9 edges, ops conv1x1/conv3x3/maxpool3x3 "
         "(text: rows;ops)";
}

int Nb101Space::op_id(const std::string& name) const {
  int id = vocab_.find(name);
  if (id >= 0) return id;
  if (name == "conv1x1") return kConv1x1;
  if (name == "conv3x3") return kConv3x3;
  fail("{}: unknown op {}; expected one of {} (or the short names conv1x1, conv3x3)", kWhat,
       quote(name), join(vocab_.names, ", "));
}

CellDag Nb101Space::prune_cell(const CellDag& cell) {
  return prune(cell, {0}, cell.num_nodes() - 1);
}

Arch Nb101Space::parse(const std::string& text) const {
  const std::string t = trim(text);
  auto resolve = [this](const std::string& n) { return op_id(n); };
  Arch arch;
  if (!t.empty() && t.front() == '{')
    arch.cells.push_back(cell_from_json(parse_json(t, "nb101 arch JSON"), resolve, kWhat));
  else
    arch.cells.push_back(parse_rows_ops(t, resolve, kWhat));
  validate(arch);
  return arch;
}

std::string Nb101Space::format(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 1, "nb101 arch: expected 1 cell, found {}", arch.cells.size());
  check_shape(arch.cells[0], kWhat);
  return format_rows_ops(arch.cells[0], vocab_);
}

void Nb101Space::validate(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 1, "nb101 arch: expected 1 cell, found {}", arch.cells.size());
  const CellDag& c = arch.cells[0];
  const int n = c.num_nodes();
  NAS_CHECK(n >= 2, "{}: has {} vertices; a cell needs at least an input and an output vertex",
            kWhat, n);
  NAS_CHECK(n <= kMaxVertices, "{}: has {} vertices, NAS-Bench-101 allows at most {}", kWhat, n,
            kMaxVertices);
  check_shape(c, kWhat);
  NAS_CHECK(c.ops[0] == kInput, "{}: vertex 0 is {}, the first vertex must be input", kWhat,
            op_label(vocab_, c.ops[0]));
  NAS_CHECK(c.ops[n - 1] == kOutput,
            "{}: vertex {} (the last) is {}, the last vertex must be output", kWhat, n - 1,
            op_label(vocab_, c.ops[n - 1]));
  for (int v = 1; v < n - 1; ++v)
    NAS_CHECK(is_interior_op(c.ops[v]),
              "{}: interior vertex {} is {}, expected one of conv1x1-bn-relu, conv3x3-bn-relu, "
              "maxpool3x3",
              kWhat, v, op_label(vocab_, c.ops[v]));
  auto live = live_nodes(c, {0}, n - 1);
  NAS_CHECK(live[static_cast<size_t>(n - 1)],
            "{}: the output is not reachable from the input (no input->output path)", kWhat);
  const int edges = prune_cell(c).num_edges();
  NAS_CHECK(edges <= kMaxEdges, "{}: has {} edges after pruning, NAS-Bench-101 allows at most {}",
            kWhat, edges, kMaxEdges);
}

std::string Nb101Space::hash(const Arch& arch) const {
  validate(arch);
  return cell_hash(prune_cell(arch.cells[0]));
}

Arch Nb101Space::sample(Rng& rng) const {
  for (int attempt = 0; attempt < 1000000; ++attempt) {
    CellDag c(kMaxVertices);
    for (int i = 0; i < kMaxVertices; ++i)
      for (int j = i + 1; j < kMaxVertices; ++j) c.adj[i][j] = rng.bernoulli(0.5) ? 1 : 0;
    for (int v = 1; v < kMaxVertices - 1; ++v)
      c.ops[v] = static_cast<int>(rng.uniform_int(kConv1x1, kMaxPool));
    c.ops[0] = kInput;
    c.ops[kMaxVertices - 1] = kOutput;
    if (is_valid(Arch{{c}})) return Arch{{prune_cell(c)}};
  }
  fail_runtime("nb101: no valid cell found while sampling (this should not happen)");
}

Arch Nb101Space::mutate(const Arch& arch, Rng& rng) const {
  const std::string start = hash(arch);
  CellDag frame = arch.cells[0];
  // Dead vertices give edge flips something to connect, so a small cell can grow.
  while (frame.num_nodes() < kMaxVertices) {
    int pos = static_cast<int>(rng.uniform_int(1, frame.num_nodes() - 1));
    frame = insert_vertex(frame, pos, static_cast<int>(rng.uniform_int(kConv1x1, kMaxPool)));
  }
  const int n = kMaxVertices;
  const double p_edge = 1.0 / (n * (n - 1) / 2);
  const double p_op = 1.0 / (n - 2);
  for (int attempt = 0; attempt < 1000000; ++attempt) {
    CellDag c = frame;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j)
        if (rng.bernoulli(p_edge)) c.adj[i][j] = c.adj[i][j] ? 0 : 1;
    for (int v = 1; v < n - 1; ++v)
      if (rng.bernoulli(p_op)) {
        // One of the two other ops, uniformly.
        const int shift = 1 + static_cast<int>(rng.uniform_int(0, 1));
        c.ops[v] = kConv1x1 + (c.ops[v] - kConv1x1 + shift) % 3;
      }
    if (!is_valid(Arch{{c}})) continue;
    Arch out{{prune_cell(c)}};
    if (cell_hash(out.cells[0]) != start) return out;
  }
  fail_runtime("nb101: no valid mutation found for {}", quote(format(arch)));
}

std::vector<Arch> Nb101Space::neighbors(const Arch& arch) const {
  const std::string start = hash(arch);
  const CellDag& base = arch.cells[0];
  const int n = base.num_nodes();
  std::unordered_set<std::string> seen{start};
  std::vector<Arch> out;
  auto consider = [&](const CellDag& c) {
    if (!is_valid(Arch{{c}})) return;
    CellDag p = prune_cell(c);
    if (seen.insert(cell_hash(p)).second) out.push_back(Arch{{std::move(p)}});
  };
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      CellDag c = base;
      c.adj[i][j] = c.adj[i][j] ? 0 : 1;
      consider(c);
    }
  for (int v = 1; v < n - 1; ++v)
    for (int op = kConv1x1; op <= kMaxPool; ++op) {
      if (op == base.ops[v]) continue;
      CellDag c = base;
      c.ops[v] = op;
      consider(c);
    }
  return out;
}

void Nb101Space::enumerate(const std::function<void(const Arch&)>& fn) const {
  // Exact isomorphism classes without hashing every cell. Stage 1: the distinct unlabelled
  // shapes, i.e. matrices that need no pruning and have <= 9 edges, identified by a canonical
  // code (the smallest adjacency bit pattern over all orders of the interior vertices; input
  // and output are the unique source and sink, so they never move). Stage 2: the labellings of
  // each shape, one per orbit of the shape's automorphism group. Two labelled cells are
  // isomorphic exactly when they share the shape and an automorphism maps one labelling onto
  // the other, so every class is listed once.
  for (int n = 2; n <= kMaxVertices; ++n) {
    const int interior = n - 2;
    std::vector<std::pair<int, int>> pairs;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
    // Every order of the interior vertices, as a map old vertex -> new vertex.
    std::vector<std::vector<int>> perms;
    {
      std::vector<int> p(static_cast<size_t>(n));
      for (int v = 0; v < n; ++v) p[v] = v;
      do perms.push_back(p);
      while (std::next_permutation(p.begin() + 1, p.end() - 1));
    }
    auto code_of = [n](const std::vector<std::pair<int, int>>& edges, const std::vector<int>& p) {
      uint64_t code = 0;
      for (const auto& e : edges) code |= uint64_t{1} << (p[e.first] * n + p[e.second]);
      return code;
    };
    const uint32_t full = (1u << n) - 1;
    std::unordered_set<uint64_t> shape_codes;
    int labellings = 1;
    int weight_of[kMaxVertices] = {0};  // base-3 digit weight of each interior vertex
    for (int v = 1; v <= interior; ++v) {
      weight_of[v] = labellings;
      labellings *= 3;
    }
    for (uint32_t mask = 0; mask < (1u << pairs.size()); ++mask) {
      if (__builtin_popcount(mask) > kMaxEdges) continue;
      uint32_t succ[kMaxVertices] = {0};
      std::vector<std::pair<int, int>> edges;
      for (size_t e = 0; e < pairs.size(); ++e)
        if (mask >> e & 1u) {
          succ[pairs[e].first] |= 1u << pairs[e].second;
          edges.push_back(pairs[e]);
        }
      uint32_t fwd = 1;
      for (int v = 0; v < n; ++v)
        if (fwd >> v & 1u) fwd |= succ[v];
      if (fwd != full) continue;
      uint32_t bwd = 1u << (n - 1);
      for (int v = n - 2; v >= 0; --v)
        if (succ[v] & bwd) bwd |= 1u << v;
      if (bwd != full) continue;
      const uint64_t own = code_of(edges, perms[0]);
      uint64_t canon = own;
      std::vector<const std::vector<int>*> autos;
      for (size_t k = 1; k < perms.size(); ++k) {
        const uint64_t c = code_of(edges, perms[k]);
        if (c < canon) canon = c;
        if (c == own) autos.push_back(&perms[k]);
      }
      if (!shape_codes.insert(canon).second) continue;
      Arch arch{{CellDag(n)}};
      CellDag& cell = arch.cells[0];
      for (const auto& e : edges) cell.adj[e.first][e.second] = 1;
      cell.ops[0] = kInput;
      cell.ops[n - 1] = kOutput;
      for (int code = 0; code < labellings; ++code) {
        // Labelling `code` is the orbit's representative when no automorphism maps it to a
        // smaller code (interior vertex v is base-3 digit v-1).
        bool smallest = true;
        for (const auto* p : autos) {
          int image = 0, rest = code;
          for (int v = 1; v < n - 1; ++v) {
            image += (rest % 3) * weight_of[(*p)[v]];
            rest /= 3;
          }
          if (image < code) {
            smallest = false;
            break;
          }
        }
        if (!smallest) continue;
        int rest = code;
        for (int v = 1; v < n - 1; ++v) {
          cell.ops[v] = kConv1x1 + rest % 3;
          rest /= 3;
        }
        fn(arch);
      }
    }
  }
}

const OpVocab& Nb101Space::vocab() const { return vocab_; }
int Nb101Space::max_nodes() const { return kMaxVertices; }

}  // namespace nas
