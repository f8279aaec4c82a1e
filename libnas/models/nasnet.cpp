#include "libnas/models/nasnet.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "libnas/models/flops.h"
#include "libnas/spaces/darts.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

int64_t half_size(int64_t h) { return (h + 1) / 2; }

}  // namespace

void check_cell_network_config(const NetworkConfig& cfg, const std::string& what) {
  NAS_CHECK(cfg.channels >= 2 && cfg.channels % 2 == 0,
            "{}: expected an even channels >= 2 (FactorizedReduce splits the width in halves), "
            "found {}",
            what, cfg.channels);
  NAS_CHECK(cfg.layers >= 1, "{}: expected layers (cells per stage N) >= 1, found {}", what,
            cfg.layers);
  NAS_CHECK(cfg.num_classes >= 1, "{}: expected num_classes >= 1, found {}", what,
            cfg.num_classes);
  NAS_CHECK(cfg.in_channels >= 1, "{}: expected in_channels >= 1, found {}", what,
            cfg.in_channels);
  NAS_CHECK(cfg.image_size >= 1, "{}: expected image_size >= 1, found {}", what, cfg.image_size);
  NAS_CHECK(cfg.dropout >= 0.0 && cfg.dropout < 1.0, "{}: expected dropout in [0, 1), found {}",
            what, cfg.dropout);
  NAS_CHECK(cfg.drop_path_keep > 0.0 && cfg.drop_path_keep <= 1.0,
            "{}: expected drop_path_keep in (0, 1], found {}", what, cfg.drop_path_keep);
}

// ---- The skeleton ---------------------------------------------------------------------------

void for_each_cell_slot(int layers, int64_t channels, int64_t stem_width, bool stems_reduce,
                        const std::function<int64_t(const CellSlot&)>& visit) {
  const int total = 3 * layers + 2;
  int64_t width = channels, c0 = stem_width, c1 = stem_width;
  bool reduce_s0 = stems_reduce;
  for (int i = 0; i < total; ++i) {
    CellSlot slot;
    slot.index = i;
    slot.total = total;
    slot.reduction = i == layers || i == 2 * layers + 1;
    if (slot.reduction) width *= 2;
    slot.reduce_s0 = reduce_s0;
    slot.c0 = c0;
    slot.c1 = c1;
    slot.channels = width;
    c0 = c1;
    c1 = visit(slot);
    reduce_s0 = slot.reduction;
  }
}

CellNetworkImpl::CellNetworkImpl(const NetworkConfig& cfg, const CellBuilder& build_cell,
                                 const CellNetworkOptions& options)
    : cfg_(cfg), options_(options) {
  check_cell_network_config(cfg, options.what);
  const int64_t c = cfg.channels;
  const int n = static_cast<int>(cfg.layers);
  aux_index_ = 2 * n + 1;

  int64_t c0 = 0, c1 = 0, size1 = cfg.image_size;
  bool reduce_s0 = false;
  if (!cfg.imagenet) {
    stem_conv0_ = register_module("stem_conv", make_conv(cfg.in_channels, 3 * c, 3, 1, 1));
    stem_bn0_ = register_module("stem_bn", make_batch_norm(3 * c));
    c0 = c1 = 3 * c;
  } else {
    stem_conv0_ = register_module("stem0_conv1", make_conv(cfg.in_channels, c / 2, 3, 2, 1));
    stem_bn0_ = register_module("stem0_bn1", make_batch_norm(c / 2));
    stem_conv1_ = register_module("stem0_conv2", make_conv(c / 2, c, 3, 2, 1));
    stem_bn1_ = register_module("stem0_bn2", make_batch_norm(c));
    stem_conv2_ = register_module("stem1_conv", make_conv(c, c, 3, 2, 1));
    stem_bn2_ = register_module("stem1_bn", make_batch_norm(c));
    c0 = c1 = c;
    size1 = half_size(half_size(half_size(cfg.image_size)));
    // Decided by structure, not by the sizes of cfg.image_size: stem1 always halves stem0's
    // resolution, even where a 1x1 map stays 1x1, so the network accepts any input size.
    reduce_s0 = true;
  }

  int64_t aux_in = 0;
  for_each_cell_slot(n, c, c0, reduce_s0, [&](const CellSlot& slot) {
    std::shared_ptr<CellImpl> cell = build_cell(slot);
    register_module(fmt::format("cell{}", slot.index), cell);
    cells_.push_back(cell);
    size1 = slot.reduction ? half_size(size1) : size1;
    info_.push_back(CellInfo{slot.reduction, slot.channels, cell->out_channels(), size1});
    c1 = cell->out_channels();
    if (slot.index == aux_index_) aux_in = c1;
    return c1;
  });
  if (cfg.auxiliary)
    aux_head_ = register_module("auxiliary_head",
                                AuxHead(aux_in, cfg.num_classes, options.aux_bn_after_768));
  dropout_ = register_module("dropout", torch::nn::Dropout(cfg.dropout));
  classifier_ = register_module("classifier", torch::nn::Linear(c1, cfg.num_classes));
  init_kaiming(*this);
}

