#include "libnas/models/nag_supernet.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "libnas/models/nag_net.h"
#include "libnas/models/nasnet.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

using Space = NagCellSpace;

NetworkConfig config(int64_t channels, int64_t layers, int64_t in_channels = 3,
                     int64_t image_size = 32) {
  NetworkConfig cfg;
  cfg.channels = channels;
  cfg.layers = layers;
  cfg.num_classes = 10;
  cfg.in_channels = in_channels;
  cfg.image_size = image_size;
  return cfg;
}

int64_t count_params_under(torch::nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& p : m.named_parameters())
    if (p.key().rfind(prefix, 0) == 0) n += p.value().numel();
  return n;
}

// A cell from its ops (input0 and input1 first, output last are added) and edges.
CellDag make_cell(const std::vector<int>& op_ids, const std::vector<std::pair<int, int>>& edges) {
  std::vector<int> ops = {Space::kInput0, Space::kInput1};
  ops.insert(ops.end(), op_ids.begin(), op_ids.end());
  ops.push_back(Space::kOutput);
  CellDag cell(static_cast<int>(ops.size()));
  cell.ops = ops;
  for (const auto& e : edges) cell.set_edge(e.first, e.second);
  return cell;
}

// Normal: input0 -> sep3 -> out, input0 -> out, input1 -> out (inputs wired straight to the
// output). Reduction: v2 = sep5(input0) at stride 2; v3 = identity(input1 + v2) mixes an input
// with an op vertex; v4 = max(input0 + v3) mixes too; v5 = identity(input0) is a stride-2
// identity; the output reads v4, v5 and both inputs.
Arch mixed_arch() {
  Arch a;
  a.cells.push_back(make_cell({Space::kSepConv3x3}, {{0, 2}, {2, 3}, {0, 3}, {1, 3}}));
  a.cells.push_back(make_cell(
      {Space::kSepConv5x5, Space::kIdentity, Space::kMaxPool, Space::kIdentity},
      {{0, 2}, {1, 3}, {2, 3}, {0, 4}, {3, 4}, {0, 5}, {4, 6}, {5, 6}, {0, 6}, {1, 6}}));
  return a;
}

// Both cells without op vertices: the inputs go straight to the output.
Arch inputs_only_arch() {
  Arch a;
  a.cells.push_back(make_cell({}, {{0, 2}, {1, 2}}));
  a.cells.push_back(make_cell({}, {{1, 2}}));
  return a;
}

std::vector<Arch> test_archs(int random) {
  std::vector<Arch> archs = {mixed_arch(), inputs_only_arch()};
  for (const auto& name : Space::published_names()) archs.push_back(Space::published(name));
  Space space;
  Rng rng(11);
  for (int k = 0; k < random; ++k) archs.push_back(space.sample(rng));
  for (const auto& a : archs) space.validate(a);
  return archs;
}

std::string text(const Arch& a) { return Space().format(a); }

// ---- Parameter count ------------------------------------------------------------------------

// Per cell of width c: 7 slots x (sep3 2*9c + 2c^2 + 4c, sep5 2*25c + 2c^2 + 4c) = 28c^2 + 532c;
// combine 9 slices c^2 + BN 2c; reduction cells also 7 x 3 (id_reduce, input_op0, input_op1)
// + 2 (fac_0, fac_1) FactorizedReduce(c -> c) = 23 (c^2 + 2c).
int64_t cell_params(int64_t c, bool reduction) {
  return 28 * c * c + 532 * c + 9 * c * c + 2 * c + (reduction ? 23 * (c * c + 2 * c) : 0);
}

