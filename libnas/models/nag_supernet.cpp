#include "libnas/models/nag_supernet.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "libnas/models/flops.h"
#include "libnas/models/nasnet.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

constexpr const char* kWhat = "nag supernet";

const NagCellSpace& nag_space() {
  static const NagCellSpace space;
  return space;
}

}  // namespace

// ---- Paths ----------------------------------------------------------------------------------

NagCellPath nag_cell_path(const CellDag& cell) {
  NagCellPath path;
  const int n = cell.num_nodes();
  for (int v = 2; v < n - 1; ++v) {
    NagCellPath::Vertex vx;
    vx.op = cell.ops[static_cast<size_t>(v)];
    vx.preds = cell.preds(v);
    vx.inputs_only = std::all_of(vx.preds.begin(), vx.preds.end(), [](int p) { return p < 2; });
    path.vertices.push_back(std::move(vx));
  }
  path.concat = cell.preds(n - 1);
  return path;
}

NagSupernetPath nag_supernet_path(const Arch& arch) {
  // validate() rejects every arch the supernet cannot run as written: another space's cells,
  // more than 10 vertices, dead op vertices (so the slots are the canonical vertex indices).
  nag_space().validate(arch);
  NagSupernetPath path;
  for (size_t k = 0; k < 2; ++k) path.cells[k] = nag_cell_path(arch.cells[k]);
  return path;
}

// ---- Cell -------------------------------------------------------------------------------------

NagSupernetCellImpl::NagSupernetCellImpl(int64_t c0, int64_t c1, int64_t channels,
                                         bool reduce_s0, bool reduction)
    : reduction_(reduction),
      avg_{PoolOp(pool_spec(OpKind::AvgPool3x3), 1), PoolOp(pool_spec(OpKind::AvgPool3x3), 2)},
      max_{PoolOp(pool_spec(OpKind::MaxPool3x3), 1), PoolOp(pool_spec(OpKind::MaxPool3x3), 2)} {
  calibrate_ = register_module(
      "calibrate", CalibrateInputs(c0, c1, channels, reduce_s0, /*always_project=*/false));
  for (int s = 0; s < kSlots; ++s) {
    // A submodule per slot keeps the names cell{i}.v{t}.<op>.
    auto holder = register_module(fmt::format("v{}", kFirstSlot + s),
                                  std::make_shared<torch::nn::Module>());
    Slot slot;
    slot.sep3 = holder->register_module("sep3", WSSepConv(1, channels, 3));
    slot.sep5 = holder->register_module("sep5", WSSepConv(1, channels, 5));
    if (reduction) {
      slot.id_reduce = holder->register_module("id_reduce",
                                               FactorizedReduce(channels, channels, false));
      for (int k = 0; k < 2; ++k)
        slot.input_op[static_cast<size_t>(k)] = holder->register_module(
            fmt::format("input_op{}", k), FactorizedReduce(channels, channels, false));
    }
    slots_.push_back(std::move(slot));
  }
  if (reduction)
    for (int k = 0; k < 2; ++k)
      fac_[static_cast<size_t>(k)] = register_module(fmt::format("fac_{}", k),
                                                     FactorizedReduce(channels, channels, false));
  combine_ = register_module("combine", WSReLUConvBN(kSources, channels));
}

torch::Tensor NagSupernetCellImpl::run_op(Slot& slot, int op, const torch::Tensor& x,
                                          int64_t stride) {
  switch (op) {
    case NagCellSpace::kSepConv3x3: return slot.sep3->forward(x, 0, stride);
    case NagCellSpace::kSepConv5x5: return slot.sep5->forward(x, 0, stride);
    case NagCellSpace::kAvgPool: return avg_[static_cast<size_t>(stride - 1)]->forward(x);
    case NagCellSpace::kMaxPool: return max_[static_cast<size_t>(stride - 1)]->forward(x);
    case NagCellSpace::kIdentity: return stride == 1 ? x : slot.id_reduce->forward(x);
    default:
      fail("{}: a vertex has op id {}, expected an op id {}..{}", kWhat, op,
           NagCellSpace::kFirstOp, NagCellSpace::kLastOp);
  }
}

