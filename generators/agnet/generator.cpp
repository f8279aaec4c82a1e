#include "generators/agnet/generator.h"

#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas::agnet {

namespace F = torch::nn::functional;

namespace {

// The fixed logits of the reference: +20 for what must be, -20 for what cannot be.
constexpr double kSure = 20.0;

// Linear, ReLU, Linear (the reference's two-layer blocks).
torch::nn::Sequential mlp2(int64_t in, int64_t hidden, int64_t out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(),
                               torch::nn::Linear(hidden, out));
}

int64_t num_edges(int64_t n) { return n * (n - 1) / 2; }

}  // namespace

void GeneratorConfig::validate(const std::string& where) const {
  NAS_CHECK(latent_dim >= 1, "config key {}.latent_dim: expected a positive size, found {}", where,
            latent_dim);
  NAS_CHECK(node_size >= 2 && node_size % 2 == 0,
            "config key {}.node_size: expected an even size of at least 2 (a forward and a "
            "backward half), found {}",
            where, node_size);
  NAS_CHECK(gnn_layers >= 1, "config key {}.gnn_layers: expected at least 1, found {}", where,
            gnn_layers);
}

torch::Tensor GraphLogits::flat() const {
  const int64_t B = batch();
  return torch::cat({node_logits.reshape({B, -1}), edge_logits.reshape({B, -1})}, 1);
}

GraphTargets graph_targets(const SearchSpace& space, const std::vector<Arch>& archs,
                           const torch::Device& device) {
  const GraphShape shape = GraphShape::of(space);
  const int64_t B = static_cast<int64_t>(archs.size());
  const int64_t C = shape.cells, N = shape.max_nodes, E = num_edges(N);
  torch::Tensor labels = torch::full({B, C, N}, static_cast<int64_t>(shape.output_id), torch::kInt64);
  torch::Tensor edges = torch::zeros({B, C, E}, torch::kFloat32);
  auto l = labels.accessor<int64_t, 3>();
  auto e = edges.accessor<float, 3>();
  for (int64_t b = 0; b < B; ++b) {
    NAS_CHECK(static_cast<int64_t>(archs[b].cells.size()) == C,
              "agnet targets: arch {} has {} cells, the space {} has {}", b,
              archs[b].cells.size(), space.name(), C);
    for (int64_t c = 0; c < C; ++c) {
      const CellDag& cell = archs[b].cells[c];
      const int n = cell.num_nodes();
      NAS_CHECK(n <= N, "agnet targets: arch {} cell {} has {} vertices, the space allows {}", b, c,
                n, N);
      for (int v = 0; v < n; ++v) {
        l[b][c][v] = cell.ops[v];
        for (int u = 0; u < v; ++u) e[b][c][v * (v - 1) / 2 + u] = cell.adj[u][v] ? 1.0f : 0.0f;
      }
    }
  }
  return {labels.to(device), edges.to(device)};
}

class CellGeneratorImpl : public torch::nn::Module {
 public:
  CellGeneratorImpl(const GraphShape& shape, const GeneratorConfig& cfg)
      : shape_(shape), nd_(cfg.node_size), gd_(cfg.latent_dim) {
    const int64_t V = shape.vocab, half = nd_ / 2;
    embed_ = register_module("embed", mlp2(V, nd_, nd_));
    init_start_ = register_module("init_start", mlp2(nd_ + gd_, nd_ + gd_, nd_));
    init_new_ = register_module("init_new", mlp2(nd_ + 2 * gd_, nd_ + gd_, nd_));
    node_type_ = register_module("node_type", mlp2(2 * gd_, gd_, V));
    edge_hidden_ = register_module("edge_hidden", torch::nn::Linear(2 * nd_ + 2 * gd_, nd_ + gd_));
    edge_out_ = register_module("edge_out", torch::nn::Linear(nd_ + gd_, 1));
    readout_ = register_module("readout", GraphReadout(nd_, gd_, true, false));
    readout_init_ = register_module("readout_init", GraphReadout(nd_, gd_, true, false));
    for (int64_t l = 0; l < cfg.gnn_layers; ++l) {
      const std::string s = std::to_string(l);
      fwd_msg_.push_back(register_module("fwd_msg" + s, torch::nn::Linear(2 * half, nd_)));
      fwd_gru_.push_back(register_module("fwd_gru" + s, GruCell(nd_, half)));
      bwd_msg_.push_back(register_module("bwd_msg" + s, torch::nn::Linear(2 * half, nd_)));
      bwd_gru_.push_back(register_module("bwd_gru" + s, GruCell(nd_, half)));
    }
    torch::Tensor bias = torch::zeros({V});
    for (int id : shape.input_ids) bias[id] = -kSure;
    label_bias_ = register_buffer("label_bias", bias);
  }