TEST(NagSupernetTest, ParameterCountFollowsTheStructure) {
  NagSupernet net(config(20, 3));
  int64_t cells = 0, calibration = 0;
  for (int i = 0; i < 11; ++i) {
    const std::string cell = "cell" + std::to_string(i) + ".";
    const int64_t width = i < 3 ? 20 : i < 7 ? 40 : 80;
    const bool reduction = i == 3 || i == 7;
    const int64_t calib = count_params_under(*net, cell + "calibrate.");
    EXPECT_EQ(count_params_under(*net, cell) - calib, cell_params(width, reduction)) << cell;
    cells += count_params_under(*net, cell) - calib;
    calibration += calib;
    EXPECT_EQ(count_params_under(*net, cell + "combine.w_8"), width * width) << cell;
    if (reduction) {
      EXPECT_EQ(count_params_under(*net, cell + "v8.input_op1."), width * width + 2 * width);
      EXPECT_EQ(count_params_under(*net, cell + "fac_0."), width * width + 2 * width);
    } else {
      EXPECT_EQ(count_params_under(*net, cell + "v2.id_reduce."), 0) << cell;
    }
  }
  // The calibration is the NAO supernet's (every cell outputs its width): cell 0 s0, s1 and
  // cell 1 s0 60 -> 20, cells 3 (s0, s1) and 4 (s0, FactorizedReduce) 20 -> 40, cells 7 and 8
  // 40 -> 80.
  EXPECT_EQ(calibration, 16440);
  const int64_t stem = 3 * 9 * 60 + 120, classifier = 80 * 10 + 10;
  EXPECT_EQ(count_params_under(*net, ""), stem + calibration + cells + classifier);
  EXPECT_EQ(count_params_under(*net, "auxiliary"), 0);

  NetworkConfig aux = config(20, 3);
  aux.auxiliary = true;
  NagSupernet with_aux(aux);
  // AuxHead on cell 7's 80 channels: conv 80*128, BN 256, conv 128*768*4, BN 1536, linear.
  EXPECT_EQ(count_params_under(*with_aux, "auxiliary_head."),
            80 * 128 + 256 + 128 * 768 * 4 + 1536 + 768 * 10 + 10);
}

// ---- Shapes ---------------------------------------------------------------------------------

struct Variant {
  const char* name;
  int64_t in_channels;
  int64_t size;
  std::vector<int64_t> sizes;  // per stage
};

TEST(NagSupernetTest, OutputShapesOnCifarAndFashionMnistSizes) {
  torch::manual_seed(1);
  const std::vector<Variant> variants = {{"cifar", 3, 32, {32, 16, 8}},
                                         {"fashion-mnist", 1, 28, {28, 14, 7}}};
  const std::vector<Arch> archs = test_archs(6);
  for (const Variant& v : variants) {
    NetworkConfig cfg = config(8, 1, v.in_channels, v.size);
    cfg.drop_path_keep = 0.8;
    cfg.dropout = 0.1;
    cfg.auxiliary = true;
    NagSupernet net(cfg);
    net->set_progress(0.5);
    ASSERT_EQ(net->num_cells(), 5);
    for (const Arch& arch : archs) {
      SCOPED_TRACE(std::string(v.name) + " " + text(arch));
      const NagSupernetPath path = nag_supernet_path(arch);
      torch::Tensor x = torch::randn({3, v.in_channels, v.size, v.size});
      net->train();
      NetworkOutput out = net->forward_with_aux(x, path);
      ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{3, 10}));
      ASSERT_TRUE(out.aux.defined());
      EXPECT_EQ(out.aux.sizes(), (std::vector<int64_t>{3, 10}));
      EXPECT_TRUE(torch::isfinite(out.logits).all().item<bool>());
      net->eval();
      torch::NoGradGuard g;
      EXPECT_FALSE(net->forward_with_aux(x, path).aux.defined());
      const auto shapes = net->trace(x, path);
      ASSERT_EQ(shapes.size(), 5u);
      // Cells 0 (C), 1 (reduction, 2C), 2 (2C), 3 (reduction, 4C), 4 (4C): each outputs its width.
      EXPECT_EQ(shapes[0], (std::vector<int64_t>{8, v.sizes[0], v.sizes[0]}));
      EXPECT_EQ(shapes[1], (std::vector<int64_t>{16, v.sizes[1], v.sizes[1]}));
      EXPECT_EQ(shapes[2], (std::vector<int64_t>{16, v.sizes[1], v.sizes[1]}));
      EXPECT_EQ(shapes[3], (std::vector<int64_t>{32, v.sizes[2], v.sizes[2]}));
      EXPECT_EQ(shapes[4], (std::vector<int64_t>{32, v.sizes[2], v.sizes[2]}));
      EXPECT_TRUE(torch::equal(net->forward(x, arch), net->forward(x, path)));
    }
  }
}

