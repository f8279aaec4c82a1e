// The NAO-WS weight-sharing supernet over the "nao" (5-op) cell space, the space NAONet-B was
// found in: one network holding the weights of every architecture of the space, each forward
// running the path of one arch. It mirrors the fixed network of nasnet.h, with the differences
// below (NAO-WS's NASWSNetworkCIFAR).
//
//   stem        conv3x3 in_channels -> 3C + BN (no ReLU); both inputs of cell 0 are its output
//   cells       0..3N+1, reductions at N and 2N+1, where the per-node width doubles (C, 2C,
//               4C); (s0, s1) <- (s1, cell(s0, s1)); every cell outputs exactly its width
//   classifier  global average pool -> dropout(cfg.dropout) -> Linear(4C -> num_classes)
//
// A cell of width c holds, for every node j (reading j + 2 possible states) and each branch
// side (x and y, separate modules):
//   - sep3, sep5  WSSepConv (below): one set of conv weights and BN affine pairs per input index;
//   - avg3, max3  pools, no weights (avg pool 3x3 pad 1 without the padding in the average,
//                 max pool 3x3 pad 1); stride 2 when a reduction cell's branch reads s0 or s1;
//   - identity    pass-through at stride 1; in a reduction cell one FactorizedReduce(c -> c)
//                 per input index 0 and 1 (no ReLU in front). Each side uses its own reduce
//                 modules. (The reference builds x_id_reduce_* and y_id_reduce_* but reads the
//                 x ones from both sides, leaving the y ones dead; the module count and so the
//                 parameter count are the same.)
// Cell input calibration follows the shapes at construction (CalibrateInputs): s0 at twice
// s1's resolution (the previous cell reduced) gets ReLU + FactorizedReduce, an input of
// another width gets ReLU-conv1x1-BN, an input of the cell's width passes unchanged; as every
// cell outputs its width, normal cells after normal cells have no calibration at all.
// Cell output: the states no branch reads, in ascending order (in a reduction cell an unused s0
// or s1 first goes through its FactorizedReduce(c -> c), reduce_s0 / reduce_s1), concatenated
// and mapped back to c channels by WSReLUConvBN (below).
// Drop-path (cfg.drop_path_keep = kp, training only): every branch output, identity included,
// keeps with 1 - p * ((i + 1) / L) * (1 - kp) in cell i of L, p = training progress.
// Init: Kaiming-normal on every parameter of two or more dimensions (every per-input weight
// included), BN and WSBN gamma 1 and beta 0, linear bias LibTorch's default.
//
// BatchNorm: the supernet always normalises with batch statistics, in training and in eval
// mode alike, so scoring a candidate arch needs no special mode; eval() only turns drop-path
// and dropout off. Every BN keeps (and updates on each forward) running statistics, but none
// normalises with them. (The reference scores with the cells' BN on batch statistics but
// leaves the stem BN and the reduction cells' reduce_s0 / reduce_s1 on running statistics; we
// use batch statistics everywhere for consistency.) A forward therefore needs more than one
// value per channel at every BN: a batch of one image works down to 2x2 feature maps.
//
// Parameter names (for inspection and tests), cell i, node j, side x or y, input index k:
//   stem_conv, stem_bn, classifier;
//   cell{i}.calibrate.s0 / .s1                  (where the shapes require them)
//   cell{i}.node{j}.{x,y}_sep{3,5}.{dw1,pw1,dw2,pw2}_{k}, .bn{1,2}.{weight,bias}_{k}
//   cell{i}.node{j}.{x,y}_reduce{0,1}           (reduction cells)
//   cell{i}.reduce_s0, cell{i}.reduce_s1         (reduction cells)
//   cell{i}.combine.w_{s} (s = state 0..6), cell{i}.combine.bn
// A forward builds autograd edges only to the weights of the arch's path: a backward leaves the
// gradient of every parameter off the path as it was (undefined if it never took part).
// Input channels come from cfg.in_channels (1 for Fashion-MNIST). Any input size works that
// leaves the BNs more than one value per channel; a stride-2 op maps H to ceil(H / 2), so odd
// sizes work (28 -> 14 -> 7).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/models/network.h"
#include "libnas/models/ops.h"
#include "libnas/spaces/nao_cell.h"