  // z [B, gd] -> (node logits [B, N, V], edge logits [B, E]).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& z) {
    const int64_t B = z.size(0), N = shape_.max_nodes, V = shape_.vocab;
    const int64_t K = static_cast<int64_t>(shape_.input_ids.size());
    auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(z.device());
    std::vector<torch::Tensor> node_rows, edge_cols;
    std::vector<torch::Tensor> states;
    for (int64_t k = 0; k < K; ++k) {
      torch::Tensor one_hot =
          F::one_hot(torch::full({B}, shape_.input_ids[k], long_opts), V).to(z.dtype());
      states.push_back(init_start_->forward(torch::cat({embed_->forward(one_hot), z}, 1)));
      node_rows.push_back(one_hot * kSure);
      if (k > 0) edge_cols.push_back(torch::full({B, k}, -kSure, z.options()));
    }
    const std::vector<Directions> layers = stacked_layers();
    const ReadoutPair readouts(readout_, readout_init_);
    torch::Tensor H = torch::stack(states, 1);               // [B, n, nd]
    torch::Tensor A = torch::zeros({B, K, K}, z.options());  // thresholded edges u -> v
    for (int64_t n = K; n < N; ++n) {
      if (n > 1) H = propagate(H, A, layers);
      auto [hg, hg_init] = readouts(H);
      torch::Tensor logits = node_type_->forward(torch::cat({hg, z}, 1)) + label_bias_;
      torch::Tensor h_new =
          init_new_->forward(torch::cat({embed_->forward(logits), hg_init, z}, 1));
      torch::Tensor edges;
      if (K == 1 && n == 1) {
        edges = torch::full({B, 1}, kSure, z.options());  // input -> vertex 1 always
      } else {
        // MLP(h_u ‖ h_new ‖ h_G ‖ z) for every u, with each sample's own h_new, h_G and z
        // broadcast over its vertices (specs/agnet.md §5.5).
        torch::Tensor hidden = vertex_linear(H, torch::cat({h_new, hg, z}, 1), edge_hidden_);
        edges = edge_out_(torch::relu(hidden)).squeeze(-1);
      }
      node_rows.push_back(logits);
      edge_cols.push_back(edges);
      A = append_vertex(A, edges.detach().gt(0.5).to(z.dtype()));
      H = torch::cat({H, h_new.unsqueeze(1)}, 1);
    }
    return {torch::stack(node_rows, 1), torch::cat(edge_cols, 1)};
  }

 private:
  // One GNN layer's weights of both directions, stacked (forward first) so that one batched
  // product serves both: the message Linear split into its sender and receiver parts,
  // transposed, and the GRU's.
  struct Directions {
    torch::Tensor msg_src, msg_dst, msg_bias;  // [2, half, nd], [2, half, nd], [2, 1, nd]
    torch::Tensor w_ih, w_hh, b_ih, b_hh;      // [2, 3 half, nd], [2, 3 half, half], [2, 3 half]
  };
  std::vector<Directions> stacked_layers() const {
    const int64_t half = nd_ / 2;
    std::vector<Directions> layers;
    for (size_t l = 0; l < fwd_gru_.size(); ++l) {
      torch::Tensor msg = torch::stack({fwd_msg_[l]->weight, bwd_msg_[l]->weight}).transpose(1, 2);
      layers.push_back({msg.narrow(1, 0, half), msg.narrow(1, half, half),
                        torch::stack({fwd_msg_[l]->bias, bwd_msg_[l]->bias}).unsqueeze(1),
                        torch::stack({fwd_gru_[l]->weight_ih, bwd_gru_[l]->weight_ih}),
                        torch::stack({fwd_gru_[l]->weight_hh, bwd_gru_[l]->weight_hh}),
                        torch::stack({fwd_gru_[l]->bias_ih, bwd_gru_[l]->bias_ih}),
                        torch::stack({fwd_gru_[l]->bias_hh, bwd_gru_[l]->bias_hh})});
    }
    return layers;
  }

  // The bidirectional GNN: the first half of each state passes messages along the edges, the
  // second half along the reversed edges, `gnn_layers` layers each. Vertex v receives
  // sum over u of R[v][u] msg(h_u ‖ h_v), R = A^T forward and A backward, computed densely
  // (per-vertex products and the degrees instead of a product per edge); the two directions run
  // as one batch of two.
  torch::Tensor propagate(const torch::Tensor& H, const torch::Tensor& A,
                          const std::vector<Directions>& layers) const {
    const int64_t B = H.size(0), n = H.size(1), half = nd_ / 2;
    torch::Tensor R = torch::stack({A.transpose(1, 2), A}).view({2 * B, n, n});
    torch::Tensor degree = R.sum(2, true);                                         // [2B, n, 1]
    torch::Tensor S = H.view({B, n, 2, half}).permute({2, 0, 1, 3}).reshape({2, B * n, half});
    for (const Directions& d : layers) {
      torch::Tensor src = S.bmm(d.msg_src).view({2 * B, n, nd_});
      torch::Tensor dst = torch::baddbmm(d.msg_bias, S, d.msg_dst).view({2 * B, n, nd_});
      torch::Tensor m = torch::baddbmm(degree * dst, R, src).view({2, B * n, nd_});
      S = gru_cell(m, S, d.w_ih, d.w_hh, d.b_ih, d.b_hh);
    }
    return S.view({2, B, n, half}).permute({1, 2, 0, 3}).reshape({B, n, nd_});
  }

  GraphShape shape_;
  int64_t nd_, gd_;
  torch::nn::Sequential embed_{nullptr}, init_start_{nullptr}, init_new_{nullptr},
      node_type_{nullptr};
  torch::nn::Linear edge_hidden_{nullptr}, edge_out_{nullptr};
  GraphReadout readout_{nullptr}, readout_init_{nullptr};
  std::vector<torch::nn::Linear> fwd_msg_, bwd_msg_;
  std::vector<GruCell> fwd_gru_, bwd_gru_;
  torch::Tensor label_bias_;
};

