#include "libnas/models/macro_net.h"

#include <string>

#include "libnas/models/flops.h"
#include "libnas/models/ops.h"
#include "libnas/spaces/macro.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

constexpr int64_t kMacroStemWidth = 32;
constexpr int64_t kMacroHeadWidth = 1280;

// (expansion, kernel) of the two MBConv ops.
std::pair<int64_t, int64_t> mb_shape(int op) {
  return op == MacroSpace::kMb3K3 ? std::make_pair<int64_t, int64_t>(3, 3)
                                  : std::make_pair<int64_t, int64_t>(6, 5);
}

void check_layer_ops(const std::vector<int>& ops) {
  NAS_CHECK(static_cast<int>(ops.size()) == MacroSpace::kNumLayers,
            "macro network: expected {} layer op ids, found {}", MacroSpace::kNumLayers,
            ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    NAS_CHECK(ops[i] >= 0 && ops[i] < MacroSpace::kNumOps,
              "macro network: layer {} has op id {}, expected 0 identity, 1 mb3_k3 or 2 mb6_k5",
              i, ops[i]);
}

}  // namespace

void check_network_config(const NetworkConfig& cfg, const std::string& what) {
  NAS_CHECK(cfg.num_classes >= 1, "{}: num_classes must be at least 1, found {}", what,
            cfg.num_classes);
  NAS_CHECK(cfg.in_channels >= 1, "{}: in_channels must be at least 1, found {}", what,
            cfg.in_channels);
  NAS_CHECK(cfg.image_size >= 1, "{}: image_size must be at least 1, found {}", what,
            cfg.image_size);
  NAS_CHECK(cfg.dropout >= 0 && cfg.dropout < 1, "{}: dropout must be in [0, 1), found {}",
            what, cfg.dropout);
}

// ---------------------------------------------------------------------------------------------
// Blocks

ConvBnActImpl::ConvBnActImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu,
                             int64_t groups)
    : relu_(relu) {
  conv_ = register_module("conv", make_conv(in, out, kernel, stride, kernel / 2, 1, groups));
  bn_ = register_module("bn", make_batch_norm(out));
}

torch::Tensor ConvBnActImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn_->forward(counted(conv_, x));
  return relu_ ? torch::relu(y) : y;
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t hidden, int64_t out,
                                           int64_t kernel, int64_t stride)
    : residual_(stride == 1 && in == out) {
  expand_ = register_module("expand", ConvBnAct(in, hidden, 1, 1, true));
  depthwise_ =
      register_module("depthwise", ConvBnAct(hidden, hidden, kernel, stride, true, hidden));
  project_ = register_module("project", ConvBnAct(hidden, out, 1, 1, false));
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = project_->forward(depthwise_->forward(expand_->forward(x)));
  return residual_ ? y + x : y;
}

// ---------------------------------------------------------------------------------------------
// Analytic counting

void LayoutCounter::conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                         int64_t groups) {
  conv_branch(in, out, kernel, stride, groups);
  size_ = (size_ + 2 * (kernel / 2) - kernel) / stride + 1;
}

void LayoutCounter::conv_branch(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                int64_t groups) {
  const int64_t out_size = (size_ + 2 * (kernel / 2) - kernel) / stride + 1;
  const int64_t weights = kernel * kernel * (in / groups) * out;
  params_ += weights;
  flops_ += static_cast<double>(weights) * static_cast<double>(out_size * out_size);
}

void LayoutCounter::linear(int64_t in, int64_t out) {
  params_ += in * out + out;
  flops_ += static_cast<double>(in * out + out);
}

ModelStats LayoutCounter::stats() const {
  ModelStats s;
  s.params = params_;
  s.flops = flops_;
  return s;
}

// ---------------------------------------------------------------------------------------------
// The network

