// The NAS-Bench-Macro network (CIFAR-10, MobileNetV2-style layers), and the conv-BN and
// inverted-residual blocks it shares with the Channel-Bench-Macro networks.
//
// Layout (matches the benchmark's `params` and `flops` for all 6561 keys):
//   stem   conv3x3 in->32 (stride 1) + BN + ReLU
//   L1..L8 stages of [2, 3, 3]; the first layer of a stage has stride 2 and doubles the width
//          (32->64, 64->128, 128->256); each layer is op 0 Identity (a 1x1 conv stride s + BN
//          projection when the stride or width changes), op 1 MBConv e3 k3 or op 2 MBConv e6 k5
//   head   conv1x1 256->1280 + BN + ReLU, global average pool, [dropout], FC 1280->classes
// Every conv is bias-free; BN is affine (eps 1e-5, momentum 0.1); activations are plain ReLU.
// The benchmark's FLOPs count the FC without its bias: ours are `flops` + num_classes.
// NetworkConfig fields used: num_classes, in_channels, image_size (FLOPs), dropout; the widths
// are fixed by the benchmark, so channels, layers, imagenet and auxiliary are ignored.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libnas/models/network.h"

namespace nas {

// Checks the NetworkConfig fields the benchmark networks use (num_classes, in_channels,
// image_size, dropout); nas::Error naming `what` otherwise.
void check_network_config(const NetworkConfig& cfg, const std::string& what);

// conv kxk (padding k/2, no bias) + BN, optionally followed by ReLU. groups = in = out gives
// a depthwise conv.
class ConvBnActImpl : public torch::nn::Module {
 public:
  ConvBnActImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu,
                int64_t groups = 1);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  bool relu_;
};
TORCH_MODULE(ConvBnAct);

// MobileNetV2 inverted residual: expand 1x1 (in->hidden) + BN + ReLU, depthwise kxk stride s
// + BN + ReLU, project 1x1 (hidden->out) + BN; the input is added when stride is 1 and
// in == out.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t hidden, int64_t out, int64_t kernel, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  bool has_residual() const { return residual_; }

 private:
  ConvBnAct expand_{nullptr}, depthwise_{nullptr}, project_{nullptr};
  bool residual_;
};
TORCH_MODULE(InvertedResidual);

// Counts parameters and FLOPs of a layout analytically, with the convention of flops.h (a conv
// counts H_out * W_out * k * k * in/groups * out, a linear in * out + out; BN adds 2 * C
// parameters and no FLOPs). Tracks the spatial size through strided convs.
class LayoutCounter {
 public:
  explicit LayoutCounter(int64_t image_size) : size_(image_size) {}
  // A bias-free conv with padding kernel/2 at the current size; moves the size on by stride.
  void conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1);
  // A conv at the current size whose output size is not carried on (a parallel branch).
  void conv_branch(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1);
  void batch_norm(int64_t channels) { params_ += 2 * channels; }
  void linear(int64_t in, int64_t out);
  // Sets the current spatial size (after a pool, for example).
  void set_size(int64_t size) { size_ = size; }
  int64_t size() const { return size_; }
  ModelStats stats() const;

 private:
  int64_t size_;
  int64_t params_ = 0;
  double flops_ = 0;
};

// The NAS-Bench-Macro network of 8 layer op ids (0 identity, 1 mb3_k3, 2 mb6_k5).
class MacroNetworkImpl : public NetworkImpl {
 public:
  MacroNetworkImpl(const std::vector<int>& layer_ops, const NetworkConfig& cfg);
  NetworkOutput forward(const torch::Tensor& x) override;

 private:
  // One searchable layer: an inverted residual, a projection, or neither (a true identity).
  struct Layer {
    InvertedResidual mb{nullptr};
    ConvBnAct projection{nullptr};
  };
  ConvBnAct stem_{nullptr}, head_{nullptr};
  std::vector<Layer> layers_;
  torch::nn::Linear classifier_{nullptr};
  double dropout_;
};

// Builds the network of a `macro` arch; nas::Error when the space is not macro or the arch is
// invalid.
std::shared_ptr<NetworkImpl> build_macro_network(const SearchSpace& space, const Arch& arch,
                                                 const NetworkConfig& cfg);

// Parameters and FLOPs of the macro network, computed from the layout without building it
// (equal to model_stats of the built network).
ModelStats macro_network_stats(const std::vector<int>& layer_ops, const NetworkConfig& cfg);

}  // namespace nas
