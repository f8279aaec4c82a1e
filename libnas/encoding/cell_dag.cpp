#include "libnas/encoding/cell_dag.h"

#include <algorithm>

#include <fmt/format.h>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"
#include "libnas/util/strings.h"

namespace nas {

int OpVocab::find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

int OpVocab::id(const std::string& name, const std::string& what) const {
  int i = find(name);
  NAS_CHECK(i >= 0, "{}: unknown op {}; expected one of {}", what, quote(name), join(names, ", "));
  return i;
}

bool OpVocab::is_input(int id) const {
  return std::find(input_ids.begin(), input_ids.end(), id) != input_ids.end();
}

CellDag::CellDag(int num_nodes)
    : ops(static_cast<size_t>(num_nodes), 0),
      adj(static_cast<size_t>(num_nodes), std::vector<uint8_t>(static_cast<size_t>(num_nodes), 0)) {}

CellDag::CellDag(std::vector<int> o, std::vector<std::vector<uint8_t>> a)
    : ops(std::move(o)), adj(std::move(a)) {}

int CellDag::num_edges() const {
  int n = 0;
  for (const auto& row : adj)
    for (auto v : row) n += v ? 1 : 0;
  return n;
}

std::vector<int> CellDag::preds(int j) const {
  std::vector<int> out;
  for (int i = 0; i < j; ++i)
    if (adj[i][j]) out.push_back(i);
  return out;
}

std::vector<int> CellDag::succs(int i) const {
  std::vector<int> out;
  for (int j = i + 1; j < num_nodes(); ++j)
    if (adj[i][j]) out.push_back(j);
  return out;
}

void check_shape(const CellDag& cell, const std::string& what) {
  const size_t n = cell.ops.size();
  NAS_CHECK(cell.adj.size() == n, "{}: adjacency has {} rows but there are {} ops", what,
            cell.adj.size(), n);
  for (size_t i = 0; i < n; ++i) {
    NAS_CHECK(cell.adj[i].size() == n, "{}: adjacency row {} has {} entries, expected {}", what, i,
              cell.adj[i].size(), n);
    for (size_t j = 0; j <= i; ++j)
      NAS_CHECK(!cell.adj[i][j], "{}: edge {}->{} goes backwards; only i<j edges are allowed", what,
                i, j);
  }
}

std::vector<bool> live_nodes(const CellDag& cell, const std::vector<int>& sources, int sink) {
  const int n = cell.num_nodes();
  std::vector<bool> fwd(static_cast<size_t>(n), false), bwd(static_cast<size_t>(n), false);
  for (int s : sources)
    if (s >= 0 && s < n) fwd[s] = true;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < j && !fwd[j]; ++i)
      if (fwd[i] && cell.adj[i][j]) fwd[j] = true;
  if (sink >= 0 && sink < n) bwd[sink] = true;
  for (int i = n - 1; i >= 0; --i)
    for (int j = i + 1; j < n && !bwd[i]; ++j)
      if (bwd[j] && cell.adj[i][j]) bwd[i] = true;
  std::vector<bool> live(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) live[i] = fwd[i] && bwd[i];
  return live;
}

CellDag prune(const CellDag& cell, const std::vector<int>& sources, int sink,
              const std::vector<int>& keep) {
  auto live = live_nodes(cell, sources, sink);
  for (int k : keep)
    if (k >= 0 && k < cell.num_nodes()) live[k] = true;
  std::vector<int> kept;
  for (int i = 0; i < cell.num_nodes(); ++i)
    if (live[i]) kept.push_back(i);
  CellDag out(static_cast<int>(kept.size()));
  for (size_t a = 0; a < kept.size(); ++a) {
    out.ops[a] = cell.ops[kept[a]];
    for (size_t b = a + 1; b < kept.size(); ++b) out.adj[a][b] = cell.adj[kept[a]][kept[b]];
  }
  return out;
}

namespace {

uint64_t hash_combine(uint64_t h, uint64_t v) { return mix64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2))); }

uint64_t hash_sorted(std::vector<uint64_t>& values, uint64_t tag) {
  std::sort(values.begin(), values.end());
  uint64_t h = mix64(tag ^ values.size());
  for (uint64_t v : values) h = hash_combine(h, v);
  return h;
}

uint64_t cell_hash_u64(const CellDag& cell) {
  const int n = cell.num_nodes();
  // Neighbour lists once; the rounds below only read them.
  std::vector<std::vector<int>> preds(static_cast<size_t>(n)), succs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (cell.adj[i][j]) {
        succs[i].push_back(j);
        preds[j].push_back(i);
      }
  std::vector<uint64_t> h(static_cast<size_t>(n));
  // Initial label: op, in-degree and out-degree (as NB101's hash_module does).
  for (int i = 0; i < n; ++i) {
    uint64_t v = mix64(static_cast<uint64_t>(cell.ops[i]) + 1);
    v = hash_combine(v, preds[i].size());
    v = hash_combine(v, succs[i].size() + 1000);
    h[i] = v;
  }
  std::vector<uint64_t> next(static_cast<size_t>(n)), in, out;
  for (int round = 0; round < n; ++round) {
    for (int i = 0; i < n; ++i) {
      in.clear();
      out.clear();
      for (int p : preds[i]) in.push_back(h[p]);
      for (int s : succs[i]) out.push_back(h[s]);
      uint64_t v = hash_combine(h[i], hash_sorted(in, 1));
      next[i] = hash_combine(v, hash_sorted(out, 2));
    }
    h.swap(next);
  }
  return hash_sorted(h, static_cast<uint64_t>(n) + 17);
}

}  // namespace

std::string cell_hash(const CellDag& cell) { return fmt::format("{:016x}", cell_hash_u64(cell)); }

std::string arch_hash(const Arch& arch) {
  uint64_t h = mix64(arch.cells.size());
  for (const auto& c : arch.cells) h = hash_combine(h, cell_hash_u64(c));
  return fmt::format("{:016x}", h);
}

std::string adjacency_to_string(const CellDag& cell, char row_sep) {
  std::string out;
  for (int i = 0; i < cell.num_nodes(); ++i) {
    if (i) out.push_back(row_sep);
    for (int j = 0; j < cell.num_nodes(); ++j) out.push_back(cell.adj[i][j] ? '1' : '0');
  }
  return out;
}

std::vector<std::vector<uint8_t>> adjacency_from_string(const std::string& text, char row_sep,
                                                        const std::string& what) {
  std::vector<std::vector<uint8_t>> adj;
  auto rows = split(trim(text), row_sep);
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string row = trim(rows[r]);
    NAS_CHECK(row.size() == rows.size(),
              "{}: adjacency row {} is {} (length {}), expected {} digits 0/1", what, r, quote(row),
              row.size(), rows.size());
    std::vector<uint8_t> out;
    for (char c : row) {
      NAS_CHECK(c == '0' || c == '1', "{}: adjacency row {} is {}, expected only 0/1 digits", what,
                r, quote(row));
      out.push_back(c == '1');
    }
    adj.push_back(std::move(out));
  }
  return adj;
}

}  // namespace nas