MacroNetworkImpl::MacroNetworkImpl(const std::vector<int>& layer_ops, const NetworkConfig& cfg)
    : dropout_(cfg.dropout) {
  check_layer_ops(layer_ops);
  check_network_config(cfg, "macro network");
  stem_ = register_module("stem", ConvBnAct(cfg.in_channels, kMacroStemWidth, 3, 1, true));
  const auto& shapes = MacroSpace::layers();
  for (int i = 0; i < MacroSpace::kNumLayers; ++i) {
    const auto& info = shapes[i];
    Layer layer;
    const std::string name = "layer" + std::to_string(i + 1);
    if (layer_ops[i] == MacroSpace::kIdentity) {
      if (info.stride != 1 || info.in_channels != info.out_channels)
        layer.projection = register_module(
            name, ConvBnAct(info.in_channels, info.out_channels, 1, info.stride, false));
    } else {
      auto [expansion, kernel] = mb_shape(layer_ops[i]);
      layer.mb = register_module(
          name, InvertedResidual(info.in_channels, info.in_channels * expansion,
                                 info.out_channels, kernel, info.stride));
    }
    layers_.push_back(layer);
  }
  const int64_t last = shapes.back().out_channels;
  head_ = register_module("head", ConvBnAct(last, kMacroHeadWidth, 1, 1, true));
  classifier_ = register_module("classifier", torch::nn::Linear(kMacroHeadWidth, cfg.num_classes));
}

NetworkOutput MacroNetworkImpl::forward(const torch::Tensor& x) {
  NAS_CHECK(x.dim() == 4, "macro network: expected an N x C x H x W input, found {} dimensions",
            x.dim());
  torch::Tensor h = stem_->forward(x);
  for (auto& layer : layers_) {
    if (layer.mb)
      h = layer.mb->forward(h);
    else if (layer.projection)
      h = layer.projection->forward(h);
  }
  h = head_->forward(h);
  h = h.mean({2, 3});
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  NetworkOutput out;
  out.logits = counted(classifier_, h);
  return out;
}

std::shared_ptr<NetworkImpl> build_macro_network(const SearchSpace& space, const Arch& arch,
                                                 const NetworkConfig& cfg) {
  const auto* macro = dynamic_cast<const MacroSpace*>(&space);
  NAS_CHECK(macro != nullptr, "macro network: expected the macro space, found space {}",
            space.name());
  macro->validate(arch);
  return std::make_shared<MacroNetworkImpl>(macro->layer_ops(arch), cfg);
}

ModelStats macro_network_stats(const std::vector<int>& layer_ops, const NetworkConfig& cfg) {
  check_layer_ops(layer_ops);
  check_network_config(cfg, "macro network");
  LayoutCounter c(cfg.image_size);
  c.conv(cfg.in_channels, kMacroStemWidth, 3, 1);
  c.batch_norm(kMacroStemWidth);
  const auto& shapes = MacroSpace::layers();
  for (int i = 0; i < MacroSpace::kNumLayers; ++i) {
    const auto& info = shapes[i];
    if (layer_ops[i] == MacroSpace::kIdentity) {
      if (info.stride != 1 || info.in_channels != info.out_channels) {
        c.conv(info.in_channels, info.out_channels, 1, info.stride);
        c.batch_norm(info.out_channels);
      }
      continue;
    }
    auto [expansion, kernel] = mb_shape(layer_ops[i]);
    const int64_t hidden = info.in_channels * expansion;
    c.conv(info.in_channels, hidden, 1, 1);
    c.batch_norm(hidden);
    c.conv(hidden, hidden, kernel, info.stride, hidden);
    c.batch_norm(hidden);
    c.conv(hidden, info.out_channels, 1, 1);
    c.batch_norm(info.out_channels);
  }
  c.conv(shapes.back().out_channels, kMacroHeadWidth, 1, 1);
  c.batch_norm(kMacroHeadWidth);
  c.linear(kMacroHeadWidth, cfg.num_classes);
  return c.stats();
}

}  // namespace nas
