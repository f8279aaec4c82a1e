// NASNet-style cell networks: the macro skeleton shared by the NAO, DARTS and NAG networks
// (stems, a stack of two-input cells with two reductions, auxiliary head, classifier) and the
// networks of the two-branch cells of the "nao", "nao-11" and "darts" spaces.
//
// Macro structure, with N = NetworkConfig::layers cells per stage and C = channels:
//   CIFAR stem      conv3x3 in_channels -> 3C + BN (no ReLU); both inputs of cell 0 are its output
//   ImageNet stems  stem0 = conv3x3/2 (in -> C/2) + BN + ReLU + conv3x3/2 (C/2 -> C) + BN;
//                   stem1 = ReLU + conv3x3/2 (C -> C) + BN; cell 0 reads (stem0, stem1)
//   cells 0..3N+1   reductions at N and 2N+1, where the per-node width doubles (C, 2C, 4C);
//                   (s0, s1) <- (s1, cell(s0, s1)); a cell outputs width x |concat| channels
//   auxiliary head  on the output of cell 2N+1, training mode only, when cfg.auxiliary
//   classifier      global average pool -> dropout(cfg.dropout) -> Linear(-> num_classes)
// DARTS counts its cells in total ("layers = 20"): nasgen's N maps to DARTS's 3N + 2, so
// `layers: 6` is the usual 20-cell network for NAO and DARTS alike; DARTS's reductions at
// layers//3 and 2*layers//3 and its auxiliary head after cell 2*layers//3 are then cells N and
// 2N+1, exactly NAO's positions. ImageNet: N = 4 gives DARTS's 14 cells.
//
// Differences between the cell families, all following their reference code:
//   - preprocessing (CalibrateInputs): NAO and NAG build the 1x1 projections only where the
//     widths differ; DARTS always builds both;
//   - identity at stride 2 (and DARTS's reduction of s0): FactorizedReduce, with a ReLU in
//     front for DARTS only;
//   - cell output: NAO concatenates every state no branch reads (an unused cell input of a
//     reduction cell goes through FactorizedReduce first); DARTS concatenates nodes 2..5 (4C);
//   - drop-path (cfg.drop_path_keep = kp, p = training progress from set_progress):
//       NAO, NAG: keep = 1 - p * ((i + 1) / L) * (1 - kp) for cell i of L, on every branch
//                 (NAO) or every op vertex except a stride-1 identity (NAG);
//       DARTS:    keep = 1 - p * (1 - kp) in every cell, every branch except a stride-1
//                 identity (skip_connect).
// Input channels come from cfg.in_channels (1 for Fashion-MNIST). Any input size >= 1 works;
// an op with stride 2 maps H to ceil(H / 2); the auxiliary head picks its pool by size (see
// aux_pool_geometry in ops.h: 8x8 and 7x7 keep the reference geometry, other sizes pool
// adaptively to 2x2). Every conv and linear weight is Kaiming-normal initialised.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/models/network.h"
#include "libnas/models/ops.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// A cell: two inputs (c_{k-2}, c_{k-1}) to one output. `keep` is the drop-path keep
// probability for this cell (the cell applies drop-path only in training and when keep < 1).
class CellImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                double keep) = 0;
  // Channels of the cell output.
  virtual int64_t out_channels() const = 0;
};

// What the skeleton tells a cell builder about the cell's place in the network.
struct CellSlot {
  int index = 0;          // 0-based cell index
  int total = 0;          // number of cells, 3N + 2
  bool reduction = false;
  bool reduce_s0 = false;  // s0 is at twice s1's resolution (previous cell reduced, or stems)
  int64_t c0 = 0;          // channels of s0 and s1
  int64_t c1 = 0;
  int64_t channels = 0;    // per-node width of this cell
};

using CellBuilder = std::function<std::shared_ptr<CellImpl>(const CellSlot&)>;

// The 3N + 2 cells of a NASNet-style network in order (reductions after N and 2N + 1 cells,
// which double the width): visit gets each cell's slot, its inputs' widths from the stems'
// `stem_width` on, and returns the cell's output width. `stems_reduce` says the stems end at
// twice the first cell's resolution (ImageNet). The network builder and param_count both walk it.
void for_each_cell_slot(int layers, int64_t channels, int64_t stem_width, bool stems_reduce,
                        const std::function<int64_t(const CellSlot&)>& visit);

enum class DropPathRule {
  DepthAndProgress,  // NAO, NAG: 1 - p * ((i + 1) / L) * (1 - kp)
  Progress,          // DARTS: 1 - p * (1 - kp)
};