TEST(NagSupernetTest, PathsFollowTheStrideRule) {
  const NagSupernetPath path = nag_supernet_path(mixed_arch());
  const NagCellPath& red = path.cells[1];
  ASSERT_EQ(red.vertices.size(), 4u);
  EXPECT_TRUE(red.vertices[0].inputs_only);   // v2 = sep5(input0): stride 2
  EXPECT_FALSE(red.vertices[1].inputs_only);  // v3 = identity(input1 + v2): input_op1, stride 1
  EXPECT_FALSE(red.vertices[2].inputs_only);
  EXPECT_TRUE(red.vertices[3].inputs_only);   // v5 = identity(input0): id_reduce
  EXPECT_EQ(red.vertices[1].preds, (std::vector<int>{1, 2}));
  EXPECT_EQ(red.concat, (std::vector<int>{0, 1, 4, 5}));
  EXPECT_EQ(path.cells[0].concat, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(nag_supernet_path(inputs_only_arch()).cells[0].vertices.empty());
}

// ---- Only the path's weights take part ------------------------------------------------------

// Names of the parameters the path of `arch` reads in a supernet of N = 1 (cells 0..4,
// reductions at 1 and 3), following the naming in nag_supernet.h.
// A cell whose output no later cell (or the classifier) reads is off the path as a whole, and
// so is the calibration of an input its cell does not read.
bool reads_input(const CellDag& dag, int k) {
  for (int v = 2; v < dag.num_nodes(); ++v)
    if (dag.edge(k, v)) return true;
  return false;
}

std::set<std::string> path_params(NagSupernetImpl& net, const Arch& arch) {
  auto cell_dag = [&](int i) -> const CellDag& { return arch.cells[i == 1 || i == 3 ? 1 : 0]; };
  std::vector<bool> live(5, false);
  live[4] = true;
  for (int i = 3; i >= 0; --i)
    live[static_cast<size_t>(i)] = (live[static_cast<size_t>(i + 1)] && reads_input(cell_dag(i + 1), 1)) ||
                                   (i + 2 < 5 && live[static_cast<size_t>(i + 2)] && reads_input(cell_dag(i + 2), 0));
  std::vector<std::string> prefixes = {"stem_", "classifier."};
  for (int i = 0; i < 5; ++i) {
    if (!live[static_cast<size_t>(i)]) continue;
    const bool reduction = i == 1 || i == 3;
    const CellDag& dag = cell_dag(i);
    const std::string cell = "cell" + std::to_string(i) + ".";
    for (int k = 0; k < 2; ++k)
      if (reads_input(dag, k)) prefixes.push_back(cell + "calibrate.s" + std::to_string(k) + ".");
    prefixes.push_back(cell + "combine.bn.");
    const int out = dag.num_nodes() - 1;
    for (int v = 2; v < out; ++v) {
      const std::string slot = cell + "v" + std::to_string(v) + ".";
      const std::vector<int> preds = dag.preds(v);
      bool inputs_only = true;
      for (int p : preds) inputs_only = inputs_only && p < 2;
      const int op = dag.ops[v];
      if (op == Space::kSepConv3x3) prefixes.push_back(slot + "sep3.");
      if (op == Space::kSepConv5x5) prefixes.push_back(slot + "sep5.");
      if (op == Space::kIdentity && reduction && inputs_only) prefixes.push_back(slot + "id_reduce.");
      if (reduction && !inputs_only)
        for (int p : preds)
          if (p < 2) prefixes.push_back(slot + "input_op" + std::to_string(p) + ".");
    }
    for (int p : dag.preds(out)) {
      prefixes.push_back(cell + "combine.w_" + std::to_string(p));
      if (reduction && p < 2) prefixes.push_back(cell + "fac_" + std::to_string(p) + ".");
    }
  }
  std::set<std::string> names;
  for (const auto& p : net.named_parameters()) {
    const std::string& key = p.key();
    bool on = false;
    for (const auto& pre : prefixes) {
      // "combine.w_1" must not match "combine.w_10": slices are exact names.
      const bool exact = pre.find("combine.w_") != std::string::npos;
      on = on || (exact ? key == pre : key.rfind(pre, 0) == 0);
    }
    if (on) names.insert(key);
  }
  return names;
}

void expect_gradients_on_path_only(NagSupernetImpl& net, const Arch& arch, const torch::Tensor& x) {
  SCOPED_TRACE(text(arch));
  for (auto& p : net.parameters()) p.mutable_grad() = torch::Tensor();
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      net.forward(x, arch), torch::arange(x.size(0), torch::kLong) % 10);
  loss.backward();
  const std::set<std::string> expected = path_params(net, arch);
  int with_grad = 0;
  for (const auto& p : net.named_parameters()) {
    const bool has = p.value().grad().defined();
    EXPECT_EQ(has, expected.count(p.key()) > 0) << p.key();
    if (has) {
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
      ++with_grad;
    }
  }
  EXPECT_EQ(with_grad, static_cast<int>(expected.size()));
}

