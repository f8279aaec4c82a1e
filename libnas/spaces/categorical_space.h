// A space whose architectures are a fixed number of positions, each holding one of the same
// number of choices: NAS-Bench-201 (6 edges x 5 ops), NAS-Bench-Macro (8 layers x 3 ops) and
// Channel-Bench-Macro (7 widths x 4). Sampling, mutation, neighbours, size and enumeration are
// written once here over the choice indices 0 .. choices - 1; a space says how its
// architectures map to those indices and back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "libnas/spaces/search_space.h"

namespace nas {

class CategoricalSpace : public SearchSpace {
 public:
  CategoricalSpace(int positions, int choices);

  // Every position drawn uniformly, first to last.
  Arch sample(Rng& rng) const override;
  // One position (drawn uniformly) gets one of the other choices (drawn uniformly).
  Arch mutate(const Arch& arch, Rng& rng) const override;
  // The single-position changes, position by position, choices in increasing order.
  std::vector<Arch> neighbors(const Arch& arch) const override;
  // choices ^ positions.
  std::optional<uint64_t> size() const override;
  // Every architecture in lexicographic order of the choice indices (the last position changes
  // fastest).
  void enumerate(const std::function<void(const Arch&)>& fn) const override;

  int positions() const { return positions_; }
  int choices() const { return choices_; }
  // The choice index (0 .. choices - 1) at each position of a (valid) arch, and the arch of
  // such a list (nas::Error when it is not one).
  virtual std::vector<int> choice_indices(const Arch& arch) const = 0;
  virtual Arch from_choice_indices(const std::vector<int>& indices) const = 0;

 private:
  int positions_, choices_;
};

}  // namespace nas
