// DARTS genotypes: a normal and a reduction cell of 4 intermediate nodes, each summing two
// (op, input) pairs over the DARTS primitives.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libnas/spaces/nao_cell.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// A DARTS genotype as the DARTS code writes it. Each list holds 8 (op name, input) pairs, two
// per intermediate node k = 2..5 (pairs 2(k-2) and 2(k-2)+1). Inputs: 0 = c_{k-2}, 1 = c_{k-1},
// j >= 2 = node j; node k reads two different states of 0..k-1. The concat is always [2, 3, 4, 5].
struct Genotype {
  std::vector<std::pair<std::string, int>> normal;
  std::vector<std::pair<std::string, int>> reduce;

  bool operator==(const Genotype& o) const { return normal == o.normal && reduce == o.reduce; }
  bool operator!=(const Genotype& o) const { return !(*this == o); }
};

// The DARTS space ("darts"). Native text: the Python repr
//   Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
//            reduce=[...], reduce_concat=[2, 3, 4, 5])
// parsed tolerantly (spacing, ' or " quotes, range(2, 6) for a concat, the "Genotype" prefix
// optional) and written exactly in that form. Named archs: DARTS-V1, DARTS-V2.
// Graph view: 11 nodes per cell (0 input0, 1 input1, 2..9 the 8 op nodes, 10 output fed by
// all of them); vocab 0 output, 1 input0, 2 input1, then the 8 primitives (none included,
// never used).
// Sequence view: 32 tokens, per node [input+1, op, input+1, op]; SOS = 0, inputs 1..5, ops
// 6..12 (the primitives other than none). The masks allow inputs 0..k-1 at node k but cannot
// express that a node's two inputs differ: from_tokens throws nas::Error on equal inputs.
class DartsSpace : public SearchSpace {
 public:
  DartsSpace();

  static constexpr int kNodes = 4;         // intermediate nodes per cell
  static constexpr int kPairsPerCell = 8;  // (op, input) pairs per cell
  static constexpr int kTokens = 32;       // sequence length

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
  // Rejects token lists whose node reads the same input twice (the masks allow them).
  Arch from_tokens(const std::vector<int>& tokens) const override;

  // Invariant to the order of a node's two pairs and to renumbering nodes consistently.
  std::string hash(const Arch& arch) const override;

  // The genotype of a valid arch, and the arch of a genotype (nas::Error naming the problem:
  // pair count, unknown op, none, input out of range, equal inputs in a node).
  Genotype genotype(const Arch& arch) const;
  Arch from_genotype(const Genotype& g) const;

  // The DARTS primitives in DARTS order: none, max_pool_3x3, avg_pool_3x3, skip_connect,
  // sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5.
  static const std::vector<std::string>& primitives();

  // The published genotypes, in the native text form.
  static const char* darts_v1();
  static const char* darts_v2();

 private:
  // Validates the arch and returns its two cells as branch lists.
  std::vector<BranchCell> decode(const Arch& arch) const;

  OpVocab vocab_;
};

}  // namespace nas
