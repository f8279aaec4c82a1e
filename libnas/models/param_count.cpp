#include "libnas/models/param_count.h"

#include <array>
#include <vector>

#include "libnas/models/nag_net.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

// A bias-free conv with a kh x kw kernel and `groups` groups.
int64_t conv_params(int64_t in, int64_t out, int64_t kh, int64_t kw, int64_t groups = 1) {
  return out * (in / groups) * kh * kw;
}

int64_t bn_params(int64_t channels) { return 2 * channels; }

}  // namespace

int64_t factorized_reduce_params(int64_t in, int64_t out) {
  NAS_CHECK(in >= 1 && out >= 2 && out % 2 == 0,
            "FactorizedReduce: expected an input width >= 1 and an even output width, found {} "
            "and {}",
            in, out);
  return 2 * conv_params(in, out / 2, 1, 1) + bn_params(out);
}

int64_t op_params(OpKind kind, int64_t channels, int64_t stride) {
  NAS_CHECK(channels >= 1, "cell op: expected at least 1 channel, found {}", channels);
  NAS_CHECK(stride == 1 || stride == 2, "cell op: expected stride 1 or 2, found {}", stride);
  const int64_t c = channels;
  // SepConvImpl: (depthwise k x k, pointwise, BN) twice; DilConvImpl: once.
  auto sep_round = [c](int64_t k) {
    return conv_params(c, c, k, k, c) + conv_params(c, c, 1, 1) + bn_params(c);
  };
  auto relu_conv_bn = [c](int64_t kh, int64_t kw) {
    return conv_params(c, c, kh, kw) + bn_params(c);
  };
  switch (kind) {
    case OpKind::Identity: return stride == 1 ? 0 : factorized_reduce_params(c, c);
    case OpKind::SepConv3x3: return 2 * sep_round(3);
    case OpKind::SepConv5x5: return 2 * sep_round(5);
    case OpKind::DilConv3x3: return sep_round(3);
    case OpKind::DilConv5x5: return sep_round(5);
    case OpKind::Conv1x1: return relu_conv_bn(1, 1);
    case OpKind::Conv3x3: return relu_conv_bn(3, 3);
    case OpKind::Conv1x3_3x1: return relu_conv_bn(1, 3) + relu_conv_bn(3, 1);
    case OpKind::Conv1x7_7x1: return relu_conv_bn(1, 7) + relu_conv_bn(7, 1);
    case OpKind::MaxPool2x2:
    case OpKind::MaxPool3x3:
    case OpKind::MaxPool5x5:
    case OpKind::AvgPool2x2:
    case OpKind::AvgPool3x3:
    case OpKind::AvgPool3x3Incl:
    case OpKind::AvgPool5x5Incl: return 0;
  }
  fail("op kind {} is out of range", static_cast<int>(kind));
}

int64_t calibrate_params(int64_t c0, int64_t c1, int64_t channels, bool reduce_s0,
                         bool always_project) {
  // A 1x1 ReLU-conv-BN projection.
  auto project = [channels](int64_t in) {
    return conv_params(in, channels, 1, 1) + bn_params(channels);
  };
  int64_t params = 0;
  if (reduce_s0)
    params += factorized_reduce_params(c0, channels);
  else if (c0 != channels || always_project)
    params += project(c0);
  if (c1 != channels || always_project) params += project(c1);
  return params;
}

int64_t cell_network_params(const NetworkConfig& cfg, const CellParamCounter& count_cell,
                            const std::string& what) {
  check_cell_network_config(cfg, what);
  const int64_t c = cfg.channels;
  const int n = static_cast<int>(cfg.layers);

  int64_t params = 0, c0 = 0, c1 = 0;
  bool reduce_s0 = false;
  if (!cfg.imagenet) {
    params += conv_params(cfg.in_channels, 3 * c, 3, 3) + bn_params(3 * c);
    c0 = c1 = 3 * c;
  } else {
    params += conv_params(cfg.in_channels, c / 2, 3, 3) + bn_params(c / 2);
    params += conv_params(c / 2, c, 3, 3) + bn_params(c);
    params += conv_params(c, c, 3, 3) + bn_params(c);
    c0 = c1 = c;
    reduce_s0 = true;
  }

  for_each_cell_slot(n, c, c0, reduce_s0, [&](const CellSlot& slot) {
    const CellParams cell = count_cell(slot);
    params += cell.params;
    c1 = cell.out_channels;
    return cell.out_channels;
  });
  // The auxiliary head is left out of the count; the classifier Linear has a bias.
  return params + c1 * cfg.num_classes + cfg.num_classes;
}

