#include "libnas/models/nao_supernet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "libnas/models/flops.h"
#include "libnas/spaces/darts.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

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

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

int64_t count_params_under(torch::nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& p : m.named_parameters())
    if (p.key().rfind(prefix, 0) == 0) n += p.value().numel();
  return n;
}

std::vector<int> ints_of(const std::string& text) {
  NaoCellSpace space(NaoCellSpace::OpSet::Five);
  return space.to_ints(space.parse(text));
}

const NaoCellSpace& five() {
  static const NaoCellSpace space(NaoCellSpace::OpSet::Five);
  return space;
}

// ---- Parameter count ------------------------------------------------------------------------

// The per-cell parts of the count at width c (B = 5 nodes, node j reading j + 2 states):
//   nodes    per node, side and input index one sep3 (2*9c + 2c^2 + 4c) and one sep5
//            (2*25c + 2c^2 + 4c): 2 sides * (4c^2 + 76c) * (2+3+4+5+6 = 20) = 160c^2 + 3040c;
//   combine  7 slices c*c + BN 2c;
//   reduction cells also: 5 nodes * 4 identity reduces (x and y, inputs 0 and 1) plus
//            reduce_s0 and reduce_s1, each FactorizedReduce(c -> c) = c^2 + 2c: 22 (c^2 + 2c).
int64_t cell_params(int64_t c, bool reduction) {
  return 160 * c * c + 3040 * c + 7 * c * c + 2 * c + (reduction ? 22 * (c * c + 2 * c) : 0);
}

TEST(NaoSupernetTest, ParameterCountMatchesReference) {
  // N = 3, C = 20, CIFAR-10: the NAO-WS search supernet, 7.387 M in the reference.
  NaoSupernet net(config(20, 3));
  const int64_t total = count_params(*net);
  // 7,387,350 =
  //     1,740  stem (conv 3*9*60 + BN 120)
  //  + 16,440  calibration: cell 0 s0, s1 and cell 1 s0 ReLU-conv1x1-BN 60->20 (1,240 each),
  //            cell 3 s0, s1 20->40 (880 each), cell 4 s0 FactorizedReduce 20->40 (880),
  //            cell 7 s0, s1 40->80 (3,360 each), cell 8 s0 FactorizedReduce 40->80 (3,360)
  //  + 7,368,360  cells: 3 x 127,640 (C = 20) + 425,840 (reduction, 40) + 3 x 388,880 (40)
  //            + 1,456,480 (reduction, 80) + 3 x 1,312,160 (80)
  //  + 810     classifier 80 -> 10.
  EXPECT_EQ(total, 7387350);
  EXPECT_NEAR(total / 1e6, 7.387, 0.0005);
  EXPECT_EQ(count_params_under(*net, "stem_"), 1740);
  EXPECT_EQ(count_params_under(*net, "classifier."), 810);
  int64_t calibration = 0;
  for (int i = 0; i < 11; ++i) {
    const std::string cell = "cell" + std::to_string(i) + ".";
    const int64_t width = i < 3 ? 20 : i < 7 ? 40 : 80;
    const bool reduction = i == 3 || i == 7;
    const int64_t calib = count_params_under(*net, cell + "calibrate.");
    EXPECT_EQ(count_params_under(*net, cell) - calib, cell_params(width, reduction)) << cell;
    // Normal cells after normal cells need no calibration: every cell outputs its width.
    if (i == 2 || i == 5 || i == 6 || i == 9 || i == 10) {
      EXPECT_EQ(calib, 0) << cell;
    }
    calibration += calib;
  }
  EXPECT_EQ(calibration, 16440);
  // The y side has its own identity reduces, as many as the x side.
  EXPECT_EQ(count_params_under(*net, "cell3.node0.x_reduce0."),
            count_params_under(*net, "cell3.node0.y_reduce0."));
  EXPECT_EQ(count_params_under(*net, "cell3.node4.y_reduce1."), 40 * 40 + 80);
}

// ---- Shapes ---------------------------------------------------------------------------------

struct Variant {
  const char* name;
  int64_t in_channels;
  int64_t size;
  std::vector<int64_t> sizes;  // per stage
};

