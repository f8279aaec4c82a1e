// The Channel-Bench-Macro networks (CIFAR-10): a ResNet and a MobileNet base whose 7 widths
// come from the arch (ChannelSpace::widths).
//
// ResNet (matches the benchmark's `params` and `flops` for all 16384 keys):
//   stem conv3x3 in->ch0 stride 2 + BN + ReLU
//   x = ReLU(x + B(ch0, ch1)), x = ReLU(x + B(ch0, ch2)),  B(c, h) = conv3x3 c->h + BN + ReLU,
//                                                                    conv3x3 h->c + BN
//   x = ReLU(conv3x3 ch0->ch3 stride 2 + BN + ReLU, conv3x3 ch3->ch4 + BN)   (no shortcut)
//   x = ReLU(x + B(ch4, ch5)), x = ReLU(x + B(ch4, ch6))
//   global average pool, [dropout], FC ch4->classes
// MobileNet:
//   stem conv3x3 in->ch0 stride 2 + BN + ReLU
//   inverted residuals (kernel 3, hidden width free): ch0->ch1->ch0 and ch0->ch2->ch0 with the
//   residual, ch0->ch3->ch4 stride 2 without, ch4->ch5->ch4 with
//   conv1x1 ch4->ch6 + BN + ReLU, global average pool, [dropout], FC ch6->classes
// Every conv is bias-free, BN affine, activations plain ReLU. The benchmark's FLOPs count the FC
// without its bias: ours are `flops` + num_classes.
// NetworkConfig fields used: num_classes, in_channels, image_size (FLOPs), dropout; the widths
// come from the arch, so channels, layers, imagenet and auxiliary are ignored.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "libnas/models/macro_net.h"
#include "libnas/models/network.h"
#include "libnas/spaces/channel.h"

namespace nas {

// conv3x3 in->hidden + BN + ReLU, conv3x3 hidden->out + BN (the first conv may have stride 2).
class ChannelResBlockImpl : public torch::nn::Module {
 public:
  ChannelResBlockImpl(int64_t in, int64_t hidden, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvBnAct first_{nullptr}, second_{nullptr};
};
TORCH_MODULE(ChannelResBlock);

// The Channel-Bench-Macro ResNet of 7 widths.
class ChannelResNetImpl : public NetworkImpl {
 public:
  ChannelResNetImpl(const std::vector<int>& widths, const NetworkConfig& cfg);
  NetworkOutput forward(const torch::Tensor& x) override;

 private:
  ConvBnAct stem_{nullptr};
  ChannelResBlock block1_{nullptr}, block2_{nullptr}, down_{nullptr}, block4_{nullptr},
      block5_{nullptr};
  torch::nn::Linear classifier_{nullptr};
  double dropout_;
};

// The Channel-Bench-Macro MobileNet of 7 widths.
class ChannelMobileNetImpl : public NetworkImpl {
 public:
  ChannelMobileNetImpl(const std::vector<int>& widths, const NetworkConfig& cfg);
  NetworkOutput forward(const torch::Tensor& x) override;

 private:
  ConvBnAct stem_{nullptr}, head_{nullptr};
  InvertedResidual block1_{nullptr}, block2_{nullptr}, block3_{nullptr}, block4_{nullptr};
  torch::nn::Linear classifier_{nullptr};
  double dropout_;
};

// Builds the network of a channel-resnet or channel-mobilenet arch; nas::Error when the space
// is neither or the arch is invalid.
std::shared_ptr<NetworkImpl> build_channel_network(const SearchSpace& space, const Arch& arch,
                                                   const NetworkConfig& cfg);

// Parameters and FLOPs of a channel network from its 7 widths, computed from the layout
// without building it (equal to model_stats of the built network).
ModelStats channel_network_stats(ChannelSpace::Base base, const std::vector<int>& widths,
                                 const NetworkConfig& cfg);

}  // namespace nas