struct CellNetworkOptions {
  DropPathRule drop_path_rule = DropPathRule::DepthAndProgress;
  bool aux_bn_after_768 = true;  // DARTS's ImageNet auxiliary head has no BN there
  std::string what = "network";  // names the network in error messages
};

// The planned shape of one cell's output.
struct CellInfo {
  bool reduction = false;
  int64_t channels = 0;      // per-node width
  int64_t out_channels = 0;  // output channels
  int64_t size = 0;          // output height = width for an input of cfg.image_size
};

// The macro skeleton above with cells from a builder.
class CellNetworkImpl : public NetworkImpl {
 public:
  CellNetworkImpl(const NetworkConfig& cfg, const CellBuilder& build_cell,
                  const CellNetworkOptions& options);

  NetworkOutput forward(const torch::Tensor& x) override;
  void set_progress(double fraction) override;

  // Output shape [C, H, W] of every cell for input x (no auxiliary head, mode as set).
  std::vector<std::vector<int64_t>> trace(const torch::Tensor& x);
  // Drop-path keep probability of cell i at the current progress.
  double keep_probability(int cell) const;

  const std::vector<CellInfo>& cell_info() const { return info_; }
  const NetworkConfig& config() const { return cfg_; }
  int aux_index() const { return aux_index_; }
  int64_t classifier_in() const { return classifier_->options.in_features(); }

 private:
  torch::Tensor run(const torch::Tensor& x, torch::Tensor* aux,
                    std::vector<std::vector<int64_t>>* trace);

  NetworkConfig cfg_;
  CellNetworkOptions options_;
  double progress_ = 0.0;
  int aux_index_ = 0;
  std::vector<CellInfo> info_;
  // CIFAR stem, or ImageNet stem0 (conv, bn, conv, bn) and stem1 (conv, bn).
  torch::nn::Conv2d stem_conv0_{nullptr}, stem_conv1_{nullptr}, stem_conv2_{nullptr};
  torch::nn::BatchNorm2d stem_bn0_{nullptr}, stem_bn1_{nullptr}, stem_bn2_{nullptr};
  std::vector<std::shared_ptr<CellImpl>> cells_;
  AuxHead aux_head_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

// Checks the NetworkConfig fields the cell networks use: channels even and >= 2 (the
// FactorizedReduce halves), layers >= 1, num_classes, in_channels, image_size >= 1, dropout in
// [0, 1), drop_path_keep in (0, 1]. nas::Error naming `what` otherwise.
void check_cell_network_config(const NetworkConfig& cfg, const std::string& what);

// ---- Two-branch cells (NAO, DARTS) ----------------------------------------------------------

// One branch: the state it reads (0 = s0, 1 = s1, 2 + j = node j) and its op.
struct BranchOp {
  int input = 0;
  OpKind op = OpKind::Identity;
};

// A two-branch cell to build: two branches per node and the concatenated states (ascending).
struct BranchCellPlan {
  std::vector<std::array<BranchOp, 2>> nodes;
  std::vector<int> concat;
};

enum class BranchCellFamily { Nao, Darts };

// The cell plans (normal, reduction) of a nao / nao-11 arch (validated): NAO op ids mapped by
// id (2 vs 14 differ in padding), concat = the states no branch reads.
std::array<BranchCellPlan, 2> nao_cell_plans(const SearchSpace& space, const Arch& arch);
// The cell plans of a darts arch (validated): concat = nodes 2..5.
std::array<BranchCellPlan, 2> darts_cell_plans(const SearchSpace& space, const Arch& arch);

// A two-branch cell of either family (see the header comment for the differences).
class BranchCellImpl : public CellImpl {
 public:
  BranchCellImpl(const BranchCellPlan& plan, const CellSlot& slot, BranchCellFamily family);
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1, double keep) override;
  int64_t out_channels() const override { return out_channels_; }

 private:
  BranchCellPlan plan_;
  BranchCellFamily family_;
  int64_t out_channels_ = 0;
  CalibrateInputs calibrate_{nullptr};
  std::vector<std::array<std::shared_ptr<CellOpImpl>, 2>> ops_;
  std::vector<std::shared_ptr<CellOpImpl>> concat_reduce_;  // per concat entry, or null
};

// The network of a nao, nao-11 or darts arch (space.name() picks the family); nas::Error for
// another space, an invalid arch or a bad config.
std::shared_ptr<NetworkImpl> build_nasnet(const SearchSpace& space, const Arch& arch,
                                          const NetworkConfig& cfg);

}  // namespace nas
