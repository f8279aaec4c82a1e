// The cell operations of the NASNet-style networks (NAO, DARTS and NAG cells), the input
// preprocessing of a cell, drop-path, the auxiliary head and the weight initialisation they
// share.
//
// Conventions shared by every op here: convs have no bias; BatchNorm2d is affine with eps 1e-5
// and momentum 0.1; every ReLU is out of place; every conv and linear forward goes through
// `counted` so FLOPs are counted. Spatial sizes: an op with stride 2 maps H to ceil(H / 2) for
// every kernel and padding used here, so shapes agree between the branches of a node for odd
// sizes as well (Fashion-MNIST's 28 -> 14 -> 7 -> 4).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nas {

// BatchNorm2d(channels), affine, eps 1e-5, momentum 0.1.
torch::nn::BatchNorm2d make_batch_norm(int64_t channels);

// Bias-free Conv2d with a (kh, kw) kernel, per-axis stride and padding, dilation and groups.
torch::nn::Conv2d make_conv(int64_t in, int64_t out, torch::ExpandingArray<2> kernel,
                            torch::ExpandingArray<2> stride, torch::ExpandingArray<2> padding,
                            int64_t dilation = 1, int64_t groups = 1);

// Kaiming-normal initialisation (fan_in, gain sqrt 2, i.e. std = sqrt(2 / fan_in)) of every
// parameter of `module` with two or more dimensions: conv and linear weights. BN weights and
// biases keep 1 / 0 and linear biases keep LibTorch's default uniform initialisation.
void init_kaiming(torch::nn::Module& module);

// Base of every cell op: one tensor in, one tensor out.
class CellOpImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // True for the stride-1 pass-through; drop-path conventions that spare identity branches ask.
  virtual bool is_identity() const { return false; }
};

// Pass-through.
class IdentityOpImpl : public CellOpImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
  bool is_identity() const override { return true; }
};
TORCH_MODULE(IdentityOp);

// ReLU -> conv kxk (stride, padding) -> BN.
class ReLUConvBNImpl : public CellOpImpl {
 public:
  ReLUConvBNImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ReLUConvBN);

// Separable conv, the "ReLU-sepconv-BN twice" of NAO and DARTS: ReLU -> depthwise kxk (stride)
// -> pointwise 1x1 (in -> in) -> BN -> ReLU -> depthwise kxk (stride 1) -> pointwise 1x1
// (in -> out) -> BN. No dilation. Parameters: 2 k^2 in + in^2 + in out + 2 in + 2 out.
class SepConvImpl : public CellOpImpl {
 public:
  SepConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d dw1_{nullptr}, pw1_{nullptr}, dw2_{nullptr}, pw2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
};
TORCH_MODULE(SepConv);

// Dilated separable conv (DARTS dil_conv): ReLU -> depthwise kxk (stride, padding, dilation)
// -> pointwise 1x1 (in -> out) -> BN.
class DilConvImpl : public CellOpImpl {
 public:
  DilConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
              int64_t dilation);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d dw_{nullptr}, pw_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(DilConv);

// Factorised conv (NAO ops 8, 9): ReLU -> conv 1xk, stride (1, s), pad (0, k/2) -> BN -> ReLU
// -> conv kx1, stride (s, 1), pad (k/2, 0) -> BN. The stride is split across the two convs.
class FacConvImpl : public CellOpImpl {
 public:
  FacConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
};
TORCH_MODULE(FacConv);

enum class PoolType { Max, Avg };

// A pooling op: kernel, implicit padding (max pools pad with -inf, average pools either count
// the padding or not), and for the NAO 2x2 pools an explicit zero pad of one row and column at
// the bottom and right before pooling (with implicit padding 0). Zero padding is not -inf
// padding: a 2x2 max pool over negative inputs sees the zeros.
struct PoolSpec {
  PoolType type = PoolType::Max;
  int64_t kernel = 3;
  int64_t padding = 1;
  bool count_include_pad = false;  // average pools only
  bool zero_pad_right_bottom = false;
};

// Pooling only: no BN and no conv after it (the channel count is unchanged).
class PoolOpImpl : public CellOpImpl {
 public:
  PoolOpImpl(const PoolSpec& spec, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x) override;
  const PoolSpec& spec() const { return spec_; }

 private:
  PoolSpec spec_;
  int64_t stride_;
};
TORCH_MODULE(PoolOp);

