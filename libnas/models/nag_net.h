// Networks of the NAG cell space ("nag"): the NASNet-style skeleton of nasnet.h with
// node-labelled DAG cells (NAG's stand-alone child network).
//
// A cell (normal or reduction, one spec each, shared by every cell of its type):
//   1. the two inputs are calibrated to the cell width C (NAO's MaybeCalibrateSize: ReLU +
//      FactorizedReduce for s0 after a reduction, ReLU-conv1x1-BN where the widths differ);
//   2. each op vertex sums its predecessors and applies its op (sep conv 3x3 / 5x5, avg pool
//      3x3 without counting padding, max pool 3x3, identity), C -> C. Reduction cells: a vertex
//      whose predecessors are all cell inputs runs its op with stride 2 (identity becomes
//      FactorizedReduce); a vertex that mixes inputs with op vertices first reduces each input
//      with its own FactorizedReduce(C -> C) and runs at stride 1;
//   3. the output concatenates every vertex with an edge into it, in vertex order (inputs go
//      through FactorizedReduce first in reduction cells), so it has C x |in-edges| channels
//      and the next cell's calibration projects that back to its width with a 1x1 conv.
// FactorizedReduce here has no ReLU inside. Drop-path (keep = 1 - p ((i + 1) / L)(1 - kp) in
// cell i of L) hits every op vertex except a stride-1 identity (the DARTS convention; NAG's
// reference code meant to spare identity but its check never fired).
#pragma once

#include <memory>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/models/nasnet.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// One NAG cell built from a validated cell DAG (vocabulary of NagCellSpace).
class NagCellImpl : public CellImpl {
 public:
  NagCellImpl(const CellDag& dag, const CellSlot& slot);
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1, double keep) override;
  int64_t out_channels() const override { return out_channels_; }

 private:
  // One op vertex: its predecessors, the FactorizedReduce of each (or null) and its op.
  struct Vertex {
    std::vector<int> preds;
    std::vector<std::shared_ptr<CellOpImpl>> reduce;
    std::shared_ptr<CellOpImpl> op;
  };

  CalibrateInputs calibrate_{nullptr};
  std::vector<Vertex> vertices_;  // vertex 2 + k
  std::vector<int> concat_;
  std::vector<std::shared_ptr<CellOpImpl>> concat_reduce_;
  int64_t out_channels_ = 0;
};

// The op of a nag vertex label (NagCellSpace's vocabulary); nas::Error naming the cell and vertex
// for a label that is not an op.
OpKind nag_op_kind(int label, int cell_index, int vertex);

// The network of a nag arch (validated); nas::Error for another space, an invalid arch or a
// bad config (see check_cell_network_config).
std::shared_ptr<NetworkImpl> build_nag_network(const SearchSpace& space, const Arch& arch,
                                               const NetworkConfig& cfg);

}  // namespace nas