TEST(NagSupernetTest, OnlyThePathsWeightsGetGradients) {
  torch::manual_seed(3);
  NetworkConfig cfg = config(8, 1, 1, 28);
  cfg.drop_path_keep = 0.7;
  NagSupernet net(cfg);
  net->train();
  net->set_progress(1.0);  // drop-path on: dropped samples still leave the weights in the graph
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  for (const Arch& arch : test_archs(4)) expect_gradients_on_path_only(*net, arch, x);

  // Spelled out for the mixed arch: reduction v3 = identity(input1 + v2) reduces input1 with its
  // slot's input_op1 (not input_op0, not id_reduce); v5 = identity(input0) uses id_reduce.
  expect_gradients_on_path_only(*net, mixed_arch(), x);
  auto params = net->named_parameters();
  EXPECT_TRUE(params["cell1.v3.input_op1.conv1.weight"].grad().defined());
  EXPECT_FALSE(params["cell1.v3.input_op0.conv1.weight"].grad().defined());
  EXPECT_FALSE(params["cell1.v3.id_reduce.conv1.weight"].grad().defined());
  EXPECT_TRUE(params["cell1.v5.id_reduce.conv1.weight"].grad().defined());
  EXPECT_TRUE(params["cell1.v2.sep5.dw1_0"].grad().defined());
  EXPECT_FALSE(params["cell1.v2.sep3.dw1_0"].grad().defined());
  EXPECT_TRUE(params["cell3.fac_1.conv2.weight"].grad().defined());
  EXPECT_TRUE(params["cell0.combine.w_2"].grad().defined());
  EXPECT_FALSE(params["cell0.combine.w_3"].grad().defined());
  // The normal cell has no fac_ modules; its inputs reach the combine unreduced.
  EXPECT_EQ(params.find("cell0.fac_0.conv1.weight"), nullptr);

  // The auxiliary head learns when it is on.
  cfg.auxiliary = true;
  NagSupernet with_aux(cfg);
  with_aux->train();
  NetworkOutput out = with_aux->forward_with_aux(x, nag_supernet_path(mixed_arch()));
  (out.logits.sum() + out.aux.sum()).backward();
  EXPECT_TRUE(with_aux->named_parameters()["auxiliary_head.conv1.weight"].grad().defined());
}

// ---- The path equals the stand-alone cell ---------------------------------------------------

