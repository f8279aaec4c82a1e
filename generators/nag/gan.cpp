#include "generators/nag/gan.h"

#include <cmath>
#include <limits>

#include "libnas/models/fast_dropout.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas::nag {

namespace F = torch::nn::functional;

void GanModelConfig::validate(const std::string& where) const {
  auto positive = [&](int64_t v, const char* key) {
    NAS_CHECK(v >= 1, "config key {}.{}: expected a positive size, found {}", where, key, v);
  };
  positive(latent_dim, "latent_dim");
  positive(label_embedding, "label_embedding");
  positive(g_node_size, "g_node_size");
  positive(g_graph_size, "g_graph_size");
  positive(g_layers, "g_layers");
  positive(d_node_size, "d_node_size");
  positive(d_graph_size, "d_graph_size");
  positive(d_gnn_layers, "d_gnn_layers");
  NAS_CHECK(d_mlp_layers >= 1, "config key {}.d_mlp_layers: expected at least 1, found {}", where,
            d_mlp_layers);
  NAS_CHECK(aggr == "gsum" || aggr == "mean", "config key {}.aggr: expected gsum or mean, found '{}'",
            where, aggr);
  for (double p : {g_dropout, d_dropout})
    NAS_CHECK(p >= 0 && p < 1, "config key {}: dropout expected in [0, 1), found {}", where, p);
}

namespace {

torch::Tensor leaky(const torch::Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)); }

// Two linear layers with a LeakyReLU between them.
torch::nn::Sequential two_layers(int64_t in, int64_t hidden, int64_t out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden),
                               torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                               torch::nn::Linear(hidden, out));
}

}  // namespace

// ---- Generator -------------------------------------------------------------------------------

class CellGeneratorImpl : public torch::nn::Module {
 public:
  CellGeneratorImpl(const GraphShape& shape, const GanModelConfig& cfg, int64_t cond_size)
      : shape_(shape), nd_(cfg.g_node_size), sd_(cfg.g_graph_size), dropout_(cfg.g_dropout) {
    const int64_t L = cond_size;
    node_emb_ = register_module("node_emb", torch::nn::Embedding(shape.vocab, nd_));
    init_start_ = register_module("init_start", two_layers(nd_ + L, nd_ + sd_, nd_));
    init_new_ = register_module("init_new", two_layers(nd_ + sd_ + L, nd_ + sd_, nd_));
    for (int64_t l = 0; l < cfg.g_layers; ++l) {
      msg_.push_back(register_module("msg" + std::to_string(l), torch::nn::Linear(2 * nd_, 2 * nd_)));
      msg_rev_.push_back(
          register_module("msg_rev" + std::to_string(l), torch::nn::Linear(2 * nd_, 2 * nd_)));
      gru_.push_back(register_module("gru" + std::to_string(l), GruCell(2 * nd_, nd_)));
    }
    readout_ = register_module("readout", GraphReadout(nd_, sd_, cfg.aggr == "gsum", true));
    readout_init_ = register_module("readout_init", GraphReadout(nd_, sd_, cfg.aggr == "gsum", true));
    node_add_ = register_module("node_add", two_layers(sd_ + L, sd_, shape.vocab));
    edge_hidden_ = register_module("edge_hidden", torch::nn::Linear(2 * nd_ + sd_ + L, nd_ + sd_));
    edge_out_ = register_module("edge_out", torch::nn::Linear(nd_ + sd_, 1));
    not_generated_ = torch::zeros({shape.vocab}, torch::kBool);
    for (int id : shape.input_ids) not_generated_[id] = true;
    not_generated_ = register_buffer("not_generated", not_generated_);
  }