torch::Tensor NagSupernetCellImpl::forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                           const NagCellPath& path, double keep) {
  NAS_CHECK(path.vertices.size() <= static_cast<size_t>(kSlots),
            "{}: a cell path has {} op vertices, expected at most {}", kWhat,
            path.vertices.size(), kSlots);
  NAS_CHECK(!path.concat.empty(), "{}: a cell path has no vertex wired to the output", kWhat);
  auto inputs = calibrate_->forward(s0, s1);
  std::vector<torch::Tensor> states{std::move(inputs.first), std::move(inputs.second)};
  states.reserve(path.vertices.size() + 2);
  const bool drop = is_training() && keep < 1.0;
  for (size_t k = 0; k < path.vertices.size(); ++k) {
    const NagCellPath::Vertex& vx = path.vertices[k];
    const int v = kFirstSlot + static_cast<int>(k);
    NAS_CHECK(!vx.preds.empty(), "{}: vertex {} of a cell path has no predecessor", kWhat, v);
    Slot& slot = slots_[k];
    // Mixed predecessors in a reduction cell: the op vertices are already reduced, so the
    // inputs are brought down to their size (by this slot's input_op) before the sum.
    const bool reduce_inputs = reduction_ && !vx.inputs_only;
    torch::Tensor sum;
    for (size_t j = 0; j < vx.preds.size(); ++j) {
      const int p = vx.preds[j];
      NAS_CHECK(p >= 0 && p < v, "{}: vertex {} reads vertex {}, expected an earlier vertex", kWhat,
                v, p);
      torch::Tensor t = reduce_inputs && p < 2
                            ? slot.input_op[static_cast<size_t>(p)]->forward(states[static_cast<size_t>(p)])
                            : states[static_cast<size_t>(p)];
      sum = j == 0 ? std::move(t) : sum + t;
    }
    const int64_t stride = reduction_ && vx.inputs_only ? 2 : 1;
    torch::Tensor h = run_op(slot, vx.op, sum, stride);
    if (drop && !(vx.op == NagCellSpace::kIdentity && stride == 1)) h = drop_path(h, keep);
    states.push_back(std::move(h));
  }
  std::vector<torch::Tensor> outs;
  outs.reserve(path.concat.size());
  for (size_t j = 0; j < path.concat.size(); ++j) {
    const int p = path.concat[j];
    NAS_CHECK(p >= 0 && p < static_cast<int>(states.size()) && (j == 0 || p > path.concat[j - 1]),
              "{}: the output reads vertex {}, expected ascending vertices 0..{}", kWhat, p,
              states.size() - 1);
    const torch::Tensor& t = states[static_cast<size_t>(p)];
    outs.push_back(reduction_ && p < 2 ? fac_[static_cast<size_t>(p)]->forward(t) : t);
  }
  return combine_->forward(outs.size() == 1 ? outs[0] : cat_channels(outs), path.concat);
}

// ---- The supernet ---------------------------------------------------------------------------

