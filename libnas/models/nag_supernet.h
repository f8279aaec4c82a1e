// The weight-sharing supernet over the "nag" cell space (NAG's NASWSNetworkCIFAR, specs/nag.md
// §4.2): one network holding the weights of every architecture of the space, each forward
// running the path of one arch (its normal cell spec in every normal cell, its reduction cell
// spec in every reduction cell). It follows the NAO-WS supernet (nao_supernet.h) and reuses its
// weight-shared blocks; the cells are NAG's node-labelled DAGs (nag_cell.h, nag_net.h).
//
//   stem        conv3x3 in_channels -> 3C + BN (no ReLU); both inputs of cell 0 are its output
//   cells       0..3N+1, reductions at N and 2N+1, where the width doubles (C, 2C, 4C);
//               (s0, s1) <- (s1, cell(s0, s1)); every cell outputs exactly its width
//   auxiliary   with cfg.auxiliary, the head of ops.h on the output of cell 2N+1, training only
//               (the reference trains the supernet with it, weight 0.4)
//   classifier  global average pool -> dropout(cfg.dropout) -> Linear(4C -> num_classes)
//
// A cell of width c holds, for every vertex slot t = 2..8 (the vertex index of a valid, hence
// canonical, cell: NagCellSpace rejects dead op vertices, so no renumbering happens here):
//   - sep3, sep5  WSSepConv(1 input, c, k): one set of weights per (cell, slot, op), the stride
//                 a runtime argument;
//   - avg3, max3  pools without weights (avg pool 3x3 pad 1 without the padding in the average,
//                 max pool 3x3 pad 1), stride 1 or 2;
//   - identity    pass-through at stride 1;
//   reduction cells also, per slot: id_reduce (FactorizedReduce(c -> c), the identity at stride
//   2) and input_op0 / input_op1 (FactorizedReduce(c -> c) of input 0 / 1 at a vertex that mixes
//   inputs with op vertices); and per cell fac_0 / fac_1 (FactorizedReduce(c -> c) of an input
//   wired straight to the output). No ReLU inside any FactorizedReduce here.
// Stride rule (specs/nag.md §9.17): in a reduction cell a vertex whose predecessors are all
// cell inputs runs its op at stride 2; a vertex that mixes inputs with op vertices first reduces
// each input with the slot's input_op{0,1} and runs at stride 1. Normal cells: stride 1.
// Cell input calibration follows the shapes at construction (CalibrateInputs, as in the NAO
// supernet): s0 at twice s1's resolution gets ReLU + FactorizedReduce, an input of another width
// ReLU-conv1x1-BN, an input of the cell's width passes unchanged.
// Cell output: the vertices wired to the output, ascending (inputs through fac_0 / fac_1 in
// reduction cells), concatenated and mapped back to c channels by WSReLUConvBN (nao_supernet.h)
// with one [c, c, 1, 1] slice per possible source vertex 0..8 (9 slices). The stand-alone child
// (nag_net.h) instead outputs c x |concat| channels; see NagSupernetCellImpl.
// Drop-path (cfg.drop_path_keep = kp, training only): the output of every op vertex except a
// stride-1 identity keeps with 1 - p * ((i + 1) / L) * (1 - kp) in cell i of L, p = training
// progress (the reference supernet spares identity; a stride-2 identity is a FactorizedReduce
// and is dropped, as in nag_net.h).
// Init: Kaiming-normal on every parameter of two or more dimensions, BN gamma 1 and beta 0.
//
// BatchNorm: as in the NAO supernet, every BN normalises with batch statistics in training and
// in eval mode alike (specs/nag.md §9.13: the reference scores with the cells' BN forced to
// training mode); eval() only turns drop-path, dropout and the auxiliary head off. Running
// statistics are kept and updated by every forward but never used. A forward therefore needs
// more than one value per channel at every BN.
//
// Parameter names (for inspection and tests), cell i, slot t:
//   stem_conv, stem_bn, classifier, auxiliary_head (with cfg.auxiliary);
//   cell{i}.calibrate.s0 / .s1                        (where the shapes require them)
//   cell{i}.v{t}.sep{3,5}.{dw1,pw1,dw2,pw2}_0, .bn{1,2}.{weight,bias}_0
//   cell{i}.v{t}.id_reduce, .input_op0, .input_op1    (reduction cells)
//   cell{i}.fac_0, cell{i}.fac_1                      (reduction cells)
//   cell{i}.combine.w_{s} (s = source vertex 0..8), cell{i}.combine.bn
// A forward builds autograd edges only to the weights of the arch's path: a backward leaves the
// gradient of every parameter off the path as it was (undefined if it never took part).
// Input channels come from cfg.in_channels (1 for Fashion-MNIST); a stride-2 op maps H to
// ceil(H / 2), so 28 -> 14 -> 7 works.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/models/nao_supernet.h"
#include "libnas/models/network.h"
#include "libnas/models/ops.h"
#include "libnas/spaces/nag_cell.h"