CellParams branch_cell_params(const BranchCellPlan& plan, const CellSlot& slot,
                              BranchCellFamily family) {
  const int64_t c = slot.channels;
  const int num_nodes = static_cast<int>(plan.nodes.size());
  NAS_CHECK(num_nodes >= 1, "cell {}: expected at least one node", slot.index);
  CellParams out;
  out.params = calibrate_params(slot.c0, slot.c1, c, slot.reduce_s0,
                                /*always_project=*/family == BranchCellFamily::Darts);
  for (int j = 0; j < num_nodes; ++j) {
    for (int b = 0; b < 2; ++b) {
      const BranchOp& br = plan.nodes[j][b];
      NAS_CHECK(br.input >= 0 && br.input < j + 2,
                "cell {}: node {} branch {} reads state {}, expected 0..{}", slot.index, j, b,
                br.input, j + 1);
      out.params += op_params(br.op, c, slot.reduction && br.input < 2 ? 2 : 1);
    }
  }
  NAS_CHECK(!plan.concat.empty(), "cell {}: the output concatenates no state", slot.index);
  for (int s : plan.concat) {
    NAS_CHECK(s >= 0 && s < num_nodes + 2, "cell {}: concat state {} out of range 0..{}",
              slot.index, s, num_nodes + 1);
    // A cell input concatenated by a reduction cell is brought down to the output size.
    if (slot.reduction && s < 2) out.params += factorized_reduce_params(c, c);
  }
  out.out_channels = c * static_cast<int64_t>(plan.concat.size());
  return out;
}

CellParams nag_cell_params(const CellDag& dag, const CellSlot& slot) {
  const int n = dag.num_nodes();
  NAS_CHECK(n >= 3, "nag network: cell {} has {} vertices, expected at least 3", slot.index, n);
  const int64_t c = slot.channels;
  CellParams out;
  out.params = calibrate_params(slot.c0, slot.c1, c, slot.reduce_s0, /*always_project=*/false);
  for (int v = 2; v < n - 1; ++v) {
    const std::vector<int> preds = dag.preds(v);
    NAS_CHECK(!preds.empty(), "nag network: cell {} vertex {} has no predecessor", slot.index, v);
    int inputs = 0;
    for (int p : preds) inputs += p < 2 ? 1 : 0;
    const bool only_inputs = inputs == static_cast<int>(preds.size());
    // A reduction vertex reading only cell inputs runs its op at stride 2; one that mixes them
    // with op vertices reduces each input with its own FactorizedReduce and runs at stride 1.
    if (slot.reduction && !only_inputs) out.params += inputs * factorized_reduce_params(c, c);
    const OpKind kind = nag_op_kind(dag.ops[v], slot.index, v);
    out.params += op_params(kind, c, slot.reduction && only_inputs ? 2 : 1);
  }
  const std::vector<int> concat = dag.preds(n - 1);
  NAS_CHECK(!concat.empty(), "nag network: cell {} has no edge into its output", slot.index);
  for (int p : concat)
    if (slot.reduction && p < 2) out.params += factorized_reduce_params(c, c);
  out.out_channels = c * static_cast<int64_t>(concat.size());
  return out;
}

int64_t nasnet_param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg) {
  const std::string name = space.name();
  BranchCellFamily family;
  std::array<BranchCellPlan, 2> plans;
  if (name == "nao" || name == "nao-11") {
    family = BranchCellFamily::Nao;
    plans = nao_cell_plans(space, arch);
  } else if (name == "darts") {
    family = BranchCellFamily::Darts;
    plans = darts_cell_plans(space, arch);
  } else {
    fail("NASNet-style network: expected a nao, nao-11 or darts arch, found space {}", name);
  }
  return cell_network_params(
      cfg,
      [&plans, family](const CellSlot& slot) {
        return branch_cell_params(plans[slot.reduction ? 1 : 0], slot, family);
      },
      name + " network");
}

int64_t nag_param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg) {
  NAS_CHECK(dynamic_cast<const NagCellSpace*>(&space) != nullptr,
            "nag network: expected the nag space, found {}", space.name());
  space.validate(arch);
  return cell_network_params(
      cfg,
      [&arch](const CellSlot& slot) {
        return nag_cell_params(arch.cells[slot.reduction ? 1 : 0], slot);
      },
      "nag network");
}

}  // namespace nas
