// Networks built from an Arch: the common interface every space's network implements, and the
// factory that picks the builder by space.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// How to build a network from an arch. Fields a space does not use are ignored (e.g. NB201
// has fixed widths unless `channels` is set).
struct NetworkConfig {
  int64_t channels = 36;        // C: base width (NASNet-style cells, NB201 C=16 by default)
  int64_t layers = 6;           // N: normal cells per stage (3N+2 cells for NASNet-style nets)
  int64_t num_classes = 10;
  int64_t in_channels = 3;      // 1 for Fashion-MNIST
  int64_t image_size = 32;      // input height = width
  bool imagenet = false;        // ImageNet stems (stride 4 + 2) instead of the CIFAR stem
  bool auxiliary = false;       // auxiliary head (training only), see NetworkOutput::aux
  double dropout = 0.0;         // before the classifier (p = 1 - keep_prob)
  double drop_path_keep = 1.0;  // keep probability of drop-path at the end of training

  template <class V>
  void fields(V& v) {
    v("channels", channels, "base width C");
    v("layers", layers, "normal cells per stage N");
    v("num_classes", num_classes, "classifier outputs");
    v("in_channels", in_channels, "input image channels");
    v("image_size", image_size, "input height = width");
    v("imagenet", imagenet, "ImageNet stems");
    v("auxiliary", auxiliary, "auxiliary head");
    v("dropout", dropout, "dropout before the classifier");
    v("drop_path_keep", drop_path_keep, "final drop-path keep probability");
  }
};

struct NetworkOutput {
  torch::Tensor logits;
  torch::Tensor aux;  // undefined unless training with an auxiliary head
};

// Base of every network nasgen builds. Modules registered under a name starting with
// "auxiliary" belong to the auxiliary head and are left out of reported parameter counts.
class NetworkImpl : public torch::nn::Module {
 public:
  virtual NetworkOutput forward(const torch::Tensor& x) = 0;
  // Drop-path progress: fraction of training done, in [0, 1] (the keep probability ramps with
  // depth and with this fraction). Networks without drop-path ignore it.
  virtual void set_progress(double fraction) {}
};

// The spaces build_network has a network for (nb201, macro, channel-*, nao, nao-11, darts, nag).
const std::vector<std::string>& spaces_with_networks();

// Builds the network of `arch` in `space` (one of spaces_with_networks()).
// nas::Error for a space without a network or an invalid arch.
std::shared_ptr<NetworkImpl> build_network(const SearchSpace& space, const Arch& arch,
                                           const NetworkConfig& cfg);

// The trainable parameters of build_network(space, arch, cfg), auxiliary head excluded: exactly
// model_stats(space, arch, cfg).params, from closed forms (nb201_net.h, macro_net.h,
// channel_net.h, param_count.h) without building the network, so it costs microseconds. It does
// not run a forward pass, so it does not check that cfg.image_size suits the network. nas::Error
// as build_network for a space without a network, an invalid arch or a bad config.
int64_t param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg);

// Convolutions on the CPU (oneDNN) run about twice as fast on channels-last tensors, and
// every op of these networks keeps that layout, so training and evaluation on the CPU use it.
// Whether `device` prefers channels-last (the CPU does; CUDA keeps NCHW).
bool prefers_channels_last(torch::Device device);
// Restrides every 4-d parameter and buffer of `module` to channels-last, in place (their
// identity is kept, so do it before an optimizer takes the parameters).
void to_channels_last(torch::nn::Module& module);
// A channels-last copy of a 4-d tensor with the exact channels-last strides. Tensor::contiguous
// would return a [B, 1, H, W] input or a [C, 1, k, k] depthwise weight unchanged (with one
// channel both layouts count as contiguous), and the convolutions would then pick NCHW.
torch::Tensor to_channels_last(const torch::Tensor& x);

struct ModelStats {
  int64_t params = 0;      // trainable parameters, auxiliary head excluded
  int64_t aux_params = 0;  // parameters of the auxiliary head
  double flops = 0;        // multiply-accumulates of one forward pass of one image (eval mode)
};

// Parameters and FLOPs of the network built from arch (one eval forward of a 1-image batch).
ModelStats model_stats(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg);
ModelStats model_stats(NetworkImpl& net, const NetworkConfig& cfg);

// Parameters and FLOPs of build_network(space, arch, cfg), exactly model_stats's, from the
// closed forms of the spaces that have one for both (nb201, macro, channel-*; checked against
// built networks in their tests): microseconds instead of a network built and run. nullopt for
// the cell spaces (nao, nao-11, darts, nag), whose closed form counts parameters only.
std::optional<ModelStats> closed_form_stats(const SearchSpace& space, const Arch& arch,
                                            const NetworkConfig& cfg);

}  // namespace nas