double CellNetworkImpl::keep_probability(int cell) const {
  const double kp = cfg_.drop_path_keep;
  if (options_.drop_path_rule == DropPathRule::Progress) return 1.0 - progress_ * (1.0 - kp);
  const double depth = static_cast<double>(cell + 1) / static_cast<double>(cells_.size());
  return 1.0 - progress_ * depth * (1.0 - kp);
}

void CellNetworkImpl::set_progress(double fraction) {
  NAS_CHECK(std::isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0 + 1e-9,
            "{}: expected a training progress in [0, 1], found {}", options_.what, fraction);
  progress_ = std::min(fraction, 1.0);
}

torch::Tensor CellNetworkImpl::run(const torch::Tensor& x, torch::Tensor* aux,
                                   std::vector<std::vector<int64_t>>* trace) {
  NAS_CHECK(x.dim() == 4 && x.size(1) == cfg_.in_channels && x.size(2) >= 1 && x.size(3) >= 1,
            "{}: expected an input batch [batch, {}, height, width], found {}", options_.what,
            cfg_.in_channels, shape_string(x));
  torch::Tensor s0, s1;
  if (!cfg_.imagenet) {
    s0 = s1 = stem_bn0_->forward(counted(stem_conv0_, x));
  } else {
    torch::Tensor y = torch::relu(stem_bn0_->forward(counted(stem_conv0_, x)));
    s0 = stem_bn1_->forward(counted(stem_conv1_, y));
    s1 = stem_bn2_->forward(counted(stem_conv2_, torch::relu(s0)));
  }
  const bool training = is_training();
  for (size_t i = 0; i < cells_.size(); ++i) {
    const double keep = training ? keep_probability(static_cast<int>(i)) : 1.0;
    torch::Tensor out = cells_[i]->forward(s0, s1, keep);
    s0 = s1;
    s1 = out;
    if (trace) trace->push_back(out.sizes().slice(1).vec());
    if (aux && training && aux_head_ && static_cast<int>(i) == aux_index_)
      *aux = aux_head_->forward(s1);
  }
  torch::Tensor y = torch::adaptive_avg_pool2d(s1, {1, 1}).flatten(1);
  if (cfg_.dropout > 0.0) y = dropout_->forward(y);
  return counted(classifier_, y);
}

NetworkOutput CellNetworkImpl::forward(const torch::Tensor& x) {
  NetworkOutput out;
  out.logits = run(x, &out.aux, nullptr);
  return out;
}

std::vector<std::vector<int64_t>> CellNetworkImpl::trace(const torch::Tensor& x) {
  std::vector<std::vector<int64_t>> shapes;
  run(x, nullptr, &shapes);
  return shapes;
}

// ---- Two-branch cells -----------------------------------------------------------------------

