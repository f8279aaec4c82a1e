// Feature sets of architectures for predictors.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "libnas/encoding/cell_dag.h"

namespace nas {

class SearchSpace;

// The graph view flattened: every adjacency entry and label one-hot of every cell, [n, d]
// float32 with d = cells * (N * N + N * V) (specs/agnet.md §1.1's y vector holds the same
// information).
torch::Tensor graph_features(const SearchSpace& space, const std::vector<Arch>& archs);

}  // namespace nas
