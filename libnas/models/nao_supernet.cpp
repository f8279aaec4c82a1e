#include "libnas/models/nao_supernet.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "libnas/models/flops.h"
#include "libnas/models/nasnet.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

constexpr const char* kWhat = "nao supernet";
constexpr int kNodes = NaoCellSpace::kNodes;
constexpr int kStates = kNodes + 2;
constexpr double kBnMomentum = 0.1;
constexpr double kBnEps = 1e-5;

// Op ids of the 5-op set.
enum NaoOp { kSep3 = 0, kSep5 = 1, kAvg3 = 2, kMax3 = 3, kIdentity = 4, kNumOps = 5 };

// A bias-free conv with a weight tensor (no module), counted like `counted` in flops.h.
torch::Tensor ws_conv(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                      int64_t padding, int64_t groups) {
  torch::Tensor y = torch::conv2d(x, w, {}, {stride, stride}, {padding, padding}, {1, 1}, groups);
  if (counting_flops())
    add_flops(static_cast<double>(w.size(0) * w.size(1) * w.size(2) * w.size(3)) *
              static_cast<double>(y.size(-1) * y.size(-2)));
  return y;
}

}  // namespace

// ---- Weight-shared building blocks ----------------------------------------------------------

WSBatchNormImpl::WSBatchNormImpl(int num_inputs, int64_t channels) {
  NAS_CHECK(num_inputs >= 1 && channels >= 1,
            "WSBN: expected at least one input and one channel, found {} and {}", num_inputs,
            channels);
  for (int k = 0; k < num_inputs; ++k) {
    weight_.push_back(register_parameter(fmt::format("weight_{}", k), torch::ones({channels})));
    bias_.push_back(register_parameter(fmt::format("bias_{}", k), torch::zeros({channels})));
  }
  running_mean_ = register_buffer("running_mean", torch::zeros({channels}));
  running_var_ = register_buffer("running_var", torch::ones({channels}));
}

torch::Tensor WSBatchNormImpl::forward(const torch::Tensor& x, int k) {
  return torch::batch_norm(x, weight_[k], bias_[k], running_mean_, running_var_,
                           /*training=*/true, kBnMomentum, kBnEps, /*cudnn_enabled=*/true);
}

WSSepConvImpl::WSSepConvImpl(int num_inputs, int64_t channels, int64_t kernel)
    : channels_(channels), padding_(kernel / 2) {
  NAS_CHECK(num_inputs >= 1 && channels >= 1 && kernel >= 1 && kernel % 2 == 1,
            "WSSepConv: expected at least one input and one channel and an odd kernel, found "
            "{}, {} and {}",
            num_inputs, channels, kernel);
  const int64_t c = channels;
  for (int k = 0; k < num_inputs; ++k) {
    dw1_.push_back(
        register_parameter(fmt::format("dw1_{}", k), torch::empty({c, 1, kernel, kernel})));
    pw1_.push_back(register_parameter(fmt::format("pw1_{}", k), torch::empty({c, c, 1, 1})));
    dw2_.push_back(
        register_parameter(fmt::format("dw2_{}", k), torch::empty({c, 1, kernel, kernel})));
    pw2_.push_back(register_parameter(fmt::format("pw2_{}", k), torch::empty({c, c, 1, 1})));
  }
  bn1_ = register_module("bn1", WSBatchNorm(num_inputs, c));
  bn2_ = register_module("bn2", WSBatchNorm(num_inputs, c));
  init_kaiming(*this);
}

torch::Tensor WSSepConvImpl::forward(const torch::Tensor& x, int k, int64_t stride) {
  torch::Tensor y = ws_conv(torch::relu(x), dw1_[k], stride, padding_, channels_);
  y = bn1_->forward(ws_conv(y, pw1_[k], 1, 0, 1), k);
  y = ws_conv(torch::relu(y), dw2_[k], 1, padding_, channels_);
  return bn2_->forward(ws_conv(y, pw2_[k], 1, 0, 1), k);
}

WSReLUConvBNImpl::WSReLUConvBNImpl(int num_states, int64_t channels) {
  NAS_CHECK(num_states >= 1 && channels >= 1,
            "WSReLUConvBN: expected at least one state and one channel, found {} and {}",
            num_states, channels);
  for (int s = 0; s < num_states; ++s)
    w_.push_back(
        register_parameter(fmt::format("w_{}", s), torch::empty({channels, channels, 1, 1})));
  bn_ = register_module("bn", make_batch_norm(channels));
  init_kaiming(*this);
}

torch::Tensor WSReLUConvBNImpl::forward(const torch::Tensor& x, const std::vector<int>& states) {
  torch::Tensor w;
  if (states.size() == 1) {
    w = w_[states[0]];
  } else {
    std::vector<torch::Tensor> slices;
    slices.reserve(states.size());
    for (int s : states) slices.push_back(w_[s]);
    w = torch::cat(slices, 1);
  }
  return bn_->forward(ws_conv(torch::relu(x), w, 1, 0, 1));
}

