// NAO/ENAS cells (B = 5 nodes, normal + reduction cell), in the 5-op NAO-WS/ENAS op set ("nao")
// or the 11-op NAO op set ("nao-11"), and the two-branch cell structure they share with DARTS.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libnas/spaces/search_space.h"

namespace nas {

// ---- Two-branch cells (NASNet style) ------------------------------------------------------
// Node i of a cell sums two branches; each branch applies an op to one earlier state. States
// are numbered 0 = first cell input (s0, c_{k-2}), 1 = second cell input (s1, c_{k-1}), and
// 2 + j = node j of the cell. The node-labelled form (the "line graph") has one node per branch:
// 0 input0, 1 input1, branch b of node i at 2 + 2i + b, and the output last. A branch reading
// a cell input has an edge from that input node; one reading node j has edges from both branch
// nodes of j. The output has edges from the nodes of every state it concatenates. Labels follow
// the graph-view convention: 0 output, 1 input0, 2 input1, ops from 3 on.

// One branch: the state it reads and the vocab label of its op.
struct Branch {
  int input = 0;
  int label = 0;
  bool operator==(const Branch& o) const { return input == o.input && label == o.label; }
};

// A whole cell: two branches per node, and the states the output concatenates (ascending).
struct BranchCell {
  std::vector<std::array<Branch, 2>> nodes;
  std::vector<int> output_states;
};

// BranchCell -> line graph (2 * nodes + 3 graph nodes).
CellDag branch_cell_to_dag(const BranchCell& cell);
// Line graph -> BranchCell. Checks the structure (size, input/output labels, that every branch
// reads exactly one input node or both branch nodes of one earlier node, output edges in whole
// states) and throws nas::Error naming `what` and the offending node (cell node i is called
// "node i + node_offset" in messages, as the space numbers it). Op labels are returned
// unchecked: each space checks its own range.
BranchCell branch_cell_from_dag(const CellDag& dag, int num_nodes, const std::string& what,
                                int node_offset = 0);
// The graph the canonical hash is taken of: the line graph plus one "sum" node per cell node
// (label `sum_label`) between a node's branches and its readers. Unlike the bare line graph it
// also tells which branches belong together when several nodes feed only the output.
CellDag branch_cell_hash_graph(const BranchCell& cell, int sum_label);

// ---- NAO/ENAS cell spaces ------------------------------------------------------------------

// The NAO cell spaces. Native text: 40 integers, normal cell then reduction cell, per node
// [x_input, x_op, y_input, y_op] (inputs: 0 = s0, 1 = s1, 2 + j = node j; node i reads
// 0..i+1). Op ids share one numbering: 0-4 is the 5-op set (space "nao"), 5-15 the 11-op set
// (space "nao-11"). The cell output concatenates every unused state, inputs included.
// Named archs: NAONet-A (11-op), NAONet-B and NAONet-WS (5-op).
// Sequence view: SOS = 0, input k -> token k + 1, op -> 7 + (id - first id of the set); the
// legal inputs at node i are tokens 1..i+2.
class NaoCellSpace : public SearchSpace {
 public:
  enum class OpSet { Five, Eleven };
  explicit NaoCellSpace(OpSet ops);

  static constexpr int kNodes = 5;         // B
  static constexpr int kIntsPerCell = 20;  // 4 * B
  static constexpr int kInts = 40;         // normal cell, then reduction cell

  std::string name() const override;
  std::string description() const override;
  Arch parse(const std::string& text) const override;
  std::string format(const Arch& arch) const override;
  void validate(const Arch& arch) const override;
  Arch sample(Rng& rng) const override;
  Arch mutate(const Arch& arch, Rng& rng) const override;
  std::vector<Arch> neighbors(const Arch& arch) const override;
  std::optional<uint64_t> size() const override;
  const OpVocab& vocab() const override;
  int num_cells() const override { return 2; }
  int max_nodes() const override;

  bool has_sequence_view() const override { return true; }
  SequenceSpec sequence_spec() const override;
  std::vector<int> to_tokens(const Arch& arch) const override;
  Arch from_tokens(const std::vector<int>& tokens) const override;

  // Invariant to swapping a node's two branches and to renumbering nodes consistently.
  std::string hash(const Arch& arch) const override;

  OpSet op_set() const { return op_set_; }
  // Op ids of this space: first_op_id() .. first_op_id() + num_ops() - 1.
  int first_op_id() const;
  int num_ops() const;

  // The 40-integer form (validates the arch) and back (validates the integers: count, input
  // ranges, op ids of this set; an id of the other set names the space to use).
  std::vector<int> to_ints(const Arch& arch) const;
  Arch from_ints(const std::vector<int>& ints) const;

  // Name of NAO op id 0..15, e.g. "sep_conv_3x3". Ids 4 and 5 are both "identity"; ids 2 and 14
  // are both "avg_pool_3x3" but differ in padding (id 2 excludes the padding from the average,
  // id 14 includes it), so network builders should dispatch on the id.
  static std::string op_name(int op_id);

  // The published architectures as 40-integer strings.
  static const char* naonet_a();   // 11-op set
  static const char* naonet_b();   // 5-op set
  static const char* naonet_ws();  // 5-op set

 private:
  // Validates the arch and returns its two cells as branch lists.
  std::vector<BranchCell> decode(const Arch& arch) const;

  OpSet op_set_;
  OpVocab vocab_;
};

// The NAO space an arch text belongs to: "nao-11" for NAONet-A or 40 integers with op ids 5-15,
// "nao" for NAONet-B, NAONet-WS or op ids 0-4. nas::Error when the text is neither (wrong count,
// ids out of range, or op ids of both sets).
std::shared_ptr<SearchSpace> nao_space_for(const std::string& text);

}  // namespace nas
