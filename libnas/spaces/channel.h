// Channel-Bench-Macro: 7 width variables x 4 choices (4^7 = 16384 networks) on a ResNet or a
// MobileNet base.
//
// Native form: 7 digits 1-4 ("4344424"); digit d at position i means width d/4 x max width i.
// parse also reads the channel list GENIUS uses ("64, 128, 192, ..." or "[64, 128, ...]").
// As a CellDag the widths form a chain input -> ch0 .. ch6 -> output, labelled by fraction.
#pragma once

#include <string>
#include <vector>

#include "libnas/spaces/categorical_space.h"

namespace nas {

class ChannelSpace : public CategoricalSpace {
 public:
  enum class Base { ResNet, MobileNet };

  static constexpr int kNumPositions = 7;
  static constexpr int kNumChoices = 4;                // digits 1..4
  static constexpr int kNumNodes = kNumPositions + 2;  // input, widths, output

  // Graph-view labels: output, input, then the width fractions (label = digit + 1).
  enum Label {
    kLabelOutput = 0,
    kLabelInput = 1,
    kLabelQuarter = 2,
    kLabelHalf = 3,
    kLabelThreeQuarters = 4,
    kLabelFull = 5
  };

  explicit ChannelSpace(Base base);

  // channel-resnet or channel-mobilenet.
  std::string name() const override;
  std::string description() const override;
  // Accepts 7 digits 1-4 or a list of 7 channel numbers, each an allowed width of its position.
  Arch parse(const std::string& text) const override;
  // Writes the 7-digit key.
  std::string format(const Arch& arch) const override;
  void validate(const Arch& arch) const override;
  // Sampling, mutation (one position gets another width), the 21 neighbours (position by
  // position, digits in increasing order), the size and the enumeration (all 16384 keys in
  // lexicographic order: 1111111, 1111112, ...) come from CategoricalSpace over digit - 1.
  std::vector<int> choice_indices(const Arch& arch) const override;
  Arch from_choice_indices(const std::vector<int>& indices) const override;
  const OpVocab& vocab() const override;
  int max_nodes() const override;

  // Sequence view: 7 tokens, token t = digit t + 1.
  bool has_sequence_view() const override { return true; }
  SequenceSpec sequence_spec() const override;
  std::vector<int> to_tokens(const Arch& arch) const override;
  Arch from_tokens(const std::vector<int>& tokens) const override;

  Base base() const { return base_; }
  // Max width per position: ResNet {256,256,256,512,512,512,512}, MobileNet
  // {128,768,768,768,256,1536,1024}.
  const std::vector<int>& max_widths() const;
  // The 4 allowed widths of a position, increasing (d/4 x max width, d = 1..4).
  std::vector<int> allowed_widths(int position) const;
  // The 7 digits 1..4 of a (valid) arch.
  std::vector<int> digits(const Arch& arch) const;
  // The 7 real channel numbers of a (valid) arch.
  std::vector<int> widths(const Arch& arch) const;
  // The arch with these digits (each 1..4) / these channel numbers (each allowed at its
  // position); nas::Error otherwise.
  Arch from_digits(const std::vector<int>& digits) const;
  Arch from_widths(const std::vector<int>& widths) const;

 private:
  Base base_;
};

}  // namespace nas
