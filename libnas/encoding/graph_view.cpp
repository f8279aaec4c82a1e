#include "libnas/encoding/graph_view.h"

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas {

GraphBatch to_graph_batch(const SearchSpace& space, const std::vector<Arch>& archs,
                          const torch::Device& device) {
  const int64_t B = static_cast<int64_t>(archs.size());
  const int64_t C = space.num_cells();
  const int64_t N = space.max_nodes();
  const int64_t V = space.vocab().size();
  auto adj = torch::zeros({B, C, N, N}, torch::kFloat32);
  auto ops = torch::zeros({B, C, N, V}, torch::kFloat32);
  auto num = torch::zeros({B, C}, torch::kInt64);
  auto a = adj.accessor<float, 4>();
  auto o = ops.accessor<float, 4>();
  auto k = num.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const Arch& arch = archs[b];
    NAS_CHECK(static_cast<int64_t>(arch.cells.size()) == C,
              "graph view of {}: arch {} has {} cells, expected {}", space.name(), b,
              arch.cells.size(), C);
    for (int64_t c = 0; c < C; ++c) {
      const CellDag& cell = arch.cells[c];
      const int64_t n = cell.num_nodes();
      NAS_CHECK(n <= N, "graph view of {}: arch {} cell {} has {} nodes, the space allows {}",
                space.name(), b, c, n, N);
      k[b][c] = n;
      for (int64_t i = 0; i < n; ++i) {
        NAS_CHECK(cell.ops[i] >= 0 && cell.ops[i] < V, "graph view of {}: label {} out of range",
                  space.name(), cell.ops[i]);
        o[b][c][i][cell.ops[i]] = 1.0f;
        for (int64_t j = i + 1; j < n; ++j) a[b][c][i][j] = cell.adj[i][j] ? 1.0f : 0.0f;
      }
    }
  }
  return {adj.to(device), ops.to(device), num.to(device)};
}

std::vector<Arch> from_graph_batch(const GraphBatch& batch, double threshold) {
  auto adj = batch.adj.to(torch::kCPU, torch::kFloat32).contiguous();
  auto labels = batch.ops.to(torch::kCPU).argmax(-1).contiguous();
  auto num = batch.num_nodes.to(torch::kCPU, torch::kInt64).contiguous();
  auto a = adj.accessor<float, 4>();
  auto l = labels.accessor<int64_t, 3>();
  auto k = num.accessor<int64_t, 2>();
  std::vector<Arch> out;
  for (int64_t b = 0; b < adj.size(0); ++b) {
    Arch arch;
    for (int64_t c = 0; c < adj.size(1); ++c) {
      const int n = static_cast<int>(k[b][c]);
      CellDag cell(n);
      for (int i = 0; i < n; ++i) {
        cell.ops[i] = static_cast<int>(l[b][c][i]);
        for (int j = i + 1; j < n; ++j) cell.adj[i][j] = a[b][c][i][j] > threshold;
      }
      arch.cells.push_back(std::move(cell));
    }
    out.push_back(std::move(arch));
  }
  return out;
}

}  // namespace nas