// Network-level equality with a NagNetwork of the same arch is not achievable by copying
// weights, because the two networks are different functions:
//   - a stand-alone cell outputs the concatenation (C x |concat| channels) and every consumer
//     projects it on its own: the next cell's s1 calibration and the cell after that's s0
//     calibration hold two independent ReLU-conv1x1-BN, and after a reduction the s0 path is
//     ReLU + FactorizedReduce of the raw concatenation;
//   - the supernet cell projects once (the shared 1x1 combine, C channels) and every consumer
//     reads that projection, through a further calibration where the width changes (and the
//     classifier reads C, not C x |concat|, channels).
// So the check is done where the two agree exactly: one supernet cell with the path's weights
// copied into the stand-alone NagCellImpl equals ReLU -> conv1x1 (the combine's active slices,
// in concat order) -> BN applied to the stand-alone cell's concatenation.

// The supernet parameter that stand-alone cell parameter `key` corresponds to.
std::string supernet_name(const std::string& key, const CellDag& dag) {
  std::smatch m;
  if (std::regex_match(key, m, std::regex(R"(v(\d+)_op\.(dw1|pw1|dw2|pw2)\.weight)"))) {
    const int op = dag.ops[static_cast<size_t>(std::stoi(m[1]))];
    return "v" + std::string(m[1]) + (op == Space::kSepConv3x3 ? ".sep3." : ".sep5.") +
           std::string(m[2]) + "_0";
  }
  if (std::regex_match(key, m, std::regex(R"(v(\d+)_op\.(bn1|bn2)\.(weight|bias))"))) {
    const int op = dag.ops[static_cast<size_t>(std::stoi(m[1]))];
    return "v" + std::string(m[1]) + (op == Space::kSepConv3x3 ? ".sep3." : ".sep5.") +
           std::string(m[2]) + "." + std::string(m[3]) + "_0";
  }
  if (std::regex_match(key, m, std::regex(R"(v(\d+)_op\.(.*))")))  // stride-2 identity
    return "v" + std::string(m[1]) + ".id_reduce." + std::string(m[2]);
  if (std::regex_match(key, m, std::regex(R"(v(\d+)_reduce_in(\d)\.(.*))")))
    return "v" + std::string(m[1]) + ".input_op" + std::string(m[2]) + "." + std::string(m[3]);
  if (std::regex_match(key, m, std::regex(R"(out_reduce_in(\d)\.(.*))")))
    return "fac_" + std::string(m[1]) + "." + std::string(m[2]);
  return key;  // calibrate.*
}