  // c [B, L] -> (adj [B, N, N], ops [B, N, V], num_nodes [B]).
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& c) {
    const int64_t B = c.size(0);
    const int64_t N = shape_.max_nodes;
    const int64_t V = shape_.vocab;
    const int64_t K = static_cast<int64_t>(shape_.input_ids.size());
    auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(c.device());

    std::vector<torch::Tensor> states, edge_probs(N), node_probs;
    for (int64_t k = 0; k < K; ++k) {
      torch::Tensor id = torch::full({B}, shape_.input_ids[k], long_opts);
      states.push_back(init_start_->forward(torch::cat({node_emb_(id), c}, 1)));
      node_probs.push_back(F::one_hot(id, V).to(c.dtype()));
    }
    // What every step reads from the parameters, built once: the GNN's GRU input weights composed
    // with both message directions, and the two readouts as one product.
    std::vector<torch::Tensor> gru_input;
    for (size_t l = 0; l < gru_.size(); ++l)
      gru_input.push_back(gru_[l]->weight_ih.mm(both_directions(msg_[l], msg_rev_[l])));
    const ReadoutPair readouts(readout_, readout_init_);
    torch::Tensor H = torch::stack(states, 1);                 // [B, n, nd]
    torch::Tensor A = torch::zeros({B, K, K}, c.options());    // hard edges u -> v
    torch::Tensor first_output = torch::full({B}, -1, long_opts);
    const torch::Tensor output_row = F::one_hot(torch::full({B}, shape_.output_id, long_opts), V).to(c.dtype());

    int64_t n = K;
    for (; n < N; ++n) {
      // Samples without an edge yet skip message passing (the reference skips it while the
      // whole batch has none, which made a sample depend on the rest of its batch).
      torch::Tensor has_edges = A.sum({1, 2}).gt(0);
      if (has_edges.all().item<bool>())
        H = propagate(H, A, gru_input);
      else if (has_edges.any().item<bool>())
        H = torch::where(has_edges.view({B, 1, 1}), propagate(H, A, gru_input), H);
      auto [hg, hg_init] = readouts(H);
      torch::Tensor op, prob;
      if (n == N - 1) {
        op = torch::full({B}, shape_.output_id, long_opts);
        prob = output_row;
      } else {
        torch::Tensor logits = node_add_->forward(torch::cat({hg, c}, 1))
                                   .masked_fill(not_generated_, -std::numeric_limits<double>::infinity());
        prob = torch::softmax(logits, 1);
        op = prob.argmax(1);
      }
      torch::Tensor h_new =
          l2_normalize(init_new_->forward(torch::cat({node_emb_(op), hg_init, c}, 1)));
      // Edge scores from every existing vertex u: Linear(h_u ‖ h_new ‖ h_G ‖ c), with each
      // sample's own h_new, h_G and c broadcast over its vertices.
      torch::Tensor hidden = vertex_linear(H, torch::cat({h_new, hg, c}, 1), edge_hidden_);
      torch::Tensor ep = torch::sigmoid(edge_out_(leaky(hidden)).squeeze(-1));  // [B, n]
      edge_probs[n] = ep;
      node_probs.push_back(prob);

      A = append_vertex(A, ep.detach().gt(0.5).to(c.dtype()));
      H = torch::cat({H, h_new.unsqueeze(1)}, 1);
      first_output = torch::where(first_output.lt(0) & op.eq(shape_.output_id),
                                  torch::full_like(first_output, n), first_output);
      if (!first_output.lt(0).any().item<bool>()) {
        ++n;
        break;
      }
    }
    // Pack: column v of adj holds the probabilities of the edges into v.
    std::vector<torch::Tensor> cols;
    for (int64_t v = 0; v < N; ++v) {
      if (!edge_probs[v].defined())
        cols.push_back(torch::zeros({B, N}, c.options()));
      else
        cols.push_back(torch::cat({edge_probs[v], torch::zeros({B, N - v}, c.options())}, 1));
    }
    torch::Tensor adj = torch::stack(cols, 2);
    while (static_cast<int64_t>(node_probs.size()) < N) node_probs.push_back(torch::zeros({B, V}, c.options()));
    torch::Tensor ops = torch::stack(node_probs, 1);
    torch::Tensor num = first_output + 1;
    torch::Tensor valid = torch::arange(N, long_opts).unsqueeze(0).lt(num.unsqueeze(1)).to(c.dtype());
    adj = adj * valid.unsqueeze(2) * valid.unsqueeze(1);
    ops = ops * valid.unsqueeze(2);
    return {adj, ops, num};
  }

  void set_fast_dropout(bool fast) { fast_dropout_ = fast; }

 private:
  // The GNN: per layer, dropout on the states, forward and reverse messages summed at the
  // receivers, a GRU update; L2-normalised states out. Edge u -> v sends msg(h_u ‖ h_v) to v and
  // msg_rev(h_v ‖ h_u) to u; the messages go straight into the GRU, whose input weights
  // `gru_input` holds composed with both message Linears (see both_directions).
  torch::Tensor propagate(torch::Tensor H, const torch::Tensor& A,
                          const std::vector<torch::Tensor>& gru_input) {
    const int64_t B = H.size(0), n = H.size(1);
    const EdgeInputs edge_inputs(A);
    for (size_t l = 0; l < gru_.size(); ++l) {
      torch::Tensor x = fast_dropout_ ? fast_dropout(H, dropout_, is_training())
                                      : torch::dropout(H, dropout_, is_training());
      torch::Tensor inputs = edge_inputs(x);
      H = gru_cell(inputs.view({B * n, inputs.size(2)}), x.reshape({B * n, nd_}), gru_input[l],
                   gru_[l]->weight_hh, gru_[l]->bias_ih, gru_[l]->bias_hh)
              .view({B, n, nd_});
    }
    return l2_normalize(H);
  }

  bool fast_dropout_ = true;
  GraphShape shape_;
  int64_t nd_, sd_;
  double dropout_;
  torch::nn::Embedding node_emb_{nullptr};
  torch::nn::Sequential init_start_{nullptr}, init_new_{nullptr}, node_add_{nullptr};
  std::vector<torch::nn::Linear> msg_, msg_rev_;
  std::vector<GruCell> gru_;
  GraphReadout readout_{nullptr}, readout_init_{nullptr};
  torch::nn::Linear edge_hidden_{nullptr}, edge_out_{nullptr};
  torch::Tensor not_generated_;
};

