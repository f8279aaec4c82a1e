// NAG cell space ("nag"): an architecture is a pair of node-labelled DAG cells (normal,
// reduction), each of at most 10 vertices: vertex 0 input0 (cell k-2), vertex 1 input1
// (cell k-1), then 0..7 op vertices, the output vertex last. A vertex sums its predecessors and
// applies its op; the output concatenates every vertex with an edge into it.
//
// Canonical form (a design decision): validate REJECTS cells with dead op vertices, i.e. an op
// vertex without a predecessor or without a path to the output, with a message naming the
// vertex. Every valid arch is therefore the network it describes, vertex for vertex, and the
// graph view never carries vertices that do nothing. `canonical_cell` turns a raw cell (from a
// generator or an edge flip) into that form: it deletes dead op vertices but never the inputs,
// which keep their role even with no out-edges (unlike the reference pruning, which could drop
// an input and shift the roles of the remaining vertices). `hash` applies the same pruning, so
// it also accepts un-pruned cells and gives them the hash of their canonical form.
//
// The space is finite but far too large to list, so size() is std::nullopt and enumerate
// throws.
#pragma once

#include "libnas/spaces/search_space.h"

namespace nas {

class NagCellSpace : public SearchSpace {
 public:
  NagCellSpace();

  // Vocabulary ids (the reference `CODE` order).
  static constexpr int kOutput = 0;
  static constexpr int kInput0 = 1;
  static constexpr int kInput1 = 2;
  static constexpr int kSepConv3x3 = 3;
  static constexpr int kSepConv5x5 = 4;
  static constexpr int kAvgPool = 5;
  static constexpr int kMaxPool = 6;
  static constexpr int kIdentity = 7;
  static constexpr int kFirstOp = kSepConv3x3;
  static constexpr int kLastOp = kIdentity;
  static constexpr int kMaxVertices = 10;
  static constexpr int kMinVertices = 3;

  std::string name() const override;
  std::string description() const override;
  // Accepts "<normal>|<reduction>" with each cell as "rows;ops" (see nb101.h), JSON
  // {"normal": {"matrix": ..., "ops": [...]}, "reduction": {...}}, and the published genotype
  // names RS-NAG, RS-NAG-E1, RS-NAG-E2, RS-NAG-E3. The result is validated.
  Arch parse(const std::string& text) const override;
  // Writes "<normal>|<reduction>", each cell as "rows;ops" with the vocabulary names.
  std::string format(const Arch& arch) const override;
  // Two cells; each: 3..10 vertices, square upper-triangular matrix, vertex 0 input0, vertex 1
  // input1, last vertex output, op vertices from ids 3..7, no edge into an input (so no
  // input0->input1 edge), the output reachable from an input, and no dead op vertex.
  void validate(const Arch& arch) const override;
  // The reference random sampler with its bugs fixed: per cell, V in {3..10} with weights
  // proportional to 1,8,16,...,512; a density bias ~ U(0,1); edge i->j present when
  // floor(U + bias) = 1; no input0->input1 edge; ops uniform over ids 3..7; canonicalised, and
  // redrawn while the output is unreachable. Normal and reduction cells are drawn
  // independently.
  Arch sample(Rng& rng) const override;
  // One local change in one cell (chosen uniformly): usually one edge flip or one op change,
  // chosen uniformly among the cell's possible ones; with probability 0.2 (cells under 10
  // vertices) a new op vertex with a random op, one in-edge and one out-edge instead, so cells
  // can grow as well as shrink. The result is canonicalised and redrawn until it is valid and
  // differs by hash.
  Arch mutate(const Arch& arch, Rng& rng) const override;
  // Every valid arch one edge flip or one op change away (normal cell first, then reduction;
  // per cell edge flips row-major, then op changes by vertex and op id), canonicalised,
  // deduplicated by hash, different from `arch`.
  std::vector<Arch> neighbors(const Arch& arch) const override;
  // Always nas::Error: the space is finite but far too large to list (size() is nullopt).
  void enumerate(const std::function<void(const Arch&)>& fn) const override;
  const OpVocab& vocab() const override;
  int num_cells() const override { return 2; }
  int max_nodes() const override;
  // Each cell canonicalised and cell_hash-ed, combined in order (normal, reduction).
  std::string hash(const Arch& arch) const override;

  // Deletes op vertices that are not on an input->output path; inputs and output are kept.
  static CellDag canonical_cell(const CellDag& cell);
  // The published genotypes by name (RS-NAG, RS-NAG-E1..E3); nas::Error for other names.
  static Arch published(const std::string& name);
  static std::vector<std::string> published_names();

 private:
  void validate_cell(const CellDag& cell, const std::string& what, bool require_canonical) const;
  int op_id(const std::string& name, const std::string& what) const;

  OpVocab vocab_;
};

}  // namespace nas
