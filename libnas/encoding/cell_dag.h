// The one architecture encoding every search space shares: node-labelled DAG cells.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

// The names of a space's node labels. Ids index `names`. Input and output labels are part of
// the vocabulary so the graph view one-hot covers every node.
struct OpVocab {
  std::vector<std::string> names;
  std::vector<int> input_ids;  // labels of input nodes (one, or two for NASNet-style cells)
  int output_id = -1;

  int size() const { return static_cast<int>(names.size()); }
  // Id of `name`; -1 when absent.
  int find(const std::string& name) const;
  // Id of `name`; nas::Error listing the known names when absent. `what` names the context.
  int id(const std::string& name, const std::string& what) const;
  bool is_input(int id) const;
};

// A node-labelled DAG in topological order: ops[i] is node i's label; adj[i][j] (i < j) is the
// edge i -> j. Input node(s) come first, the output node last.
struct CellDag {
  std::vector<int> ops;
  std::vector<std::vector<uint8_t>> adj;

  CellDag() = default;
  explicit CellDag(int num_nodes);  // no edges, ops all 0
  CellDag(std::vector<int> ops, std::vector<std::vector<uint8_t>> adj);

  int num_nodes() const { return static_cast<int>(ops.size()); }
  int num_edges() const;
  bool edge(int i, int j) const { return adj[i][j] != 0; }
  void set_edge(int i, int j, bool on = true) { adj[i][j] = on ? 1 : 0; }
  std::vector<int> preds(int j) const;
  std::vector<int> succs(int i) const;

  bool operator==(const CellDag& o) const { return ops == o.ops && adj == o.adj; }
  bool operator!=(const CellDag& o) const { return !(*this == o); }
};

// One or more cells: one for NB101/NB201/chains, two (normal, reduction) for NASNet-style spaces.
struct Arch {
  std::vector<CellDag> cells;

  bool operator==(const Arch& o) const { return cells == o.cells; }
  bool operator!=(const Arch& o) const { return !(*this == o); }
};

// Structural checks shared by the spaces; each throws nas::Error naming `what` and the problem.
// Square adjacency matching ops, entries only above the diagonal.
void check_shape(const CellDag& cell, const std::string& what);

// Nodes that lie on a path from one of `sources` to node `sink` (both ends included).
std::vector<bool> live_nodes(const CellDag& cell, const std::vector<int>& sources, int sink);

// Removes the nodes not on a source->sink path, except those listed in `keep` (e.g. input nodes,
// which NASNet-style cells never delete). Returns the pruned cell, nodes renumbered in order.
// With NB101 semantics (`sources` = {0}, sink = last, keep = {}) this is ModelSpec pruning.
CellDag prune(const CellDag& cell, const std::vector<int>& sources, int sink,
              const std::vector<int>& keep = {});

// Canonical hash of a cell: equal for isomorphic labelled DAGs (Weisfeiler-Lehman style
// iterative hashing of (label, in-neighbours, out-neighbours) as NAS-Bench-101 does it).
// Returns 16 hex digits.
std::string cell_hash(const CellDag& cell);

// Canonical hash of an architecture: the cells' hashes combined in order.
std::string arch_hash(const Arch& arch);

// Adjacency rows as 0/1 digit strings joined by `row_sep` ("0110,0001,0001,0000").
std::string adjacency_to_string(const CellDag& cell, char row_sep = ',');
// Inverse of adjacency_to_string; rows must be equal-length 0/1 strings; errors name `what`.
std::vector<std::vector<uint8_t>> adjacency_from_string(const std::string& text, char row_sep,
                                                        const std::string& what);

}  // namespace nas