TEST(NaoSupernetTest, OutputShapesNaonetBAndSampledArchs) {
  torch::manual_seed(1);
  const std::vector<Variant> variants = {{"cifar", 3, 32, {32, 16, 8}},
                                         {"fashion-mnist", 1, 28, {28, 14, 7}}};
  Rng rng(3);
  std::vector<std::vector<int>> archs = {ints_of(NaoCellSpace::naonet_b()),
                                         ints_of(NaoCellSpace::naonet_ws())};
  for (int k = 0; k < 4; ++k) archs.push_back(five().to_ints(five().sample(rng)));
  for (const Variant& v : variants) {
    NetworkConfig cfg = config(8, 1, v.in_channels, v.size);
    cfg.drop_path_keep = 0.8;
    cfg.dropout = 0.1;
    NaoSupernet net(cfg);
    net->set_progress(0.5);
    ASSERT_EQ(net->num_cells(), 5);
    for (const auto& arch : archs) {
      SCOPED_TRACE(std::string(v.name) + " " + five().format(five().from_ints(arch)));
      torch::Tensor x = torch::randn({3, v.in_channels, v.size, v.size});
      net->train();
      torch::Tensor y = net->forward(x, arch);
      ASSERT_EQ(y.sizes(), (std::vector<int64_t>{3, 10}));
      EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
      net->eval();
      torch::NoGradGuard g;
      const auto shapes = net->trace(x, arch);
      ASSERT_EQ(shapes.size(), 5u);
      // Cells 0 (C), 1 (reduction, 2C), 2 (2C), 3 (reduction, 4C), 4 (4C): each outputs its width.
      EXPECT_EQ(shapes[0], (std::vector<int64_t>{8, v.sizes[0], v.sizes[0]}));
      EXPECT_EQ(shapes[1], (std::vector<int64_t>{16, v.sizes[1], v.sizes[1]}));
      EXPECT_EQ(shapes[2], (std::vector<int64_t>{16, v.sizes[1], v.sizes[1]}));
      EXPECT_EQ(shapes[3], (std::vector<int64_t>{32, v.sizes[2], v.sizes[2]}));
      EXPECT_EQ(shapes[4], (std::vector<int64_t>{32, v.sizes[2], v.sizes[2]}));
      EXPECT_EQ(net->forward(x, arch).sizes(), (std::vector<int64_t>{3, 10}));
    }
  }
}

TEST(NaoSupernetTest, ArchAndIntsGiveTheSameNetwork) {
  torch::manual_seed(2);
  NaoSupernet net(config(8, 1));
  net->eval();
  torch::NoGradGuard g;
  torch::Tensor x = torch::randn({4, 3, 16, 16});
  const Arch arch = five().parse(NaoCellSpace::naonet_b());
  EXPECT_TRUE(torch::equal(net->forward(x, arch), net->forward(x, five().to_ints(arch))));
  // Different paths give different functions.
  EXPECT_FALSE(
      torch::allclose(net->forward(x, arch), net->forward(x, ints_of(NaoCellSpace::naonet_ws()))));
}

// ---- Only the path's weights take part ------------------------------------------------------

// Names of the parameters the path of `ints` reads in a supernet of N = 1 (cells 0..4,
// reductions at 1 and 3); see the naming in nao_supernet.h.
std::set<std::string> path_params(NaoSupernetImpl& net, const std::vector<int>& ints) {
  std::vector<std::string> prefixes = {"stem_", "classifier."};
  std::set<std::string> exact;
  for (int i = 0; i < 5; ++i) {
    const bool reduction = i == 1 || i == 3;
    const int* a = ints.data() + (reduction ? 20 : 0);
    const std::string cell = "cell" + std::to_string(i) + ".";
    prefixes.push_back(cell + "calibrate.");
    prefixes.push_back(cell + "combine.bn.");
    std::vector<bool> used(7, false);
    for (int j = 0; j < 5; ++j)
      for (int side = 0; side < 2; ++side) {
        const int input = a[4 * j + 2 * side], op = a[4 * j + 2 * side + 1];
        used[input] = true;
        const std::string branch =
            cell + "node" + std::to_string(j) + "." + (side == 0 ? "x" : "y");
        const std::string k = std::to_string(input);
        if (op == 0 || op == 1) {
          const std::string sep = branch + (op == 0 ? "_sep3." : "_sep5.");
          for (const char* w : {"dw1_", "pw1_", "dw2_", "pw2_", "bn1.weight_", "bn1.bias_",
                                "bn2.weight_", "bn2.bias_"})
            exact.insert(sep + w + k);
        } else if (op == 4 && reduction && input < 2) {
          prefixes.push_back(branch + "_reduce" + k + ".");
        }
      }
    for (int s = 0; s < 7; ++s) {
      if (used[s]) continue;
      exact.insert(cell + "combine.w_" + std::to_string(s));
      if (reduction && s < 2) prefixes.push_back(cell + "reduce_s" + std::to_string(s) + ".");
    }
  }
  std::set<std::string> names;
  for (const auto& p : net.named_parameters()) {
    const std::string& key = p.key();
    bool on = exact.count(key) > 0;
    for (const auto& pre : prefixes) on = on || key.rfind(pre, 0) == 0;
    if (on) names.insert(key);
  }
  return names;
}