// ---- Cells ----------------------------------------------------------------------------------

namespace {

// The modules of one branch side (x or y) of a node.
struct BranchModules {
  WSSepConv sep3{nullptr}, sep5{nullptr};
  std::array<FactorizedReduce, 2> reduce{FactorizedReduce{nullptr}, FactorizedReduce{nullptr}};
};

class SupernetNodeImpl : public torch::nn::Module {
 public:
  SupernetNodeImpl(int node, int64_t channels, bool reduction) {
    const int num_inputs = node + 2;
    for (int side = 0; side < 2; ++side) {
      const char* s = side == 0 ? "x" : "y";
      BranchModules& m = sides_[side];
      m.sep3 = register_module(fmt::format("{}_sep3", s), WSSepConv(num_inputs, channels, 3));
      m.sep5 = register_module(fmt::format("{}_sep5", s), WSSepConv(num_inputs, channels, 5));
      if (reduction)
        for (int k = 0; k < 2; ++k)
          m.reduce[k] = register_module(fmt::format("{}_reduce{}", s, k),
                                        FactorizedReduce(channels, channels, false));
    }
  }

  BranchModules& side(int s) { return sides_[s]; }

 private:
  std::array<BranchModules, 2> sides_;
};
TORCH_MODULE(SupernetNode);

}  // namespace

class NaoSupernetCellImpl : public torch::nn::Module {
 public:
  NaoSupernetCellImpl(int64_t c0, int64_t c1, int64_t channels, bool reduce_s0, bool reduction)
      : reduction_(reduction),
        avg_{PoolOp(pool_spec(OpKind::AvgPool3x3), 1), PoolOp(pool_spec(OpKind::AvgPool3x3), 2)},
        max_{PoolOp(pool_spec(OpKind::MaxPool3x3), 1), PoolOp(pool_spec(OpKind::MaxPool3x3), 2)} {
    calibrate_ = register_module(
        "calibrate", CalibrateInputs(c0, c1, channels, reduce_s0, /*always_project=*/false));
    for (int j = 0; j < kNodes; ++j)
      nodes_.push_back(
          register_module(fmt::format("node{}", j), SupernetNode(j, channels, reduction)));
    if (reduction)
      for (int k = 0; k < 2; ++k)
        reduce_[k] = register_module(fmt::format("reduce_s{}", k),
                                     FactorizedReduce(channels, channels, false));
    combine_ = register_module("combine", WSReLUConvBN(kStates, channels));
  }

  // The cell of the 20 integers at `arch`; drop-path with `keep` when drop is set.
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1, const int* arch,
                        bool drop, double keep) {
    auto inputs = calibrate_->forward(s0, s1);
    std::array<torch::Tensor, kStates> states;
    states[0] = std::move(inputs.first);
    states[1] = std::move(inputs.second);
    std::array<bool, kStates> used{};
    for (int j = 0; j < kNodes; ++j) {
      torch::Tensor sum;
      for (int side = 0; side < 2; ++side) {
        const int input = arch[4 * j + 2 * side];
        const int op = arch[4 * j + 2 * side + 1];
        used[input] = true;
        torch::Tensor h = branch(nodes_[j]->side(side), states[input], input, op);
        if (drop) h = drop_path(h, keep);
        sum = side == 0 ? std::move(h) : sum + h;
      }
      states[2 + j] = std::move(sum);
    }
    std::vector<int> concat;
    std::vector<torch::Tensor> outs;
    for (int s = 0; s < kStates; ++s) {
      if (used[s]) continue;
      concat.push_back(s);
      outs.push_back(reduction_ && s < 2 ? reduce_[s]->forward(states[s]) : states[s]);
    }
    return combine_->forward(cat_channels(outs), concat);
  }

 private:
  torch::Tensor branch(BranchModules& m, const torch::Tensor& x, int input, int op) {
    const int64_t stride = reduction_ && input < 2 ? 2 : 1;
    switch (op) {
      case kSep3: return m.sep3->forward(x, input, stride);
      case kSep5: return m.sep5->forward(x, input, stride);
      case kAvg3: return avg_[stride - 1]->forward(x);
      case kMax3: return max_[stride - 1]->forward(x);
      default: return stride == 1 ? x : m.reduce[input]->forward(x);
    }
  }

  bool reduction_;
  CalibrateInputs calibrate_{nullptr};
  std::vector<SupernetNode> nodes_;
  std::array<FactorizedReduce, 2> reduce_{FactorizedReduce{nullptr}, FactorizedReduce{nullptr}};
  WSReLUConvBN combine_{nullptr};
  // Weightless pools at stride 1 and 2 (not registered: they hold nothing).
  std::array<PoolOp, 2> avg_, max_;
};

// ---- The supernet ---------------------------------------------------------------------------