namespace {

OpKind nao_op_kind(int id) {
  switch (id) {
    case 0: return OpKind::SepConv3x3;
    case 1: return OpKind::SepConv5x5;
    case 2: return OpKind::AvgPool3x3;
    case 3: return OpKind::MaxPool3x3;
    case 4:
    case 5: return OpKind::Identity;
    case 6: return OpKind::Conv1x1;
    case 7: return OpKind::Conv3x3;
    case 8: return OpKind::Conv1x3_3x1;
    case 9: return OpKind::Conv1x7_7x1;
    case 10: return OpKind::MaxPool2x2;
    case 11: return OpKind::MaxPool3x3;
    case 12: return OpKind::MaxPool5x5;
    case 13: return OpKind::AvgPool2x2;
    case 14: return OpKind::AvgPool3x3Incl;
    case 15: return OpKind::AvgPool5x5Incl;
    default: fail("nao: op id {} is out of range 0..15", id);
  }
}

OpKind darts_op_kind(const std::string& name) {
  if (name == "max_pool_3x3") return OpKind::MaxPool3x3;
  if (name == "avg_pool_3x3") return OpKind::AvgPool3x3;
  if (name == "skip_connect") return OpKind::Identity;
  if (name == "sep_conv_3x3") return OpKind::SepConv3x3;
  if (name == "sep_conv_5x5") return OpKind::SepConv5x5;
  if (name == "dil_conv_3x3") return OpKind::DilConv3x3;
  if (name == "dil_conv_5x5") return OpKind::DilConv5x5;
  fail("darts: op {} has no network op (expected one of max_pool_3x3, avg_pool_3x3, "
       "skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)",
       name);
}

}  // namespace

std::array<BranchCellPlan, 2> nao_cell_plans(const SearchSpace& space, const Arch& arch) {
  const auto* nao = dynamic_cast<const NaoCellSpace*>(&space);
  NAS_CHECK(nao != nullptr, "nao network: expected the nao or nao-11 space, found {}",
            space.name());
  const std::vector<int> ints = nao->to_ints(arch);
  std::array<BranchCellPlan, 2> plans;
  constexpr int kStates = NaoCellSpace::kNodes + 2;
  for (int c = 0; c < 2; ++c) {
    std::vector<int> used(kStates, 0);
    for (int i = 0; i < NaoCellSpace::kNodes; ++i) {
      const int base = c * NaoCellSpace::kIntsPerCell + 4 * i;
      std::array<BranchOp, 2> node;
      for (int b = 0; b < 2; ++b) {
        node[b].input = ints[base + 2 * b];
        node[b].op = nao_op_kind(ints[base + 2 * b + 1]);
        ++used[node[b].input];
      }
      plans[c].nodes.push_back(node);
    }
    for (int s = 0; s < kStates; ++s)
      if (used[s] == 0) plans[c].concat.push_back(s);
  }
  return plans;
}

std::array<BranchCellPlan, 2> darts_cell_plans(const SearchSpace& space, const Arch& arch) {
  const auto* darts = dynamic_cast<const DartsSpace*>(&space);
  NAS_CHECK(darts != nullptr, "darts network: expected the darts space, found {}", space.name());
  const Genotype g = darts->genotype(arch);
  std::array<BranchCellPlan, 2> plans;
  for (int c = 0; c < 2; ++c) {
    const auto& pairs = c == 0 ? g.normal : g.reduce;
    for (int k = 0; k < DartsSpace::kNodes; ++k) {
      std::array<BranchOp, 2> node;
      for (int b = 0; b < 2; ++b) {
        const auto& pair = pairs[2 * k + b];
        node[b].input = pair.second;
        node[b].op = darts_op_kind(pair.first);
      }
      plans[c].nodes.push_back(node);
    }
    for (int s = 2; s < 2 + DartsSpace::kNodes; ++s) plans[c].concat.push_back(s);
  }
  return plans;
}

