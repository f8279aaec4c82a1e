#include "predictors/features.h"

#include "libnas/encoding/graph_view.h"

namespace nas {

torch::Tensor graph_features(const SearchSpace& space, const std::vector<Arch>& archs) {
  GraphBatch g = to_graph_batch(space, archs);
  const int64_t B = static_cast<int64_t>(archs.size());
  return torch::cat({g.adj.reshape({B, -1}), g.ops.reshape({B, -1})}, 1);
}

}  // namespace nas