void expect_gradients_on_path_only(NaoSupernetImpl& net, const std::vector<int>& ints,
                                   const torch::Tensor& x) {
  SCOPED_TRACE(five().format(five().from_ints(ints)));
  net.zero_grad();
  for (auto& p : net.parameters()) p.mutable_grad() = torch::Tensor();
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      net.forward(x, ints), torch::arange(x.size(0), torch::kLong) % 10);
  loss.backward();
  const std::set<std::string> expected = path_params(net, ints);
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

TEST(NaoSupernetTest, OnlyThePathsWeightsGetGradients) {
  torch::manual_seed(3);
  NetworkConfig cfg = config(8, 1, 1, 28);
  cfg.drop_path_keep = 0.7;
  NaoSupernet net(cfg);
  net->train();
  net->set_progress(1.0);  // drop-path on: dropped samples still leave the weights in the graph
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  Rng rng(5);
  expect_gradients_on_path_only(*net, ints_of(NaoCellSpace::naonet_b()), x);
  for (int k = 0; k < 3; ++k)
    expect_gradients_on_path_only(*net, five().to_ints(five().sample(rng)), x);

  // Spelled out for NAONet-B: normal node 0 is sep5(s0) + avg3(s0), so the x side's sep5 of
  // input 0 learns while its sep5 of input 1, its sep3 and the whole y side's sep convs do not.
  expect_gradients_on_path_only(*net, ints_of(NaoCellSpace::naonet_b()), x);
  auto params = net->named_parameters();
  EXPECT_TRUE(params["cell0.node0.x_sep5.dw1_0"].grad().defined());
  EXPECT_TRUE(params["cell0.node0.x_sep5.bn2.weight_0"].grad().defined());
  EXPECT_FALSE(params["cell0.node0.x_sep5.dw1_1"].grad().defined());
  EXPECT_FALSE(params["cell0.node0.x_sep5.bn2.weight_1"].grad().defined());
  EXPECT_FALSE(params["cell0.node0.x_sep3.pw1_0"].grad().defined());
  EXPECT_FALSE(params["cell0.node0.y_sep5.pw1_0"].grad().defined());
  // Its normal cell concatenates n1, n3, n4 (states 3, 5, 6).
  EXPECT_TRUE(params["cell0.combine.w_3"].grad().defined());
  EXPECT_FALSE(params["cell0.combine.w_2"].grad().defined());
}

TEST(NaoSupernetTest, YSideIdentityUsesItsOwnReduce) {
  torch::manual_seed(4);
  NaoSupernet net(config(8, 1, 3, 16));
  // Reduction node 0 = sep3(s0) + identity(s0): the y side reduces s0 with y_reduce0.
  std::vector<int> ints = ints_of(NaoCellSpace::naonet_b());
  ints[20] = 0;
  ints[21] = 0;
  ints[22] = 0;
  ints[23] = 4;
  expect_gradients_on_path_only(*net, ints, torch::randn({2, 3, 16, 16}));
  auto params = net->named_parameters();
  EXPECT_TRUE(params["cell1.node0.y_reduce0.conv1.weight"].grad().defined());
  EXPECT_FALSE(params["cell1.node0.x_reduce0.conv1.weight"].grad().defined());
  EXPECT_FALSE(params["cell1.node0.y_reduce1.conv1.weight"].grad().defined());
}

// ---- Training ---------------------------------------------------------------------------------