GeneratorImpl::GeneratorImpl(const GraphShape& shape, const GanModelConfig& cfg, int num_conditions,
                             int64_t classes)
    : straight_through_(cfg.straight_through) {
  cfg.validate("gan");
  NAS_CHECK(num_conditions >= 1 && classes >= 2, "gan: expected at least one condition of at least "
            "2 classes, found {} of {}", num_conditions, classes);
  for (int k = 0; k < num_conditions; ++k)
    label_emb_.push_back(register_module("label_emb" + std::to_string(k),
                                         torch::nn::Embedding(classes, cfg.label_embedding)));
  const int64_t L = cfg.latent_dim + num_conditions * cfg.label_embedding;
  for (int c = 0; c < shape.cells; ++c)
    cells_.push_back(register_module("cell" + std::to_string(c),
                                     std::make_shared<CellGeneratorImpl>(shape, cfg, L)));
}

torch::Tensor GeneratorImpl::condition(const torch::Tensor& z, const torch::Tensor& labels) {
  NAS_CHECK(labels.dim() == 2 && labels.size(1) == static_cast<int64_t>(label_emb_.size()) &&
                labels.size(0) == z.size(0),
            "generator: expected labels [{}, {}], found {}", z.size(0), label_emb_.size(),
            shape_string(labels));
  std::vector<torch::Tensor> parts{z};
  for (size_t k = 0; k < label_emb_.size(); ++k)
    parts.push_back(l2_normalize(label_emb_[k](labels.select(1, static_cast<int64_t>(k)))));
  return torch::cat(parts, 1);
}

void GeneratorImpl::set_fast_dropout(bool fast) {
  for (auto& cell : cells_) cell->set_fast_dropout(fast);
}

GraphBatch GeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  torch::Tensor c = condition(z, labels);
  std::vector<torch::Tensor> adj, ops, num;
  for (auto& cell : cells_) {
    auto [a, o, n] = cell->forward(c);
    if (straight_through_) {
      // 1 on the cell's vertices, 0 on padding: [B, N, 1]
      torch::Tensor valid =
          torch::arange(o.size(1), n.options()).unsqueeze(0).lt(n.unsqueeze(1)).unsqueeze(2);
      a = a.gt(0.5).to(a.dtype()) + (a - a.detach());
      o = F::one_hot(o.argmax(-1), o.size(-1)).to(o.dtype()) * valid.to(o.dtype()) +
          (o - o.detach());
    }
    adj.push_back(a);
    ops.push_back(o);
    num.push_back(n);
  }
  return {torch::stack(adj, 1), torch::stack(ops, 1), torch::stack(num, 1)};
}

// ---- Discriminator ---------------------------------------------------------------------------

