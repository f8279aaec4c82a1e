// NAS-Bench-201 cell: 4 nodes, 6 edges, each edge one of 5 ops (5^6 = 15625 cells).
//
// Native forms: the NB201 string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` and six digits 0-4
// (GENIUS op ids, NB201 edge order). As a CellDag the cell is its line graph (AG-Net
// encoding): node 0 input, nodes 1..6 the six edges, node 7 output, fixed adjacency.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "libnas/spaces/categorical_space.h"

namespace nas {

class Nb201Space : public CategoricalSpace {
 public:
  static constexpr int kNumEdges = 6;
  static constexpr int kNumOps = 5;
  static constexpr int kNumNodes = 8;  // line-graph nodes: input, 6 edges, output

  // Op ids in GENIUS order, used in the 6-digit form and the sequence view.
  enum Op { kNone = 0, kSkipConnect = 1, kConv1x1 = 2, kConv3x3 = 3, kAvgPool3x3 = 4 };
  // Graph-view labels (AG-Net order): output, input, then the ops.
  enum Label {
    kLabelOutput = 0,
    kLabelInput = 1,
    kLabelConv1x1 = 2,
    kLabelConv3x3 = 3,
    kLabelAvgPool3x3 = 4,
    kLabelSkipConnect = 5,
    kLabelNone = 6
  };

  Nb201Space();

  std::string name() const override;
  std::string description() const override;
  // Accepts the NB201 string, six digits 0-4 ("213401") or a list of six op ids ("[2, 1, 3,
  // 4, 0, 1]").
  Arch parse(const std::string& text) const override;
  // Writes the NB201 string.
  std::string format(const Arch& arch) const override;
  void validate(const Arch& arch) const override;
  // Sampling, mutation (one edge gets another op), the 24 neighbours (edge by edge, ops in id
  // order), the size and the enumeration (all 15625 cells in lexicographic order of the 6
  // digits: 000000, 000001, ...) come from CategoricalSpace over the GENIUS op ids.
  std::vector<int> choice_indices(const Arch& arch) const override;
  Arch from_choice_indices(const std::vector<int>& indices) const override;
  const OpVocab& vocab() const override;
  int max_nodes() const override;

  // Sequence view: 6 tokens, one GENIUS op id per edge, every op legal everywhere.
  bool has_sequence_view() const override { return true; }
  SequenceSpec sequence_spec() const override;
  std::vector<int> to_tokens(const Arch& arch) const override;
  Arch from_tokens(const std::vector<int>& tokens) const override;

  // The 6 GENIUS op ids of a (valid) arch, in NB201 edge order.
  std::vector<int> edge_ops(const Arch& arch) const;
  // The arch with these 6 GENIUS op ids; nas::Error when the list is not 6 ids in 0..4.
  Arch from_edge_ops(const std::vector<int>& ops) const;
  // The 6-digit form ("213401").
  std::string digits(const Arch& arch) const;

  // Op names in GENIUS id order: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
  static const std::vector<std::string>& op_names();
  // Edge e (0..5) of the 4-node cell as (from, to): (0,1), (0,2), (1,2), (0,3), (1,3), (2,3).
  static std::pair<int, int> edge(int e);
  // Graph-view label of a GENIUS op id and back.
  static int op_to_label(int op);
  static int label_to_op(int label);
};

}  // namespace nas
