// The graph view: a batch of architectures as padded dense tensors, the input of graph
// generators and predictors (NAG, AG-Net, GCN predictors).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "libnas/encoding/cell_dag.h"

namespace nas {

class SearchSpace;

struct GraphBatch {
  torch::Tensor adj;        // [B, cells, N, N] float, adj[b][c][i][j] = edge i -> j
  torch::Tensor ops;        // [B, cells, N, V] float one-hot of node labels; padding rows zero
  torch::Tensor num_nodes;  // [B, cells] int64
};

// Encodes archs of `space` padded to space.max_nodes() nodes and space.vocab().size() labels.
GraphBatch to_graph_batch(const SearchSpace& space, const std::vector<Arch>& archs,
                          const torch::Device& device = torch::kCPU);

// Decodes a (possibly soft) batch: edges where adj > threshold, labels by argmax, each cell cut
// to its num_nodes. The result is not validated; callers pass it to space.validate().
std::vector<Arch> from_graph_batch(const GraphBatch& batch, double threshold = 0.5);

}  // namespace nas