NagSupernetImpl::NagSupernetImpl(const NetworkConfig& cfg) : cfg_(cfg) {
  check_cell_network_config(cfg, kWhat);
  NAS_CHECK(!cfg.imagenet, "{}: only the CIFAR stem is supported; set imagenet to false", kWhat);
  const int64_t c = cfg.channels;
  const int n = static_cast<int>(cfg.layers);
  const int total = 3 * n + 2;
  aux_index_ = 2 * n + 1;

  stem_conv_ = register_module("stem_conv", make_conv(cfg.in_channels, 3 * c, 3, 1, 1));
  stem_bn_ = register_module("stem_bn", make_batch_norm(3 * c));
  int64_t c0 = 3 * c, c1 = 3 * c, width = c;
  bool reduce_s0 = false;
  for (int i = 0; i < total; ++i) {
    const bool reduction = i == n || i == 2 * n + 1;
    if (reduction) width *= 2;
    cells_.push_back(register_module(fmt::format("cell{}", i),
                                     NagSupernetCell(c0, c1, width, reduce_s0, reduction)));
    c0 = c1;
    c1 = width;
    reduce_s0 = reduction;
  }
  if (cfg.auxiliary)
    aux_head_ = register_module("auxiliary_head", AuxHead(4 * c, cfg.num_classes));
  dropout_ = register_module("dropout", torch::nn::Dropout(cfg.dropout));
  classifier_ = register_module("classifier", torch::nn::Linear(c1, cfg.num_classes));
  init_kaiming(*this);
}

void NagSupernetImpl::train(bool on) {
  torch::nn::Module::train(on);
  // Batch statistics in every mode (see the header): the BN modules stay in training mode.
  for (const auto& m : modules(/*include_self=*/false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) bn->train(true);
}

double NagSupernetImpl::keep_probability(int cell) const {
  const double depth = static_cast<double>(cell + 1) / static_cast<double>(cells_.size());
  return 1.0 - progress_ * depth * (1.0 - cfg_.drop_path_keep);
}

void NagSupernetImpl::set_progress(double fraction) {
  NAS_CHECK(std::isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0 + 1e-9,
            "{}: expected a training progress in [0, 1], found {}", kWhat, fraction);
  progress_ = std::min(fraction, 1.0);
}

torch::Tensor NagSupernetImpl::forward(const torch::Tensor& x, const Arch& arch) {
  return run(x, nag_supernet_path(arch), nullptr, nullptr);
}

torch::Tensor NagSupernetImpl::forward(const torch::Tensor& x, const NagSupernetPath& path) {
  return run(x, path, nullptr, nullptr);
}

NetworkOutput NagSupernetImpl::forward_with_aux(const torch::Tensor& x,
                                                const NagSupernetPath& path) {
  NetworkOutput out;
  out.logits = run(x, path, &out.aux, nullptr);
  return out;
}

std::vector<std::vector<int64_t>> NagSupernetImpl::trace(const torch::Tensor& x,
                                                         const NagSupernetPath& path) {
  std::vector<std::vector<int64_t>> shapes;
  run(x, path, nullptr, &shapes);
  return shapes;
}

torch::Tensor NagSupernetImpl::run(const torch::Tensor& x, const NagSupernetPath& path,
                                   torch::Tensor* aux, std::vector<std::vector<int64_t>>* trace) {
  NAS_CHECK(x.dim() == 4 && x.size(1) == cfg_.in_channels && x.size(2) >= 1 && x.size(3) >= 1,
            "{}: expected an input batch [batch, {}, height, width], found {}", kWhat,
            cfg_.in_channels, shape_string(x));
  torch::Tensor s0 = stem_bn_->forward(counted(stem_conv_, x));
  torch::Tensor s1 = s0;
  const bool training = is_training();
  for (size_t i = 0; i < cells_.size(); ++i) {
    NagSupernetCell& cell = cells_[i];
    const double keep = training ? keep_probability(static_cast<int>(i)) : 1.0;
    torch::Tensor out = cell->forward(s0, s1, path.cells[cell->reduction() ? 1 : 0], keep);
    s0 = std::move(s1);
    s1 = std::move(out);
    if (trace) trace->push_back(s1.sizes().slice(1).vec());
    if (aux && training && aux_head_ && static_cast<int>(i) == aux_index_)
      *aux = aux_head_->forward(s1);
  }
  torch::Tensor y = torch::adaptive_avg_pool2d(s1, {1, 1}).flatten(1);
  if (cfg_.dropout > 0.0) y = dropout_->forward(y);
  return counted(classifier_, y);
}

}  // namespace nas
