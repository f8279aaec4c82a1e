#include "libnas/models/nag_net.h"

#include <fmt/format.h>

#include "libnas/spaces/nag_cell.h"
#include "libnas/util/error.h"

namespace nas {

OpKind nag_op_kind(int label, int cell_index, int vertex) {
  switch (label) {
    case NagCellSpace::kSepConv3x3: return OpKind::SepConv3x3;
    case NagCellSpace::kSepConv5x5: return OpKind::SepConv5x5;
    case NagCellSpace::kAvgPool: return OpKind::AvgPool3x3;
    case NagCellSpace::kMaxPool: return OpKind::MaxPool3x3;
    case NagCellSpace::kIdentity: return OpKind::Identity;
    default:
      fail("nag network: cell {} vertex {} has label {}, expected an op label {}..{}", cell_index,
           vertex, label, NagCellSpace::kFirstOp, NagCellSpace::kLastOp);
  }
}

NagCellImpl::NagCellImpl(const CellDag& dag, const CellSlot& slot) {
  const int n = dag.num_nodes();
  NAS_CHECK(n >= 3, "nag network: cell {} has {} vertices, expected at least 3", slot.index, n);
  const int64_t c = slot.channels;
  calibrate_ = register_module(
      "calibrate", CalibrateInputs(slot.c0, slot.c1, c, slot.reduce_s0, /*always=*/false));
  for (int v = 2; v < n - 1; ++v) {
    Vertex vx;
    vx.preds = dag.preds(v);
    NAS_CHECK(!vx.preds.empty(), "nag network: cell {} vertex {} has no predecessor", slot.index,
              v);
    bool only_inputs = true;
    for (int p : vx.preds) only_inputs = only_inputs && p < 2;
    const int64_t stride = slot.reduction && only_inputs ? 2 : 1;
    for (int p : vx.preds) {
      std::shared_ptr<CellOpImpl> reduce;
      // Mixed predecessors in a reduction cell: the op vertices are already reduced, so the
      // inputs are brought down to their size before the sum.
      if (slot.reduction && !only_inputs && p < 2) {
        reduce = std::make_shared<FactorizedReduceImpl>(c, c, /*relu_first=*/false);
        register_module(fmt::format("v{}_reduce_in{}", v, p), reduce);
      }
      vx.reduce.push_back(reduce);
    }
    vx.op = make_op(nag_op_kind(dag.ops[v], slot.index, v), c, stride, /*reduce_relu_first=*/false);
    register_module(fmt::format("v{}_op", v), vx.op);
    vertices_.push_back(vx);
  }
  concat_ = dag.preds(n - 1);
  NAS_CHECK(!concat_.empty(), "nag network: cell {} has no edge into its output", slot.index);
  for (int p : concat_) {
    std::shared_ptr<CellOpImpl> reduce;
    if (slot.reduction && p < 2) {
      reduce = std::make_shared<FactorizedReduceImpl>(c, c, /*relu_first=*/false);
      register_module(fmt::format("out_reduce_in{}", p), reduce);
    }
    concat_reduce_.push_back(reduce);
  }
  out_channels_ = c * static_cast<int64_t>(concat_.size());
}

torch::Tensor NagCellImpl::forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                   double keep) {
  auto inputs = calibrate_->forward(s0, s1);
  std::vector<torch::Tensor> states{inputs.first, inputs.second};
  states.reserve(vertices_.size() + 2);
  const bool drop = is_training() && keep < 1.0;
  for (Vertex& vx : vertices_) {
    torch::Tensor sum;
    for (size_t k = 0; k < vx.preds.size(); ++k) {
      const torch::Tensor& in = states[static_cast<size_t>(vx.preds[k])];
      torch::Tensor t = vx.reduce[k] ? vx.reduce[k]->forward(in) : in;
      sum = k == 0 ? t : sum + t;
    }
    torch::Tensor h = vx.op->forward(sum);
    if (drop && !vx.op->is_identity()) h = drop_path(h, keep);
    states.push_back(h);
  }
  std::vector<torch::Tensor> outs;
  outs.reserve(concat_.size());
  for (size_t k = 0; k < concat_.size(); ++k) {
    const torch::Tensor& t = states[static_cast<size_t>(concat_[k])];
    outs.push_back(concat_reduce_[k] ? concat_reduce_[k]->forward(t) : t);
  }
  return cat_channels(outs);
}

std::shared_ptr<NetworkImpl> build_nag_network(const SearchSpace& space, const Arch& arch,
                                               const NetworkConfig& cfg) {
  NAS_CHECK(dynamic_cast<const NagCellSpace*>(&space) != nullptr,
            "nag network: expected the nag space, found {}", space.name());
  space.validate(arch);
  CellNetworkOptions options;
  options.what = "nag network";
  options.drop_path_rule = DropPathRule::DepthAndProgress;
  const std::vector<CellDag> cells = arch.cells;
  auto builder = [cells](const CellSlot& slot) -> std::shared_ptr<CellImpl> {
    return std::make_shared<NagCellImpl>(cells[slot.reduction ? 1 : 0], slot);
  };
  return std::make_shared<CellNetworkImpl>(cfg, builder, options);
}

}  // namespace nas
