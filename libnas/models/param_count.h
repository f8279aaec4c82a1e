// Closed-form parameter counts of the NASNet-style cell networks: nao, nao-11 and darts
// (nasnet.h) and nag (nag_net.h). Computed from the arch and the NetworkConfig alone, by the
// same walk over the skeleton and the cells as the builders, in integer arithmetic: no module
// and no tensor is made, so a count costs microseconds where building a C = 36, N = 6 network
// takes tens of milliseconds (and model_stats adds a forward pass). Each count equals
// model_stats(...).params of the built network: trainable parameters with the auxiliary head
// left out, so cfg.auxiliary does not change it, and neither do image_size, dropout or
// drop_path_keep.
//
// Parameters per piece (convs are bias-free, a BN is affine: 2 per channel), C -> C ops:
//   sep conv k x k            2 (k^2 C + C^2 + 2 C)     two depthwise + pointwise + BN rounds
//   dil conv k x k            k^2 C + C^2 + 2 C
//   ReLU-conv k x k-BN        k^2 C^2 + 2 C             NAO conv 1x1, conv 3x3
//   conv 1 x k then k x 1     2 (k C^2 + 2 C)           NAO conv 1x3_3x1, 1x7_7x1
//   pools, stride-1 identity  0
//   FactorizedReduce in->out  2 in (out / 2) + 2 out    also the identity at stride 2
// Skeleton: the stem convs and BNs, 3N + 2 cells (each with its input calibration) and the
// classifier Linear(last cell's channels -> num_classes) with its bias.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "libnas/encoding/cell_dag.h"
#include "libnas/models/nasnet.h"
#include "libnas/models/network.h"
#include "libnas/models/ops.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// Parameters of FactorizedReduceImpl(in, out): two 1x1 convs in -> out / 2 and BN(out).
int64_t factorized_reduce_params(int64_t in, int64_t out);

// Parameters of make_op(kind, channels, stride, ...) (the ReLU placement changes none).
int64_t op_params(OpKind kind, int64_t channels, int64_t stride);

// Parameters of CalibrateInputsImpl(c0, c1, channels, reduce_s0, always_project).
int64_t calibrate_params(int64_t c0, int64_t c1, int64_t channels, bool reduce_s0,
                         bool always_project);

// One cell at its place in the network: its parameters and its output channels (which the
// next cells' calibration and the classifier depend on).
struct CellParams {
  int64_t params = 0;
  int64_t out_channels = 0;
};
using CellParamCounter = std::function<CellParams(const CellSlot&)>;

// Parameters of CellNetworkImpl with cells counted by `count_cell`, given the same slots the
// builder gives its cells. Checks cfg as the builder does (check_cell_network_config, errors
// naming `what`).
int64_t cell_network_params(const NetworkConfig& cfg, const CellParamCounter& count_cell,
                            const std::string& what);

// The cell BranchCellImpl(plan, slot, family) builds; nas::Error for a plan it rejects.
CellParams branch_cell_params(const BranchCellPlan& plan, const CellSlot& slot,
                              BranchCellFamily family);

// The cell NagCellImpl(dag, slot) builds from a validated nag cell; nas::Error for a cell it
// rejects.
CellParams nag_cell_params(const CellDag& dag, const CellSlot& slot);

// Parameters of build_nasnet(space, arch, cfg) (nao, nao-11, darts) and of
// build_nag_network(space, arch, cfg) (nag), with the same nas::Error for another space, an
// invalid arch or a bad config.
int64_t nasnet_param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg);
int64_t nag_param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg);

}  // namespace nas