BranchCellImpl::BranchCellImpl(const BranchCellPlan& plan, const CellSlot& slot,
                               BranchCellFamily family)
    : plan_(plan), family_(family) {
  const bool darts = family == BranchCellFamily::Darts;
  const int64_t c = slot.channels;
  const int num_nodes = static_cast<int>(plan.nodes.size());
  NAS_CHECK(num_nodes >= 1, "cell {}: expected at least one node", slot.index);
  calibrate_ = register_module("calibrate",
                               CalibrateInputs(slot.c0, slot.c1, c, slot.reduce_s0, darts));
  for (int j = 0; j < num_nodes; ++j) {
    std::array<std::shared_ptr<CellOpImpl>, 2> node;
    for (int b = 0; b < 2; ++b) {
      const BranchOp& br = plan.nodes[j][b];
      NAS_CHECK(br.input >= 0 && br.input < j + 2,
                "cell {}: node {} branch {} reads state {}, expected 0..{}", slot.index, j, b,
                br.input, j + 1);
      const int64_t stride = slot.reduction && br.input < 2 ? 2 : 1;
      node[b] = make_op(br.op, c, stride, /*reduce_relu_first=*/darts);
      register_module(fmt::format("node{}_{}", j, b == 0 ? "x" : "y"), node[b]);
    }
    ops_.push_back(node);
  }
  NAS_CHECK(!plan.concat.empty(), "cell {}: the output concatenates no state", slot.index);
  for (int s : plan.concat) {
    NAS_CHECK(s >= 0 && s < num_nodes + 2, "cell {}: concat state {} out of range 0..{}",
              slot.index, s, num_nodes + 1);
    std::shared_ptr<CellOpImpl> reduce;
    if (slot.reduction && s < 2) {
      reduce = std::make_shared<FactorizedReduceImpl>(c, c, /*relu_first=*/darts);
      register_module(fmt::format("reduce_s{}", s), reduce);
    }
    concat_reduce_.push_back(reduce);
  }
  out_channels_ = c * static_cast<int64_t>(plan.concat.size());
}

torch::Tensor BranchCellImpl::forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                      double keep) {
  auto inputs = calibrate_->forward(s0, s1);
  std::vector<torch::Tensor> states{inputs.first, inputs.second};
  states.reserve(plan_.nodes.size() + 2);
  const bool drop = is_training() && keep < 1.0;
  const bool spare_identity = family_ == BranchCellFamily::Darts;
  for (size_t j = 0; j < plan_.nodes.size(); ++j) {
    torch::Tensor sum;
    for (int b = 0; b < 2; ++b) {
      CellOpImpl& op = *ops_[j][b];
      torch::Tensor h = op.forward(states[plan_.nodes[j][b].input]);
      if (drop && !(spare_identity && op.is_identity())) h = drop_path(h, keep);
      sum = b == 0 ? h : sum + h;
    }
    states.push_back(sum);
  }
  std::vector<torch::Tensor> outs;
  outs.reserve(plan_.concat.size());
  for (size_t k = 0; k < plan_.concat.size(); ++k) {
    const torch::Tensor& t = states[plan_.concat[k]];
    outs.push_back(concat_reduce_[k] ? concat_reduce_[k]->forward(t) : t);
  }
  return cat_channels(outs);
}

std::shared_ptr<NetworkImpl> build_nasnet(const SearchSpace& space, const Arch& arch,
                                          const NetworkConfig& cfg) {
  const std::string name = space.name();
  CellNetworkOptions options;
  options.what = name + " network";
  BranchCellFamily family;
  std::array<BranchCellPlan, 2> plans;
  if (name == "nao" || name == "nao-11") {
    family = BranchCellFamily::Nao;
    plans = nao_cell_plans(space, arch);
    options.drop_path_rule = DropPathRule::DepthAndProgress;
  } else if (name == "darts") {
    family = BranchCellFamily::Darts;
    plans = darts_cell_plans(space, arch);
    options.drop_path_rule = DropPathRule::Progress;
    options.aux_bn_after_768 = !cfg.imagenet;
  } else {
    fail("NASNet-style network: expected a nao, nao-11 or darts arch, found space {}", name);
  }
  auto builder = [plans, family](const CellSlot& slot) -> std::shared_ptr<CellImpl> {
    return std::make_shared<BranchCellImpl>(plans[slot.reduction ? 1 : 0], slot, family);
  };
  return std::make_shared<CellNetworkImpl>(cfg, builder, options);
}

}  // namespace nas