namespace nas {

// WSBN: BatchNorm2d over `channels` with one affine (gamma, beta) pair per possible input index
// but one shared pair of running statistics. Always normalises with the batch statistics (see
// the header comment) and updates the shared running mean / variance (momentum 0.1, eps 1e-5).
// Parameters weight_{k}, bias_{k} (gamma 1, beta 0); buffers running_mean, running_var.
class WSBatchNormImpl : public torch::nn::Module {
 public:
  WSBatchNormImpl(int num_inputs, int64_t channels);
  // BN of x with the affine pair of input index k (0 <= k < num_inputs, not checked).
  torch::Tensor forward(const torch::Tensor& x, int k);
  int num_inputs() const { return static_cast<int>(weight_.size()); }

 private:
  std::vector<torch::Tensor> weight_, bias_;
  torch::Tensor running_mean_, running_var_;
};
TORCH_MODULE(WSBatchNorm);

// WSSepConv: the separable conv of ops.h (ReLU -> depthwise kxk (stride) -> pointwise 1x1 -> BN
// -> ReLU -> depthwise kxk -> pointwise 1x1 -> BN, c -> c, padding k / 2) with one set of the
// four conv weights and of the two BNs' affine pairs (WSBN) per possible input index.
// Parameters per input index: 2 k^2 c + 2 c^2 conv weights and 4 c BN affines.
class WSSepConvImpl : public torch::nn::Module {
 public:
  WSSepConvImpl(int num_inputs, int64_t channels, int64_t kernel);
  // The op on x read from input index k (0 <= k < num_inputs, not checked), stride 1 or 2.
  torch::Tensor forward(const torch::Tensor& x, int k, int64_t stride);

 private:
  int64_t channels_, padding_;
  std::vector<torch::Tensor> dw1_, pw1_, dw2_, pw2_;
  WSBatchNorm bn1_{nullptr}, bn2_{nullptr};
};
TORCH_MODULE(WSSepConv);

// WSReLUConvBN: the cell's output combination. ReLU -> 1x1 conv whose weight is the
// concatenation, along the input channels, of the [c, c, 1, 1] slices w_{s} of the
// concatenated states s -> one affine BN(c) (batch statistics, see the header comment).
// `num_states` slices (B + 2 = 7 in a cell).
class WSReLUConvBNImpl : public torch::nn::Module {
 public:
  WSReLUConvBNImpl(int num_states, int64_t channels);
  // x: the channel concatenation of the states `states` (ascending, each c channels).
  torch::Tensor forward(const torch::Tensor& x, const std::vector<int>& states);

 private:
  std::vector<torch::Tensor> w_;
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(WSReLUConvBN);

class NaoSupernetCellImpl;

// NAO-WS supernet over the "nao" (5-op) space.
class NaoSupernetImpl : public torch::nn::Module {
 public:
  // Uses cfg.channels C (even, >= 2), cfg.layers N (3N+2 cells, reductions at N and 2N+1),
  // num_classes, in_channels, image_size, dropout and drop_path_keep. cfg.auxiliary must be
  // false and cfg.imagenet false (the CIFAR stem only); nas::Error otherwise.
  explicit NaoSupernetImpl(const NetworkConfig& cfg);

  // Logits of the path of `arch`, an arch of the nao space (validated: nas::Error otherwise,
  // e.g. for an arch of nao-11 or another space).
  torch::Tensor forward(const torch::Tensor& x, const Arch& arch);
  // Same, with the arch as its 40 integers (NaoCellSpace::to_ints: normal cell then reduction
  // cell, per node x_input x_op y_input y_op; already validated by the caller, only the count
  // and ranges are checked) - the hot path.
  torch::Tensor forward(const torch::Tensor& x, const std::vector<int>& ints);
  // Output shape [C, H, W] of every cell for input x and the arch's 40 integers (mode as set).
  std::vector<std::vector<int64_t>> trace(const torch::Tensor& x, const std::vector<int>& ints);

  // Drop-path progress: fraction of training done, in [0, 1] (DropPathRule::DepthAndProgress,
  // as CellNetworkImpl::set_progress).
  void set_progress(double fraction);
  // Drop-path keep probability of cell i at the current progress.
  double keep_probability(int cell) const;

  // Sets drop-path and dropout on or off; the BNs stay on batch statistics either way.
  void train(bool on = true) override;

  const NetworkConfig& config() const { return cfg_; }
  int num_cells() const { return static_cast<int>(cells_.size()); }

 private:
  torch::Tensor run(const torch::Tensor& x, const std::vector<int>& ints,
                    std::vector<std::vector<int64_t>>* trace);

  NetworkConfig cfg_;
  NaoCellSpace space_{NaoCellSpace::OpSet::Five};
  double progress_ = 0.0;
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<std::shared_ptr<NaoSupernetCellImpl>> cells_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(NaoSupernet);

}  // namespace nas