TEST(NaoSupernetTest, StepsOnTwoArchsShareTheStem) {
  torch::manual_seed(5);
  NaoSupernet net(config(8, 1, 1, 14));
  net->train();
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1));
  torch::Tensor x = torch::randn({8, 1, 14, 14});
  torch::Tensor target = torch::arange(8, torch::kLong);
  auto params = net->named_parameters();
  const torch::Tensor stem = params["stem_conv.weight"];
  // Arch a (NAONet-B) starts its normal node 0 with sep5(s0), arch b (otherwise the same) with
  // sep3(s0): each of the two weights lies on one path only.
  const torch::Tensor a_only = params["cell0.node0.x_sep5.dw1_0"];
  const torch::Tensor b_only = params["cell0.node0.x_sep3.dw1_0"];
  const std::vector<int> a = ints_of(NaoCellSpace::naonet_b());
  std::vector<int> b = a;
  ASSERT_EQ(a[0], 0);
  ASSERT_EQ(a[1], 1);
  b[1] = 0;

  auto step = [&](const std::vector<int>& arch) {
    opt.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x, arch), target).backward();
    opt.step();
  };
  torch::Tensor stem0 = stem.clone(), a0 = a_only.clone(), b0 = b_only.clone();
  step(a);
  EXPECT_FALSE(torch::equal(stem, stem0));
  EXPECT_FALSE(torch::equal(a_only, a0));
  EXPECT_TRUE(torch::equal(b_only, b0));  // off the path: no gradient, no step
  torch::Tensor stem1 = stem.clone(), a1 = a_only.clone();
  step(b);
  EXPECT_FALSE(torch::equal(stem, stem1));
  EXPECT_FALSE(torch::equal(b_only, b0));
  // Off b's path a's weight has no gradient from this step (zero_grad left it zero or
  // undefined), so plain SGD leaves it where step(a) put it.
  EXPECT_TRUE(torch::equal(a_only, a1));
}

// ---- Drop-path and BN mode --------------------------------------------------------------------

TEST(NaoSupernetTest, DropPathRampsAndActsInTrainingOnly) {
  torch::manual_seed(6);
  NetworkConfig cfg = config(8, 1, 3, 16);
  cfg.drop_path_keep = 0.5;
  NaoSupernet net(cfg);
  EXPECT_DOUBLE_EQ(net->keep_probability(4), 1.0);  // progress 0
  net->set_progress(0.5);
  // 1 - p * ((i + 1) / L) * (1 - kp), L = 5.
  EXPECT_NEAR(net->keep_probability(0), 1.0 - 0.5 * 0.2 * 0.5, 1e-12);
  EXPECT_NEAR(net->keep_probability(4), 1.0 - 0.5 * 1.0 * 0.5, 1e-12);
  EXPECT_THROW(net->set_progress(1.5), Error);
  EXPECT_THROW(net->set_progress(-0.1), Error);

  const std::vector<int> arch = ints_of(NaoCellSpace::naonet_b());
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
  // Eval (scoring): no drop-path, deterministic, and the same function as training at keep 1.
  net->eval();
  const torch::Tensor ev = net->forward(x, arch);
  EXPECT_TRUE(torch::equal(ev, net->forward(x, arch)));
  net->train();
  net->set_progress(0.0);
  EXPECT_TRUE(torch::allclose(ev, net->forward(x, arch), 1e-5, 1e-6));
}

TEST(NaoSupernetTest, NormalisesWithBatchStatisticsInEveryMode) {
  torch::manual_seed(7);
  NaoSupernet net(config(8, 1, 1, 14));
  const std::vector<int> arch = ints_of(NaoCellSpace::naonet_b());
  torch::Tensor x = torch::randn({6, 1, 14, 14});
  torch::NoGradGuard g;
  // Running statistics drift from their initial 0 / 1 (they are kept, not used).
  for (int k = 0; k < 3; ++k) net->forward(torch::randn({6, 1, 14, 14}) * 3 + 1, arch);
  const torch::Tensor train_out = net->forward(x, arch);
  net->eval();
  EXPECT_FALSE(net->is_training());
  for (const auto& m : net->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      EXPECT_TRUE(bn->is_training());
    }
  const torch::Tensor eval_out = net->forward(x, arch);
  EXPECT_TRUE(torch::allclose(train_out, eval_out, 1e-5, 1e-6));
  // A sample's logits depend on the rest of its batch.
  EXPECT_FALSE(
      torch::allclose(eval_out.slice(0, 0, 3), net->forward(x.slice(0, 0, 3), arch), 1e-4, 1e-5));
}