NaoSupernetImpl::NaoSupernetImpl(const NetworkConfig& cfg) : cfg_(cfg) {
  check_cell_network_config(cfg, kWhat);
  NAS_CHECK(!cfg.auxiliary,
            "{}: the supernet has no auxiliary head (NAO-WS searches without one); set "
            "auxiliary to false",
            kWhat);
  NAS_CHECK(!cfg.imagenet, "{}: only the CIFAR stem is supported; set imagenet to false", kWhat);
  const int64_t c = cfg.channels;
  const int n = static_cast<int>(cfg.layers);
  const int total = 3 * n + 2;

  stem_conv_ = register_module("stem_conv", make_conv(cfg.in_channels, 3 * c, 3, 1, 1));
  stem_bn_ = register_module("stem_bn", make_batch_norm(3 * c));
  int64_t c0 = 3 * c, c1 = 3 * c, width = c;
  bool reduce_s0 = false;
  for (int i = 0; i < total; ++i) {
    const bool reduction = i == n || i == 2 * n + 1;
    if (reduction) width *= 2;
    auto cell = std::make_shared<NaoSupernetCellImpl>(c0, c1, width, reduce_s0, reduction);
    register_module(fmt::format("cell{}", i), cell);
    cells_.push_back(cell);
    c0 = c1;
    c1 = width;
    reduce_s0 = reduction;
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(cfg.dropout));
  classifier_ = register_module("classifier", torch::nn::Linear(c1, cfg.num_classes));
  init_kaiming(*this);
}

void NaoSupernetImpl::train(bool on) {
  torch::nn::Module::train(on);
  // Batch statistics in every mode (see the header): the BN modules stay in training mode.
  for (const auto& m : modules(/*include_self=*/false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) bn->train(true);
}

double NaoSupernetImpl::keep_probability(int cell) const {
  const double depth = static_cast<double>(cell + 1) / static_cast<double>(cells_.size());
  return 1.0 - progress_ * depth * (1.0 - cfg_.drop_path_keep);
}

void NaoSupernetImpl::set_progress(double fraction) {
  NAS_CHECK(std::isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0 + 1e-9,
            "{}: expected a training progress in [0, 1], found {}", kWhat, fraction);
  progress_ = std::min(fraction, 1.0);
}

torch::Tensor NaoSupernetImpl::forward(const torch::Tensor& x, const Arch& arch) {
  return run(x, space_.to_ints(arch), nullptr);
}

torch::Tensor NaoSupernetImpl::forward(const torch::Tensor& x, const std::vector<int>& ints) {
  return run(x, ints, nullptr);
}

std::vector<std::vector<int64_t>> NaoSupernetImpl::trace(const torch::Tensor& x,
                                                         const std::vector<int>& ints) {
  std::vector<std::vector<int64_t>> shapes;
  run(x, ints, &shapes);
  return shapes;
}

torch::Tensor NaoSupernetImpl::run(const torch::Tensor& x, const std::vector<int>& ints,
                                   std::vector<std::vector<int64_t>>* trace) {
  NAS_CHECK(ints.size() == static_cast<size_t>(NaoCellSpace::kInts),
            "{}: expected an arch of 40 integers (normal cell, then reduction cell), found {}",
            kWhat, ints.size());
  // A cheap range check keeps a bad list from indexing out of bounds.
  for (int p = 0; p < NaoCellSpace::kInts; ++p) {
    const int node = (p % NaoCellSpace::kIntsPerCell) / 4;
    const int hi = p % 2 == 0 ? node + 1 : kNumOps - 1;
    NAS_CHECK(ints[p] >= 0 && ints[p] <= hi,
              "{}: arch integer {} is {}, expected 0..{} (an {} of node {})", kWhat, p, ints[p], hi,
              p % 2 == 0 ? "input" : "op id", node);
  }
  NAS_CHECK(x.dim() == 4 && x.size(1) == cfg_.in_channels && x.size(2) >= 1 && x.size(3) >= 1,
            "{}: expected an input batch [batch, {}, height, width], found {}", kWhat,
            cfg_.in_channels, shape_string(x));
  torch::Tensor s0 = stem_bn_->forward(counted(stem_conv_, x));
  torch::Tensor s1 = s0;
  const bool training = is_training();
  const int n = static_cast<int>(cfg_.layers);
  for (size_t i = 0; i < cells_.size(); ++i) {
    const bool reduction = static_cast<int>(i) == n || static_cast<int>(i) == 2 * n + 1;
    const double keep = training ? keep_probability(static_cast<int>(i)) : 1.0;
    const int* arch = ints.data() + (reduction ? NaoCellSpace::kIntsPerCell : 0);
    torch::Tensor out = cells_[i]->forward(s0, s1, arch, keep < 1.0, keep);
    s0 = std::move(s1);
    s1 = std::move(out);
    if (trace) trace->push_back(s1.sizes().slice(1).vec());
  }
  torch::Tensor y = torch::adaptive_avg_pool2d(s1, {1, 1}).flatten(1);
  if (cfg_.dropout > 0.0) y = dropout_->forward(y);
  return counted(classifier_, y);
}

}  // namespace nas