// FactorizedReduce(in -> out), stride 2: path 1 takes every second pixel from (0, 0), path 2
// the same after shifting the input by one pixel (one zero row and column padded at the bottom
// and right, then the first row and column dropped); each path is a 1x1 conv to out / 2, the
// paths are concatenated (path 1 first) and one BN(out) follows. `relu_first` puts a ReLU in
// front (DARTS has it inside; NAO and NAG put it in front only in the cell preprocessing).
// `out` must be even. H maps to ceil(H / 2) for even and odd H alike.
class FactorizedReduceImpl : public CellOpImpl {
 public:
  FactorizedReduceImpl(int64_t in, int64_t out, bool relu_first);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  bool relu_first_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(FactorizedReduce);

// Every op the NAO, DARTS and NAG cells name, C -> C.
enum class OpKind {
  Identity,        // NAO 4/5, DARTS skip_connect, NAG identity (FactorizedReduce at stride 2)
  SepConv3x3,      // NAO 0, DARTS sep_conv_3x3, NAG seqconv3x3 (pad 1)
  SepConv5x5,      // NAO 1, DARTS sep_conv_5x5, NAG seqconv5x5 (pad 2)
  DilConv3x3,      // DARTS dil_conv_3x3 (pad 2, dilation 2)
  DilConv5x5,      // DARTS dil_conv_5x5 (pad 4, dilation 2)
  Conv1x1,         // NAO 6 (ReLU-conv-BN, pad 0)
  Conv3x3,         // NAO 7 (ReLU-conv-BN, pad 1)
  Conv1x3_3x1,     // NAO 8
  Conv1x7_7x1,     // NAO 9
  MaxPool2x2,      // NAO 10 (zero pad right/bottom, then pad 0)
  MaxPool3x3,      // NAO 3 and 11, DARTS max_pool_3x3, NAG maxpool3x3 (pad 1)
  MaxPool5x5,      // NAO 12 (pad 2)
  AvgPool2x2,      // NAO 13 (zero pad right/bottom, then pad 0)
  AvgPool3x3,      // NAO 2, DARTS avg_pool_3x3, NAG avgpool3x3 (pad 1, padding not counted)
  AvgPool3x3Incl,  // NAO 14 (pad 1, padding counted)
  AvgPool5x5Incl,  // NAO 15 (pad 2, padding counted)
};

// Short name of an op kind, e.g. "sep_conv_3x3", "avg_pool_3x3_incl_pad".
std::string op_kind_name(OpKind kind);

// The pool spec of a pool kind; nas::Error for a kind that is not a pool.
PoolSpec pool_spec(OpKind kind);

// The op `kind` on `channels` channels with `stride` 1 or 2. Identity at stride 2 becomes
// FactorizedReduce(channels -> channels), with a ReLU in front when `reduce_relu_first`.
std::shared_ptr<CellOpImpl> make_op(OpKind kind, int64_t channels, int64_t stride,
                                    bool reduce_relu_first);

// torch::cat along the channels, whose backward hands each input a dense gradient in the
// layout of the incoming one. torch::cat's backward gives channel slices, which are strided in
// either layout, and every ReLU, BN and conv backward downstream then runs its slow strided
// path or copies on its own (measured by bench/train_throughput).
torch::Tensor cat_channels(const std::vector<torch::Tensor>& xs);

// Drop-path on a batch: each sample is kept with probability `keep` (one Bernoulli draw per
// sample, on the tensor's device) and survivors are divided by `keep`. The caller applies it in
// training only; keep >= 1 returns x unchanged.
torch::Tensor drop_path(const torch::Tensor& x, double keep);

// The preprocessing of a cell's two inputs (NAO's MaybeCalibrateSize, DARTS's preprocess0/1):
// maps s0 (c0 channels) and s1 (c1 channels) to `channels` each, at s1's resolution.
// - `reduce_s0` (s0 is one resolution level above s1: the previous cell reduced): s0 gets
//   ReLU then FactorizedReduce(c0 -> channels).
// - otherwise s0 gets ReLU-conv1x1-BN when c0 != channels or `always_project`;
// - s1 gets ReLU-conv1x1-BN when c1 != channels or `always_project`.
// NAO and NAG build only the projections the shapes require; DARTS always builds both.
class CalibrateInputsImpl : public torch::nn::Module {
 public:
  CalibrateInputsImpl(int64_t c0, int64_t c1, int64_t channels, bool reduce_s0,
                      bool always_project);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& s0, const torch::Tensor& s1);
  bool has_s0() const { return s0_op_ != nullptr; }
  bool has_s1() const { return s1_op_ != nullptr; }

 private:
  std::shared_ptr<CellOpImpl> s0_op_, s1_op_;
};
TORCH_MODULE(CalibrateInputs);

// Average-pool geometry of the auxiliary head for an input of `size` x `size`: the reference
// geometry where the references define one, 8x8 (CIFAR) -> kernel 5, stride 3 and 7x7
// (ImageNet) -> kernel 5, stride 2, both giving 2x2; for any other size `adaptive` is true and
// the head pools adaptively to 2x2 (any size >= 1 works, a 1x1 input is replicated).
struct AuxPoolGeometry {
  bool adaptive = false;
  int64_t kernel = 5;
  int64_t stride = 3;
};
AuxPoolGeometry aux_pool_geometry(int64_t size);

// Auxiliary classifier (NAO / DARTS / NAG AuxHeadCIFAR and AuxHeadImageNet): ReLU -> AvgPool
// to 2x2 (geometry above, padding not counted) -> conv1x1 to 128 -> BN -> ReLU -> conv2x2 to
// 768 (-> 1x1) -> BN -> ReLU -> Linear(768 -> classes). The CIFAR and ImageNet heads of the
// references differ only in the pool stride, which the size picks. `bn_after_768` false drops
// the BN after the 2x2 conv (DARTS's ImageNet head omits it).
class AuxHeadImpl : public torch::nn::Module {
 public:
  AuxHeadImpl(int64_t in, int64_t num_classes, bool bn_after_768 = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(AuxHead);

}  // namespace nas