void expect_cell_matches_standalone(const CellDag& dag, bool reduction, bool reduce_s0) {
  SCOPED_TRACE(std::string(reduction ? "reduction " : "normal ") +
               (reduce_s0 ? "after a reduction " : "") + adjacency_to_string(dag));
  const int64_t c = 8, c0 = 12, c1 = 6, size = 10;
  NagSupernetCell ws(c0, c1, c, reduce_s0, reduction);
  {
    // Random BN affines too, so a wrong mapping of any parameter shows.
    torch::NoGradGuard g;
    for (auto& p : ws->parameters()) p.copy_(torch::randn_like(p) * (p.dim() == 1 ? 0.5 : 0.3));
  }
  CellSlot slot;
  slot.index = reduction ? 1 : 0;
  slot.total = 5;
  slot.reduction = reduction;
  slot.reduce_s0 = reduce_s0;
  slot.c0 = c0;
  slot.c1 = c1;
  slot.channels = c;
  NagCellImpl alone(dag, slot);
  auto ws_params = ws->named_parameters();
  int copied = 0;
  {
    torch::NoGradGuard g;
    for (auto& p : alone.named_parameters()) {
      const std::string name = supernet_name(p.key(), dag);
      auto* src = ws_params.find(name);
      ASSERT_NE(src, nullptr) << p.key() << " -> " << name;
      ASSERT_EQ(src->sizes(), p.value().sizes()) << name;
      p.value().copy_(*src);
      ++copied;
    }
  }
  EXPECT_GT(copied, 0);
  ws->train();
  alone.train();
  torch::NoGradGuard g;
  const torch::Tensor s0 = torch::randn({5, c0, reduce_s0 ? 2 * size : size, reduce_s0 ? 2 * size : size});
  const torch::Tensor s1 = torch::randn({5, c1, size, size});
  const NagCellPath path = nag_cell_path(dag);
  const torch::Tensor got = ws->forward(s0, s1, path, 1.0);
  const torch::Tensor concat = alone.forward(s0, s1, 1.0);
  ASSERT_EQ(concat.size(1), c * static_cast<int64_t>(path.concat.size()));
  std::vector<torch::Tensor> slices;
  for (int p : path.concat) slices.push_back(ws_params["combine.w_" + std::to_string(p)]);
  torch::Tensor y = torch::conv2d(torch::relu(concat), torch::cat(slices, 1));
  y = torch::batch_norm(y, ws_params["combine.bn.weight"], ws_params["combine.bn.bias"], {}, {},
                        /*training=*/true, 0.1, 1e-5, false);
  ASSERT_EQ(got.sizes(), y.sizes());
  EXPECT_TRUE(torch::allclose(got, y, 1e-4, 1e-4)) << (got - y).abs().max().item<double>();
}

TEST(NagSupernetTest, ACellOfThePathEqualsTheStandaloneCellWithItsWeights) {
  torch::manual_seed(4);
  for (const Arch& arch : test_archs(5)) {
    expect_cell_matches_standalone(arch.cells[0], false, false);
    expect_cell_matches_standalone(arch.cells[0], false, true);
    expect_cell_matches_standalone(arch.cells[1], true, false);
    expect_cell_matches_standalone(arch.cells[1], true, true);
  }
}

// ---- Drop-path, BN mode, sharing --------------------------------------------------------------

TEST(NagSupernetTest, DropPathRampsAndActsInTrainingOnly) {
  torch::manual_seed(6);
  NetworkConfig cfg = config(8, 1, 3, 16);
  cfg.drop_path_keep = 0.5;
  NagSupernet net(cfg);
  EXPECT_DOUBLE_EQ(net->keep_probability(4), 1.0);  // progress 0
  net->set_progress(0.5);
  EXPECT_NEAR(net->keep_probability(0), 1.0 - 0.5 * 0.2 * 0.5, 1e-12);
  EXPECT_NEAR(net->keep_probability(4), 1.0 - 0.5 * 1.0 * 0.5, 1e-12);
  EXPECT_THROW(net->set_progress(1.5), Error);

  const Arch arch = Space::published("RS-NAG");
  torch::Tensor x = torch::randn({4, 3, 16, 16});
  torch::NoGradGuard g;
  net->train();
  net->set_progress(0.0);
  EXPECT_TRUE(torch::allclose(net->forward(x, arch), net->forward(x, arch)));
  net->set_progress(1.0);
  bool differs = false;
  for (int k = 0; k < 3 && !differs; ++k)
    differs = !torch::allclose(net->forward(x, arch), net->forward(x, arch));
  EXPECT_TRUE(differs);
  // Without op vertices nothing is dropped (the inputs reach the output directly).
  const Arch no_ops = inputs_only_arch();
  EXPECT_TRUE(torch::allclose(net->forward(x, no_ops), net->forward(x, no_ops)));
  // Eval: no drop-path, deterministic, the same function as training at keep 1.
  net->eval();
  const torch::Tensor ev = net->forward(x, arch);
  EXPECT_TRUE(torch::equal(ev, net->forward(x, arch)));
  net->train();
  net->set_progress(0.0);
  EXPECT_TRUE(torch::allclose(ev, net->forward(x, arch), 1e-5, 1e-6));
}

