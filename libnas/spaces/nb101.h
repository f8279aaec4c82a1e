// NAS-Bench-101 cell space: one node-labelled DAG of at most 7 vertices (input first, output
// last, interior vertices conv1x1-bn-relu / conv3x3-bn-relu / maxpool3x3) with at most 9 edges
// once the vertices off every input->output path are pruned.
//
// Also declares the "rows;ops" cell text form and its JSON twin, shared by the node-labelled
// cell spaces (nb101, nag).
#pragma once

#include <functional>
#include <string>

#include "libnas/spaces/search_space.h"
#include "libnas/util/json.h"

namespace nas {

// Op resolver for the cell text forms: maps an op name to its vocabulary id, throwing
// nas::Error (naming the context) for unknown names.
using OpNameResolver = std::function<int(const std::string& name)>;

// Parses "0110,0001,0001,0000;input,conv3x3,maxpool3x3,output": adjacency rows (0/1 digits,
// comma-separated), a semicolon, then one op name per vertex. Only the shape of the text is
// checked here (equal-length 0/1 rows, as many ops as rows); the space validates the cell.
CellDag parse_rows_ops(const std::string& text, const OpNameResolver& op_id,
                       const std::string& what);
// Inverse of parse_rows_ops, writing the vocabulary names.
std::string format_rows_ops(const CellDag& cell, const OpVocab& vocab);
// Reads {"matrix": [[0,1,...],...], "ops": ["input", ...]} (ops given by name).
CellDag cell_from_json(const Json& j, const OpNameResolver& op_id, const std::string& what);
// A copy of `cell` with an edgeless vertex labelled `op` inserted before position `pos`
// (0 <= pos <= num_nodes); later vertices move up by one.
CellDag insert_vertex(const CellDag& cell, int pos, int op);

// The NAS-Bench-101 space ("nb101"). Vocabulary in AG-Net order: 0 output, 1 input,
// 2 conv1x1-bn-relu, 3 conv3x3-bn-relu, 4 maxpool3x3.
//
// An arch is valid when it follows NAS-Bench-101's ModelSpec rules: square upper-triangular
// matrix of 2..7 vertices, input first, output last, interior ops from the three ops; after
// pruning the vertices that are not on an input->output path, the input still reaches the
// output and at most 9 edges remain. Cells with dead vertices are therefore valid (as in
// NAS-Bench-101); `hash` prunes them away, and sample/mutate/neighbors return pruned cells.
class Nb101Space : public SearchSpace {
 public:
  Nb101Space();

  // Vocabulary ids.
  static constexpr int kOutput = 0;
  static constexpr int kInput = 1;
  static constexpr int kConv1x1 = 2;
  static constexpr int kConv3x3 = 3;
  static constexpr int kMaxPool = 4;
  static constexpr int kMaxVertices = 7;
  static constexpr int kMaxEdges = 9;
  // Number of distinct cells up to isomorphism (NAS-Bench-101's 423,624).
  static constexpr uint64_t kNumUniqueCells = 423624;

  std::string name() const override;
  std::string description() const override;
  // Accepts "rows;ops" (op names in full or short: conv1x1, conv3x3, maxpool3x3) and JSON
  // {"matrix": ..., "ops": ...}; the result is validated.
  Arch parse(const std::string& text) const override;
  // Writes "rows;ops" with the full op names; the cell is written as given (not pruned).
  std::string format(const Arch& arch) const override;
  void validate(const Arch& arch) const override;
  // NAS-Bench-101's random spec: a random 7x7 upper-triangular 0/1 matrix and random interior
  // ops, redrawn until valid; returned pruned.
  Arch sample(Rng& rng) const override;
  // NAS-Bench-101 / NASLib-style mutation in a 7-vertex frame (smaller cells get dead vertices
  // with random ops inserted at random interior positions, so cells can grow): every possible
  // edge flips with probability 1/21, every interior op changes with probability 1/5; redrawn
  // until the result is valid and differs by hash. Returned pruned.
  Arch mutate(const Arch& arch, Rng& rng) const override;
  // Every valid cell one edge flip or one interior op change away from the cell as given,
  // pruned, deduplicated by hash and different from `arch`; edge flips first (row-major), then
  // op changes (by vertex, then op id).
  std::vector<Arch> neighbors(const Arch& arch) const override;
  std::optional<uint64_t> size() const override { return kNumUniqueCells; }
  // Every one of the 423,624 cells once, pruned, by vertex count then adjacency then ops.
  void enumerate(const std::function<void(const Arch&)>& fn) const override;
  const OpVocab& vocab() const override;
  int max_nodes() const override;
  // Prunes, then cell_hash: isomorphic cells and cells differing only in dead vertices collide.
  std::string hash(const Arch& arch) const override;

  // The cell with the vertices off every input->output path removed (ModelSpec pruning).
  static CellDag prune_cell(const CellDag& cell);
  // Vocabulary id of an op name, full (conv3x3-bn-relu) or short (conv3x3); nas::Error
  // listing the accepted names otherwise.
  int op_id(const std::string& name) const;

 private:
  OpVocab vocab_;
};

}  // namespace nas
