// A synthetic image source for tests and smoke runs: deterministic from a seed, with
// class-dependent patterns (a per-class colour and oriented grating, randomly shifted, plus
// noise) so a small model can learn it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "libnas/data/dataset.h"

namespace nas {

struct SyntheticConfig {
  int64_t size = 2048;                      // number of samples
  int64_t num_classes = 10;
  std::vector<int64_t> shape = {3, 32, 32};  // {C, H, W}
  uint64_t seed = 0;                        // class patterns and samples
  double noise = 0.1;                       // std of the per-pixel noise (pixels in [0, 1])
};

// The class patterns depend on config.seed only, so the train and test splits share them; the
// samples (labels, shifts, noise) depend on (seed, train). Labels are balanced (i mod classes,
// then shuffled). nas::Error on an empty or too large shape.
std::shared_ptr<TensorImageSource> make_synthetic_source(const SyntheticConfig& config, bool train);

}  // namespace nas
