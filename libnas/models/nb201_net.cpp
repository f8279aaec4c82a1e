#include "libnas/models/nb201_net.h"

#include <string>

#include "libnas/models/flops.h"
#include "libnas/models/macro_net.h"
#include "libnas/spaces/nb201.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

constexpr int kCellNodes = 4;

void check_edge_ops(const std::vector<int>& ops) {
  NAS_CHECK(static_cast<int>(ops.size()) == Nb201Space::kNumEdges,
            "nb201 network: expected {} edge op ids, found {}", Nb201Space::kNumEdges,
            ops.size());
  for (size_t e = 0; e < ops.size(); ++e)
    NAS_CHECK(ops[e] >= 0 && ops[e] < Nb201Space::kNumOps,
              "nb201 network: edge {} has op id {}, expected 0 none, 1 skip_connect, "
              "2 nor_conv_1x1, 3 nor_conv_3x3 or 4 avg_pool_3x3",
              e, ops[e]);
}

void check_nb201_config(const NetworkConfig& cfg) {
  check_network_config(cfg, "nb201 network");
  NAS_CHECK(cfg.channels >= 1, "nb201 network: channels (C) must be at least 1, found {}",
            cfg.channels);
  NAS_CHECK(cfg.layers >= 1, "nb201 network: layers (cells per stage N) must be at least 1, "
            "found {}", cfg.layers);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cell and reduction block

Nb201CellImpl::Nb201CellImpl(const std::vector<int>& edge_ops, int64_t channels) {
  check_edge_ops(edge_ops);
  for (int e = 0; e < Nb201Space::kNumEdges; ++e) {
    auto [from, to] = Nb201Space::edge(e);
    std::shared_ptr<CellOpImpl> op;
    switch (edge_ops[e]) {
      case Nb201Space::kNone:
        continue;
      case Nb201Space::kSkipConnect:
        op = std::make_shared<IdentityOpImpl>();
        break;
      case Nb201Space::kConv1x1:
        op = std::make_shared<ReLUConvBNImpl>(channels, channels, 1, 1, 0);
        break;
      case Nb201Space::kConv3x3:
        op = std::make_shared<ReLUConvBNImpl>(channels, channels, 3, 1, 1);
        break;
      default:
        op = std::make_shared<PoolOpImpl>(pool_spec(OpKind::AvgPool3x3), 1);
        break;
    }
    register_module("edge" + std::to_string(to) + "_" + std::to_string(from), op);
    edges_.push_back({from, to, op});
  }
}

torch::Tensor Nb201CellImpl::forward(const torch::Tensor& x) {
  torch::Tensor nodes[kCellNodes];
  nodes[0] = x;
  // Edges are ordered by target node (NB201 edge order), so every source is final before use.
  for (const auto& edge : edges_) {
    torch::Tensor& source = nodes[edge.from];
    if (!source.defined()) source = torch::zeros_like(x);
    torch::Tensor y = edge.op->forward(source);
    nodes[edge.to] = nodes[edge.to].defined() ? nodes[edge.to] + y : y;
  }
  return nodes[kCellNodes - 1].defined() ? nodes[kCellNodes - 1] : torch::zeros_like(x);
}

Nb201ReductionImpl::Nb201ReductionImpl(int64_t in, int64_t out) {
  conv_a_ = register_module("conv_a", ReLUConvBN(in, out, 3, 2, 1));
  conv_b_ = register_module("conv_b", ReLUConvBN(out, out, 3, 1, 1));
  shortcut_ = register_module("shortcut", make_conv(in, out, 1, 1, 0));
}

torch::Tensor Nb201ReductionImpl::forward(const torch::Tensor& x) {
  // The stride-2 conv maps H to ceil(H / 2) but AvgPool(2) to floor(H / 2): the block only
  // works on even sizes, as in the reference.
  NAS_CHECK(x.size(2) % 2 == 0 && x.size(3) % 2 == 0,
            "nb201 network: a reduction block needs an even height and width, found {}x{} "
            "(the input size must be a multiple of 4)",
            x.size(2), x.size(3));
  torch::Tensor residual = conv_b_->forward(conv_a_->forward(x));
  torch::Tensor pooled = torch::avg_pool2d(x, 2, 2);
  return residual + counted(shortcut_, pooled);
}

// ---------------------------------------------------------------------------------------------
// The network

Nb201NetworkImpl::Nb201NetworkImpl(const std::vector<int>& edge_ops, const NetworkConfig& cfg)
    : dropout_(cfg.dropout) {
  check_edge_ops(edge_ops);
  check_nb201_config(cfg);
  int64_t c = cfg.channels;
  stem_conv_ = register_module("stem_conv", make_conv(cfg.in_channels, c, 3, 1, 1));
  stem_bn_ = register_module("stem_bn", make_batch_norm(c));
  int index = 0;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      auto block = register_module("cells" + std::to_string(index++), Nb201Reduction(c, 2 * c));
      body_.emplace_back(nullptr, block);
      c *= 2;
    }
    for (int64_t i = 0; i < cfg.layers; ++i) {
      auto cell = register_module("cells" + std::to_string(index++), Nb201Cell(edge_ops, c));
      body_.emplace_back(cell, nullptr);
    }
  }
  last_bn_ = register_module("last_bn", make_batch_norm(c));
  classifier_ = register_module("classifier", torch::nn::Linear(c, cfg.num_classes));
}

NetworkOutput Nb201NetworkImpl::forward(const torch::Tensor& x) {
  NAS_CHECK(x.dim() == 4, "nb201 network: expected an N x C x H x W input, found {} dimensions",
            x.dim());
  torch::Tensor h = stem_bn_->forward(counted(stem_conv_, x));
  for (auto& [cell, reduction] : body_) h = cell ? cell->forward(h) : reduction->forward(h);
  h = torch::relu(last_bn_->forward(h)).mean({2, 3});
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  NetworkOutput out;
  out.logits = counted(classifier_, h);
  return out;
}

std::shared_ptr<NetworkImpl> build_nb201_network(const SearchSpace& space, const Arch& arch,
                                                 const NetworkConfig& cfg) {
  const auto* nb201 = dynamic_cast<const Nb201Space*>(&space);
  NAS_CHECK(nb201 != nullptr, "nb201 network: expected the nb201 space, found space {}",
            space.name());
  nb201->validate(arch);
  return std::make_shared<Nb201NetworkImpl>(nb201->edge_ops(arch), cfg);
}

ModelStats nb201_network_stats(const std::vector<int>& edge_ops, const NetworkConfig& cfg) {
  check_edge_ops(edge_ops);
  check_nb201_config(cfg);
  LayoutCounter counter(cfg.image_size);
  int64_t c = cfg.channels;
  counter.conv(cfg.in_channels, c, 3, 1);
  counter.batch_norm(c);
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      counter.conv(c, 2 * c, 3, 2);
      counter.batch_norm(2 * c);
      counter.conv(2 * c, 2 * c, 3, 1);
      counter.batch_norm(2 * c);
      counter.conv_branch(c, 2 * c, 1, 1);  // after AvgPool(2), i.e. at the new size
      c *= 2;
    }
    for (int64_t i = 0; i < cfg.layers; ++i) {
      for (int op : edge_ops) {
        if (op == Nb201Space::kConv1x1 || op == Nb201Space::kConv3x3) {
          counter.conv(c, c, op == Nb201Space::kConv1x1 ? 1 : 3, 1);
          counter.batch_norm(c);
        }
      }
    }
  }
  counter.batch_norm(c);
  counter.linear(c, cfg.num_classes);
  return counter.stats();
}

}  // namespace nas
