// NAS-Bench-Macro: 8 searchable layers in stages of [2, 3, 3], each layer one of 3 ops
// (3^8 = 6561 keys, 3969 distinct networks).
//
// Native form: 8 digits 0-2 ("01201201"), digit i the op of layer i; parse also reads a list
// "[0, 1, 2, 0, 1, 2, 0, 1]". As a CellDag the network is a chain input -> L1 .. L8 -> output.
// An Identity in a non-first layer of a stage is the same network as that Identity moved to
// the end of its stage; canonical() applies this and hash() hashes the canonical form.
#pragma once

#include <string>
#include <vector>

#include "libnas/spaces/categorical_space.h"

namespace nas {

class MacroSpace : public CategoricalSpace {
 public:
  static constexpr int kNumLayers = 8;
  static constexpr int kNumOps = 3;
  static constexpr int kNumNodes = kNumLayers + 2;  // input, layers, output

  // Op ids (key digits): Identity, MBConv expansion 3 kernel 3, MBConv expansion 6 kernel 5.
  enum Op { kIdentity = 0, kMb3K3 = 1, kMb6K5 = 2 };
  // Graph-view labels: output, input, then the ops (label = op + 2).
  enum Label {
    kLabelOutput = 0,
    kLabelInput = 1,
    kLabelIdentity = 2,
    kLabelMb3K3 = 3,
    kLabelMb6K5 = 4
  };

  // Shape of one searchable layer in the NAS-Bench-Macro network (CIFAR-10, stem of 32).
  struct LayerInfo {
    int stage;  // 0, 1, 2
    int in_channels;
    int out_channels;
    int stride;        // 2 for the first layer of a stage, else 1
    bool stage_first;  // first layer of its stage (an Identity there is a 1x1 conv projection)
  };

  MacroSpace();

  std::string name() const override;
  std::string description() const override;
  // Accepts 8 digits 0-2 or a list of 8 op ids ("[0, 1, 2, 0, 1, 2, 0, 1]").
  Arch parse(const std::string& text) const override;
  // Writes the 8-digit key.
  std::string format(const Arch& arch) const override;
  void validate(const Arch& arch) const override;
  // Sampling, mutation (one layer gets another op), the 16 neighbours (layer by layer, ops in
  // id order), the size and the enumeration (all 6561 keys in lexicographic order: 00000000,
  // 00000001, ...) come from CategoricalSpace over the op ids.
  std::vector<int> choice_indices(const Arch& arch) const override;
  Arch from_choice_indices(const std::vector<int>& indices) const override;
  const OpVocab& vocab() const override;
  int max_nodes() const override;

  // Sequence view: 8 tokens, one op id per layer.
  bool has_sequence_view() const override { return true; }
  SequenceSpec sequence_spec() const override;
  std::vector<int> to_tokens(const Arch& arch) const override;
  Arch from_tokens(const std::vector<int>& tokens) const override;

  // Hash of canonical(arch): equivalent keys collide.
  std::string hash(const Arch& arch) const override;

  // The 8 op ids of a (valid) arch.
  std::vector<int> layer_ops(const Arch& arch) const;
  // The arch with these 8 op ids; nas::Error when the list is not 8 ids in 0..2.
  Arch from_layer_ops(const std::vector<int>& ops) const;
  // The representative the benchmark trained: in each stage the first layer stays, and the
  // Identities among the other layers move to the stage end (the others keep their order).
  Arch canonical(const Arch& arch) const;
  bool is_canonical(const Arch& arch) const;

  // Stage sizes {2, 3, 3}.
  static const std::vector<int>& stage_sizes();
  // The 8 layers' shapes.
  static const std::vector<LayerInfo>& layers();
  // Op names by id: identity, mb3_k3, mb6_k5.
  static const std::vector<std::string>& op_names();
};

}  // namespace nas