namespace nas {

// One cell spec as the supernet runs it.
struct NagCellPath {
  struct Vertex {
    int op = NagCellSpace::kIdentity;  // NagCellSpace op id 3..7
    std::vector<int> preds;            // ascending vertex indices, each below the vertex's own
    bool inputs_only = false;          // every predecessor is a cell input (0 or 1)
  };
  std::vector<Vertex> vertices;  // op vertices 2, 3, ... (the slot is 2 + position)
  std::vector<int> concat;       // vertices wired to the output, ascending
};

// An arch as the supernet runs it: cells[0] normal, cells[1] reduction.
struct NagSupernetPath {
  std::array<NagCellPath, 2> cells;
};

// The path of a nag arch (validated with NagCellSpace: nas::Error for an invalid arch, a
// non-canonical cell or an arch of another space).
NagSupernetPath nag_supernet_path(const Arch& arch);
// The path of one cell of a valid nag arch (not validated).
NagCellPath nag_cell_path(const CellDag& cell);

// One weight-sharing cell (see the header comment). Public so that tests can compare it with
// the stand-alone NagCellImpl: that cell returns the concatenation itself (c x |concat|
// channels), this one ReLU -> conv1x1 (the active slices) -> BN of it.
class NagSupernetCellImpl : public torch::nn::Module {
 public:
  static constexpr int kFirstSlot = 2;
  static constexpr int kSlots = NagCellSpace::kMaxVertices - 3;    // vertices 2..8
  static constexpr int kSources = NagCellSpace::kMaxVertices - 1;  // vertices 0..8

  // Inputs of c0 and c1 channels (s0 at twice s1's resolution when reduce_s0) to `channels`.
  NagSupernetCellImpl(int64_t c0, int64_t c1, int64_t channels, bool reduce_s0, bool reduction);
  // The cell of `path` (checked against the slots: nas::Error for a vertex beyond slot 8 or a
  // predecessor that is not an earlier vertex); drop-path with `keep` in training when < 1.
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1, const NagCellPath& path,
                        double keep);
  bool reduction() const { return reduction_; }

 private:
  struct Slot {
    WSSepConv sep3{nullptr}, sep5{nullptr};
    FactorizedReduce id_reduce{nullptr};
    std::array<FactorizedReduce, 2> input_op{FactorizedReduce{nullptr}, FactorizedReduce{nullptr}};
  };
  torch::Tensor run_op(Slot& slot, int op, const torch::Tensor& x, int64_t stride);

  bool reduction_;
  CalibrateInputs calibrate_{nullptr};
  std::vector<Slot> slots_;  // slot t at t - kFirstSlot
  std::array<FactorizedReduce, 2> fac_{FactorizedReduce{nullptr}, FactorizedReduce{nullptr}};
  WSReLUConvBN combine_{nullptr};
  // Weightless pools at stride 1 and 2 (not registered: they hold nothing).
  std::array<PoolOp, 2> avg_, max_;
};
TORCH_MODULE(NagSupernetCell);

// The NAG weight-sharing supernet.
class NagSupernetImpl : public torch::nn::Module {
 public:
  // Uses cfg.channels C (even, >= 2), cfg.layers N (3N+2 cells, reductions at N and 2N+1),
  // num_classes, in_channels, image_size, dropout, drop_path_keep and auxiliary. cfg.imagenet
  // must be false (the CIFAR stem only); nas::Error otherwise.
  explicit NagSupernetImpl(const NetworkConfig& cfg);

  // Logits of the path of `arch`, a nag arch (validated: nas::Error otherwise).
  torch::Tensor forward(const torch::Tensor& x, const Arch& arch);
  // Logits of a path from nag_supernet_path (the hot path: no validation beyond the slot checks).
  torch::Tensor forward(const torch::Tensor& x, const NagSupernetPath& path);
  // Logits and, in training mode with cfg.auxiliary, the auxiliary logits.
  NetworkOutput forward_with_aux(const torch::Tensor& x, const NagSupernetPath& path);
  // Output shape [C, H, W] of every cell for input x and `path` (mode as set).
  std::vector<std::vector<int64_t>> trace(const torch::Tensor& x, const NagSupernetPath& path);

  // Drop-path progress: fraction of training done, in [0, 1] (DropPathRule::DepthAndProgress).
  void set_progress(double fraction);
  // Drop-path keep probability of cell i at the current progress.
  double keep_probability(int cell) const;

  // Sets drop-path, dropout and the auxiliary head on or off; the BNs stay on batch statistics.
  void train(bool on = true) override;

  const NetworkConfig& config() const { return cfg_; }
  int num_cells() const { return static_cast<int>(cells_.size()); }
  NagSupernetCell& cell(int i) { return cells_.at(static_cast<size_t>(i)); }

 private:
  torch::Tensor run(const torch::Tensor& x, const NagSupernetPath& path, torch::Tensor* aux,
                    std::vector<std::vector<int64_t>>* trace);

  NetworkConfig cfg_;
  double progress_ = 0.0;
  int aux_index_ = 0;
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<NagSupernetCell> cells_;
  AuxHead aux_head_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(NagSupernet);

}  // namespace nas