GeneratorImpl::GeneratorImpl(const GraphShape& shape, const GeneratorConfig& cfg)
    : shape_(shape), cfg_(cfg) {
  cfg.validate("agnet.generator");
  for (int c = 0; c < shape.cells; ++c)
    cells_.push_back(register_module("cell" + std::to_string(c),
                                     std::make_shared<CellGeneratorImpl>(shape, cfg)));
}

GraphLogits GeneratorImpl::forward(const torch::Tensor& z) {
  NAS_CHECK(z.dim() == 2 && z.size(1) == latent_size(),
            "agnet generator: expected noise [B, {}], found {}", latent_size(), shape_string(z));
  std::vector<torch::Tensor> nodes, edges;
  for (size_t c = 0; c < cells_.size(); ++c) {
    auto [n, e] = cells_[c]->forward(
        z.narrow(1, static_cast<int64_t>(c) * cfg_.latent_dim, cfg_.latent_dim));
    nodes.push_back(n);
    edges.push_back(e);
  }
  return {torch::stack(nodes, 1), torch::stack(edges, 1)};
}

torch::Tensor GeneratorImpl::noise(int64_t n, std::optional<double> uniform_bound) const {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  if (!parameters().empty()) opts = opts.device(parameters().front().device());
  if (uniform_bound)
    return torch::rand({n, latent_size()}, opts) * (2.0 * *uniform_bound) - *uniform_bound;
  return torch::randn({n, latent_size()}, opts);
}

int64_t GeneratorImpl::flat_size() const {
  return shape_.cells * (shape_.max_nodes * shape_.vocab + num_edges(shape_.max_nodes));
}

torch::Tensor reconstruction_loss(const GraphLogits& logits, const GraphTargets& targets) {
  const int64_t B = logits.batch();
  const int64_t V = logits.node_logits.size(-1);
  torch::Tensor node = F::cross_entropy(logits.node_logits.reshape({-1, V}),
                                        targets.labels.reshape({-1}),
                                        F::CrossEntropyFuncOptions().reduction(torch::kNone))
                           .view({B, -1})
                           .mean(1);
  torch::Tensor edge =
      F::binary_cross_entropy_with_logits(
          logits.edge_logits, targets.edges,
          F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
          .view({B, -1})
          .mean(1);
  return node + edge;
}

std::vector<std::optional<Arch>> sample_archs(const SearchSpace& space, const GraphLogits& logits) {
  const GraphShape shape = GraphShape::of(space);
  const int64_t B = logits.batch(), C = shape.cells, N = shape.max_nodes, V = shape.vocab;
  const int64_t K = static_cast<int64_t>(shape.input_ids.size());
  torch::NoGradGuard no_grad;
  torch::Tensor probs = torch::softmax(logits.node_logits.to(torch::kFloat32), -1);
  torch::Tensor labels =
      torch::multinomial(probs.reshape({-1, V}), 1).view({B, C, N}).to(torch::kCPU).contiguous();
  torch::Tensor edges = torch::bernoulli(torch::sigmoid(logits.edge_logits.to(torch::kFloat32)))
                            .to(torch::kCPU)
                            .contiguous();
  auto l = labels.accessor<int64_t, 3>();
  auto e = edges.accessor<float, 3>();
  std::vector<std::optional<Arch>> out;
  out.reserve(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    Arch arch;
    for (int64_t c = 0; c < C; ++c) {
      // The start vertices keep their labels; the cell ends at the first output label.
      int64_t n = N;
      for (int64_t v = K; v < N; ++v)
        if (v == N - 1 || l[b][c][v] == shape.output_id) {
          n = v + 1;
          break;
        }
      CellDag cell(static_cast<int>(n));
      for (int64_t v = 0; v < n; ++v) {
        cell.ops[v] = v < K ? shape.input_ids[v] : static_cast<int>(l[b][c][v]);
        for (int64_t u = 0; u < v; ++u) cell.adj[u][v] = e[b][c][v * (v - 1) / 2 + u] > 0.5f;
      }
      cell.ops[n - 1] = shape.output_id;
      arch.cells.push_back(std::move(cell));
    }
    if (space.is_valid(arch))
      out.emplace_back(std::move(arch));
    else
      out.emplace_back(std::nullopt);
  }
  return out;
}

}  // namespace nas::agnet
