#include "libnas/models/graph_layers.h"

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas {

namespace F = torch::nn::functional;

GraphShape GraphShape::of(const SearchSpace& space) {
  GraphShape s;
  s.cells = space.num_cells();
  s.max_nodes = space.max_nodes();
  s.vocab = space.vocab().size();
  s.input_ids = space.vocab().input_ids;
  s.output_id = space.vocab().output_id;
  NAS_CHECK(!s.input_ids.empty() && s.output_id >= 0 && s.output_id < s.vocab,
            "space {}: its graph view has no input or output label, which a graph generator needs",
            space.name());
  NAS_CHECK(s.max_nodes > static_cast<int>(s.input_ids.size()),
            "space {}: max_nodes {} leaves no room after the {} input vertices", space.name(),
            s.max_nodes, s.input_ids.size());
  return s;
}

GraphReadoutImpl::GraphReadoutImpl(int64_t node_size, int64_t graph_size, bool gated,
                                   bool normalise)
    : gated_(gated), normalise_(normalise) {
  f_ = register_module("f", torch::nn::Linear(node_size, graph_size));
  if (gated_) g_ = register_module("g", torch::nn::Linear(node_size, 1));
}

torch::Tensor GraphReadoutImpl::forward(const torch::Tensor& h, const torch::Tensor& mask) {
  torch::Tensor v = f_(h);
  if (gated_) v = v * torch::sigmoid(g_(h));
  if (mask.defined()) v = v * mask.unsqueeze(-1);
  torch::Tensor s = v.sum(1);
  if (!gated_) {
    torch::Tensor count = mask.defined()
                              ? mask.sum(1, true).clamp_min(1.0)
                              : torch::full({1, 1}, static_cast<double>(h.size(1)), h.options());
    s = s / count;
  }
  return normalise_ ? l2_normalize(s) : s;
}

torch::Tensor summed_edge_messages(const torch::Tensor& x, const torch::Tensor& A,
                                   const torch::nn::Linear& lin) {
  const int64_t d = x.size(-1);
  const torch::Tensor& W = lin->weight;
  torch::Tensor indeg = A.sum(1).unsqueeze(-1);
  return A.transpose(1, 2).bmm(x.matmul(W.narrow(1, 0, d).t())) +
         indeg * (x.matmul(W.narrow(1, d, d).t()) + lin->bias);
}

torch::Tensor vertex_linear(const torch::Tensor& h, const torch::Tensor& x,
                            const torch::nn::Linear& lin) {
  const int64_t d = h.size(-1);
  const torch::Tensor& W = lin->weight;
  torch::Tensor per_vertex = h.matmul(W.narrow(1, 0, d).t());
  torch::Tensor shared = x.matmul(W.narrow(1, d, W.size(1) - d).t()) + lin->bias;
  return per_vertex + shared.unsqueeze(1);
}

torch::Tensor append_vertex(const torch::Tensor& A, const torch::Tensor& incoming) {
  const int64_t B = A.size(0), n = A.size(1);
  torch::Tensor grown = torch::zeros({B, n + 1, n + 1}, A.options());
  grown.narrow(1, 0, n).narrow(2, 0, n).copy_(A);
  grown.narrow(1, 0, n).select(2, n).copy_(incoming);
  return grown;
}

torch::Tensor l2_normalize(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12));
}

}  // namespace nas