class CellDiscriminatorImpl : public torch::nn::Module {
 public:
  CellDiscriminatorImpl(const GraphShape& shape, const GanModelConfig& cfg) : dropout_(cfg.d_dropout) {
    emb_ = register_module("emb", torch::nn::Linear(torch::nn::LinearOptions(shape.vocab, cfg.d_node_size).bias(false)));
    const double bound = 1.0 / std::sqrt(static_cast<double>(cfg.d_node_size));
    for (int64_t l = 0; l < cfg.d_gnn_layers; ++l)
      gcn_.push_back(register_parameter(
          "gcn" + std::to_string(l),
          torch::empty({cfg.d_node_size, cfg.d_node_size}).uniform_(-bound, bound)));
    readout_ = register_module("readout", GraphReadout(cfg.d_node_size, cfg.d_graph_size, cfg.aggr == "gsum", true));
  }

  // adj [B, N, N] (edge u -> v at [u][v]), ops [B, N, V], num [B] -> [B, d_graph_size].
  torch::Tensor forward(const torch::Tensor& adj, const torch::Tensor& ops, const torch::Tensor& num) {
    const int64_t N = adj.size(1);
    torch::Tensor a = adj + adj.transpose(1, 2) + torch::eye(N, adj.options()).unsqueeze(0);
    torch::Tensor d = a.sum(2).pow(-0.5);
    a = d.unsqueeze(2) * a * d.unsqueeze(1);
    torch::Tensor x = emb_(ops);
    for (size_t l = 0; l < gcn_.size(); ++l) {
      x = fast_dropout(x, dropout_, is_training());
      x = a.bmm(x.matmul(gcn_[l]));
      if (l + 1 < gcn_.size()) x = leaky(x);
    }
    x = l2_normalize(x);
    torch::Tensor mask =
        torch::arange(N, num.options()).unsqueeze(0).lt(num.unsqueeze(1)).to(x.dtype());
    return readout_(x, mask);
  }

 private:
  double dropout_;
  torch::nn::Linear emb_{nullptr};
  std::vector<torch::Tensor> gcn_;
  GraphReadout readout_{nullptr};
};

DiscriminatorImpl::DiscriminatorImpl(const GraphShape& shape, const GanModelConfig& cfg,
                                     int num_conditions, int64_t classes)
    : dropout_(cfg.d_dropout) {
  cfg.validate("gan");
  for (int k = 0; k < num_conditions; ++k)
    label_emb_.push_back(register_module("label_emb" + std::to_string(k),
                                         torch::nn::Embedding(classes, cfg.label_embedding)));
  for (int c = 0; c < shape.cells; ++c)
    cells_.push_back(register_module("cell" + std::to_string(c),
                                     std::make_shared<CellDiscriminatorImpl>(shape, cfg)));
  int64_t width = shape.cells * cfg.d_graph_size + num_conditions * cfg.label_embedding;
  for (int64_t l = 0; l < cfg.d_mlp_layers; ++l) {
    const int64_t out = l + 1 == cfg.d_mlp_layers ? 1 : std::max<int64_t>(1, width / 2);
    head_.push_back(register_module("head" + std::to_string(l), torch::nn::Linear(width, out)));
    width = out;
  }
}

torch::Tensor DiscriminatorImpl::forward(const GraphBatch& graphs, const torch::Tensor& labels) {
  std::vector<torch::Tensor> parts;
  for (size_t c = 0; c < cells_.size(); ++c) {
    const auto i = static_cast<int64_t>(c);
    parts.push_back(cells_[c]->forward(graphs.adj.select(1, i), graphs.ops.select(1, i),
                                       graphs.num_nodes.select(1, i)));
  }
  for (size_t k = 0; k < label_emb_.size(); ++k)
    parts.push_back(l2_normalize(label_emb_[k](labels.select(1, static_cast<int64_t>(k)))));
  torch::Tensor x = torch::cat(parts, 1);
  for (size_t l = 0; l < head_.size(); ++l) {
    if (l + 1 < head_.size()) {
      x = fast_dropout(x, dropout_, is_training());
      x = leaky(head_[l](x));
    } else {
      x = head_[l](x);
    }
  }
  return x.squeeze(1);
}

}  // namespace nas::nag