TEST(NaoSupernetTest, WSBatchNormHasPerInputAffineAndSharedStatistics) {
  torch::manual_seed(8);
  WSBatchNorm bn(3, 4);
  {
    torch::NoGradGuard g;
    bn->named_parameters()["weight_1"].fill_(2.0);
    bn->named_parameters()["bias_1"].fill_(0.5);
  }
  torch::Tensor x = torch::randn({8, 4, 3, 3}) * 2 + 3;
  const torch::Tensor y0 = bn->forward(x, 0);
  const torch::Tensor y1 = bn->forward(x, 1);
  EXPECT_TRUE(torch::allclose(y1, 2 * y0 + 0.5, 1e-5, 1e-5));
  EXPECT_NEAR(y0.mean().item<double>(), 0.0, 1e-5);
  // Both calls updated the one shared running mean: 0 -> 0.1 m -> 0.19 m.
  const torch::Tensor mean = x.mean({0, 2, 3});
  EXPECT_TRUE(torch::allclose(bn->named_buffers()["running_mean"], 0.19 * mean, 1e-4, 1e-5));
  EXPECT_EQ(bn->named_buffers().size(), 2u);
  EXPECT_EQ(count_params(*bn), 3 * 2 * 4);
}

TEST(NaoSupernetTest, CountsFlopsOfThePathOnly) {
  NaoSupernet net(config(8, 1));
  net->eval();
  torch::NoGradGuard g;
  std::vector<int> pools = ints_of(NaoCellSpace::naonet_b());
  std::vector<int> seps = pools;
  for (size_t p = 1; p < pools.size(); p += 2) {
    pools[p] = 3;
    seps[p] = 1;
  }
  auto flops = [&](const std::vector<int>& arch) {
    FlopScope scope;
    net->forward(torch::randn({2, 3, 32, 32}), arch);
    return scope.total();
  };
  const double stem = 32.0 * 32 * 9 * 3 * 24;
  EXPECT_GT(flops(pools), stem);
  EXPECT_GT(flops(seps), flops(pools) + stem);
}

// ---- Errors ---------------------------------------------------------------------------------

TEST(NaoSupernetTest, RejectsWrongSpaceArchsAndBadConfigs) {
  NetworkConfig aux = config(8, 1);
  aux.auxiliary = true;
  EXPECT_THROW(NaoSupernet{aux}, Error);
  NetworkConfig imagenet = config(8, 1);
  imagenet.imagenet = true;
  EXPECT_THROW(NaoSupernet{imagenet}, Error);
  EXPECT_THROW(NaoSupernet{config(7, 1)}, Error);
  EXPECT_THROW(NaoSupernet{config(8, 0)}, Error);

  NaoSupernet net(config(8, 1));
  torch::Tensor x = torch::randn({2, 3, 16, 16});
  // An arch of the 11-op space, of DARTS, of NB201.
  auto nao11 = make_space("nao-11");
  EXPECT_THROW(net->forward(x, nao11->parse(NaoCellSpace::naonet_a())), Error);
  EXPECT_THROW(net->forward(x, make_space("darts")->parse(DartsSpace::darts_v2())), Error);
  Rng rng(1);
  EXPECT_THROW(net->forward(x, make_space("nb201")->sample(rng)), Error);
  // Bad integer lists and inputs.
  std::vector<int> ints = ints_of(NaoCellSpace::naonet_b());
  EXPECT_THROW(net->forward(x, std::vector<int>(ints.begin(), ints.end() - 1)), Error);
  std::vector<int> bad = ints;
  bad[1] = 5;  // op id of the 11-op set
  EXPECT_THROW(net->forward(x, bad), Error);
  bad = ints;
  bad[0] = 2;  // node 0 reads only s0, s1
  EXPECT_THROW(net->forward(x, bad), Error);
  EXPECT_THROW(net->forward(torch::randn({2, 1, 16, 16}), ints), Error);
  EXPECT_THROW(net->forward(torch::randn({3, 16, 16}), ints), Error);
}

}  // namespace
}  // namespace nas