TEST(NagSupernetTest, NormalisesWithBatchStatisticsInEveryMode) {
  torch::manual_seed(7);
  NagSupernet net(config(8, 1, 1, 14));
  const Arch arch = mixed_arch();
  torch::Tensor x = torch::randn({6, 1, 14, 14});
  torch::NoGradGuard g;
  for (int k = 0; k < 3; ++k) net->forward(torch::randn({6, 1, 14, 14}) * 3 + 1, arch);
  const torch::Tensor train_out = net->forward(x, arch);
  net->eval();
  for (const auto& m : net->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      EXPECT_TRUE(bn->is_training());
    }
  const torch::Tensor eval_out = net->forward(x, arch);
  EXPECT_TRUE(torch::allclose(train_out, eval_out, 1e-5, 1e-6));
  EXPECT_FALSE(
      torch::allclose(eval_out.slice(0, 0, 3), net->forward(x.slice(0, 0, 3), arch), 1e-4, 1e-5));
}

TEST(NagSupernetTest, ArchsShareWeightsBySlotAndOp) {
  torch::manual_seed(8);
  NagSupernet net(config(8, 1, 1, 14));
  torch::Tensor x = torch::randn({4, 1, 14, 14});
  torch::NoGradGuard g;
  // Two archs that differ only in the op of normal vertex 2 compute different functions; the
  // one whose vertex 2 is sep3 changes when cell0.v2.sep3 changes, the other does not.
  Arch a = mixed_arch(), b = mixed_arch();
  b.cells[0].ops[2] = Space::kSepConv5x5;
  const torch::Tensor ya = net->forward(x, a), yb = net->forward(x, b);
  EXPECT_FALSE(torch::allclose(ya, yb));
  net->named_parameters()["cell0.v2.sep3.pw1_0"].mul_(2.0);
  EXPECT_FALSE(torch::allclose(ya, net->forward(x, a)));
  EXPECT_TRUE(torch::equal(yb, net->forward(x, b)));
}

// ---- Errors ---------------------------------------------------------------------------------

TEST(NagSupernetTest, RejectsOtherArchsAndBadConfigs) {
  NetworkConfig imagenet = config(8, 1);
  imagenet.imagenet = true;
  EXPECT_THROW(NagSupernet{imagenet}, Error);
  EXPECT_THROW(NagSupernet{config(7, 1)}, Error);
  EXPECT_THROW(NagSupernet{config(8, 0)}, Error);

  NagSupernet net(config(8, 1));
  torch::Tensor x = torch::randn({2, 3, 16, 16});
  EXPECT_THROW(net->forward(x, NaoCellSpace(NaoCellSpace::OpSet::Five).parse(NaoCellSpace::naonet_b())),
               Error);
  // A dead op vertex (no path to the output) is not canonical.
  Arch dead = mixed_arch();
  CellDag cell = make_cell({Space::kSepConv3x3, Space::kMaxPool}, {{0, 2}, {0, 3}, {2, 4}, {1, 4}});
  dead.cells[0] = cell;
  EXPECT_THROW(net->forward(x, dead), Error);
  EXPECT_NO_THROW(net->forward(x, Arch{{Space::canonical_cell(cell), mixed_arch().cells[1]}}));
  // Hand-made paths are checked against the slots.
  NagSupernetPath path = nag_supernet_path(mixed_arch());
  NagSupernetPath bad = path;
  bad.cells[1].vertices[1].preds = {1, 3};  // v3 reading itself
  EXPECT_THROW(net->forward(x, bad), Error);
  bad = path;
  bad.cells[0].concat = {};
  EXPECT_THROW(net->forward(x, bad), Error);
  bad = path;
  bad.cells[0].vertices[0].op = Space::kOutput;
  EXPECT_THROW(net->forward(x, bad), Error);
  EXPECT_THROW(net->forward(torch::randn({2, 1, 16, 16}), path), Error);
  EXPECT_THROW(net->forward(torch::randn({3, 16, 16}), path), Error);
}

}  // namespace
}  // namespace nas
