// The NAS-Bench-201 TinyNetwork. The benchmark trained it with C = 16 and N = 5 (pass
// channels = 16, layers = 5 to reproduce its `params` and `flops` exactly); NetworkConfig's
// defaults are the NASNet-style ones, so callers set both.
//
//   stem    conv3x3 in->C + BN (no ReLU)
//   stage 1 N cells at C
//   reduce  ResNet block: ReLU-conv3x3(C->2C, stride 2)-BN, ReLU-conv3x3(2C->2C)-BN, plus a
//           shortcut AvgPool(2) + conv1x1 C->2C (no BN)
//   stage 2 N cells at 2C, reduce to 4C, stage 3 N cells at 4C
//   head    BN + ReLU, global average pool, [dropout], FC 4C->classes
// Cell: 4 nodes, node 0 the cell input, node j the sum over i < j of op_(i->j)(node i), node 3
// the output. Edge ops (GENIUS ids): 0 none (contributes nothing; a node with only none
// inputs is zero), 1 skip, 2 ReLU-conv1x1-BN, 3 ReLU-conv3x3-BN, 4 avg pool 3x3 (stride 1, pad
// 1, padding not counted). Convs are bias-free, BN affine.
// NetworkConfig fields used: channels, layers, num_classes, in_channels, image_size (FLOPs; an
// even size at each reduction, i.e. a multiple of 4), dropout; imagenet and auxiliary are
// ignored.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "libnas/models/network.h"
#include "libnas/models/ops.h"

namespace nas {

// One NB201 cell with fixed edge ops at width C.
class Nb201CellImpl : public torch::nn::Module {
 public:
  Nb201CellImpl(const std::vector<int>& edge_ops, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  struct Edge {
    int from, to;
    std::shared_ptr<CellOpImpl> op;  // none edges are left out
  };
  std::vector<Edge> edges_;
};
TORCH_MODULE(Nb201Cell);

// The ResNet basic block NB201 uses between stages (C -> 2C, stride 2).
class Nb201ReductionImpl : public torch::nn::Module {
 public:
  Nb201ReductionImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ReLUConvBN conv_a_{nullptr}, conv_b_{nullptr};
  torch::nn::Conv2d shortcut_{nullptr};
};
TORCH_MODULE(Nb201Reduction);

// The TinyNetwork of 6 edge op ids (GENIUS ids, NB201 edge order, see Nb201Space::edge).
class Nb201NetworkImpl : public NetworkImpl {
 public:
  Nb201NetworkImpl(const std::vector<int>& edge_ops, const NetworkConfig& cfg);
  NetworkOutput forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr}, last_bn_{nullptr};
  // Cells and reduction blocks in order: exactly one of the two is set per entry.
  std::vector<std::pair<Nb201Cell, Nb201Reduction>> body_;
  torch::nn::Linear classifier_{nullptr};
  double dropout_;
};

// Builds the network of an `nb201` arch; nas::Error when the space is not nb201 or the arch is
// invalid.
std::shared_ptr<NetworkImpl> build_nb201_network(const SearchSpace& space, const Arch& arch,
                                                 const NetworkConfig& cfg);

// Parameters and FLOPs of the TinyNetwork, computed from the layout without building it (equal
// to model_stats of the built network; with C = 16, N = 5 equal to the benchmark's values).
ModelStats nb201_network_stats(const std::vector<int>& edge_ops, const NetworkConfig& cfg);

}  // namespace nas
