#include "libnas/models/nasnet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "libnas/models/flops.h"
#include "libnas/spaces/darts.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

struct Counts {
  int64_t main = 0;
  int64_t aux = 0;
};

Counts count_params(torch::nn::Module& net) {
  Counts c;
  for (const auto& p : net.named_parameters()) {
    (p.key().rfind("auxiliary", 0) == 0 ? c.aux : c.main) += p.value().numel();
  }
  return c;
}

NetworkConfig config(int64_t channels, int64_t layers, int64_t classes = 10, bool aux = false) {
  NetworkConfig cfg;
  cfg.channels = channels;
  cfg.layers = layers;
  cfg.num_classes = classes;
  cfg.auxiliary = aux;
  return cfg;
}

std::shared_ptr<NetworkImpl> build(const std::string& space_name, const std::string& arch,
                                   const NetworkConfig& cfg) {
  auto space = make_space(space_name);
  return build_nasnet(*space, space->parse(arch), cfg);
}

CellNetworkImpl& cells_of(const std::shared_ptr<NetworkImpl>& net) {
  auto* c = dynamic_cast<CellNetworkImpl*>(net.get());
  if (c == nullptr) throw std::runtime_error("not a cell network");
  return *c;
}

// ---- Parameter counts (the references' published / verified figures) -----------------------

TEST(NasNetTest, NaonetAParameterCountsMatchReference) {
  auto net = build("nao-11", NaoCellSpace::naonet_a(), config(36, 6, 10, true));
  const Counts c = count_params(*net);
  EXPECT_NEAR(c.main / 1e6, 11.470, 0.001) << c.main;
  EXPECT_NEAR((c.main + c.aux) / 1e6, 11.947, 0.001) << c.main + c.aux;

  auto c100 = build("nao-11", NaoCellSpace::naonet_a(), config(36, 6, 100));
  EXPECT_NEAR(count_params(*c100).main / 1e6, 11.509, 0.001);

  NetworkConfig in = config(42, 4, 1000);
  in.imagenet = true;
  in.image_size = 224;
  auto imagenet = build("nao-11", NaoCellSpace::naonet_a(), in);
  EXPECT_NEAR(count_params(*imagenet).main / 1e6, 11.354, 0.001);
}

TEST(NasNetTest, NaonetBParameterCountsMatchReference) {
  auto net = build("nao", NaoCellSpace::naonet_b(), config(36, 6, 10, true));
  const Counts c = count_params(*net);
  EXPECT_NEAR(c.main / 1e6, 2.921, 0.001) << c.main;
  EXPECT_NEAR((c.main + c.aux) / 1e6, 3.379, 0.001) << c.main + c.aux;
}

TEST(NasNetTest, DartsV2ParameterCountMatchesPaper) {
  auto net = build("darts", DartsSpace::darts_v2(), config(36, 6, 10, true));
  const Counts c = count_params(*net);
  // DARTS reports 3.3 M; this network (the DARTS NetworkCIFAR layout) has exactly 3,349,342.
  EXPECT_EQ(c.main, 3349342);
  EXPECT_NEAR(c.main / 1e6, 3.35, 0.005);
  auto& cn = cells_of(net);
  ASSERT_EQ(cn.cell_info().size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(cn.cell_info()[i].reduction, i == 6 || i == 13) << i;
    EXPECT_EQ(cn.cell_info()[i].out_channels, 4 * cn.cell_info()[i].channels) << i;
  }
  EXPECT_EQ(cn.aux_index(), 13);
}

// ---- Shapes ---------------------------------------------------------------------------------

TEST(NasNetTest, NaonetAShapeTrace) {
  auto net = build("nao-11", NaoCellSpace::naonet_a(), config(36, 6));
  auto& cn = cells_of(net);
  const auto& info = cn.cell_info();
  ASSERT_EQ(info.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    int64_t ch = 0, size = 0;
    if (i < 6) ch = 108, size = 32;
    else if (i == 6) ch = 288, size = 16;
    else if (i < 13) ch = 216, size = 16;
    else if (i == 13) ch = 576, size = 8;
    else ch = 432, size = 8;
    EXPECT_EQ(info[i].out_channels, ch) << "cell " << i;
    EXPECT_EQ(info[i].size, size) << "cell " << i;
  }
  EXPECT_EQ(cn.classifier_in(), 432);
  // A real forward agrees with the plan.
  net->eval();
  torch::NoGradGuard g;
  const auto shapes = cn.trace(torch::randn({1, 3, 32, 32}));
  ASSERT_EQ(shapes.size(), 20u);
  EXPECT_EQ(shapes[0], (std::vector<int64_t>{108, 32, 32}));
  EXPECT_EQ(shapes[6], (std::vector<int64_t>{288, 16, 16}));
  EXPECT_EQ(shapes[13], (std::vector<int64_t>{576, 8, 8}));
  EXPECT_EQ(shapes[19], (std::vector<int64_t>{432, 8, 8}));
}

// ---- Forward / backward on every variant ----------------------------------------------------

struct Variant {
  const char* name;
  int64_t in_channels;
  int64_t size;
  bool imagenet;
};

const Variant kVariants[] = {
    {"cifar", 3, 32, false}, {"imagenet", 3, 64, true}, {"fashion-mnist", 1, 28, false}};

void check_forward_backward(const std::shared_ptr<NetworkImpl>& net, const Variant& v,
                            const std::string& what) {
  SCOPED_TRACE(what + " / " + v.name);
  net->train();
  net->set_progress(0.5);
  torch::Tensor x = torch::randn({2, v.in_channels, v.size, v.size});
  NetworkOutput out = net->forward(x);
  ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
  ASSERT_TRUE(out.aux.defined());
  ASSERT_EQ(out.aux.sizes(), (std::vector<int64_t>{2, 10}));
  torch::Tensor target = torch::tensor({1, 7}, torch::kLong);
  torch::Tensor loss = torch::nn::functional::cross_entropy(out.logits, target) +
                       0.4 * torch::nn::functional::cross_entropy(out.aux, target);
  ASSERT_TRUE(std::isfinite(loss.item<double>()));
  loss.backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
  net->eval();
  torch::NoGradGuard g;
  NetworkOutput ev = net->forward(x);
  EXPECT_EQ(ev.logits.sizes(), (std::vector<int64_t>{2, 10}));
  EXPECT_FALSE(ev.aux.defined());
}

NetworkConfig small_config(const Variant& v) {
  NetworkConfig cfg = config(8, 1, 10, true);
  cfg.in_channels = v.in_channels;
  cfg.image_size = v.size;
  cfg.imagenet = v.imagenet;
  cfg.drop_path_keep = 0.8;
  cfg.dropout = 0.2;
  return cfg;
}

TEST(NasNetTest, ForwardBackwardEverySpaceAndVariant) {
  torch::manual_seed(1);
  const std::vector<std::pair<std::string, std::string>> archs = {
      {"nao-11", NaoCellSpace::naonet_a()},
      {"nao", NaoCellSpace::naonet_b()},
      {"nao", NaoCellSpace::naonet_ws()},
      {"darts", DartsSpace::darts_v2()},
      {"darts", DartsSpace::darts_v1()}};
  for (const auto& [space, arch] : archs)
    for (const Variant& v : kVariants)
      check_forward_backward(build(space, arch, small_config(v)), v, arch);
}

TEST(NasNetTest, ForwardBackwardSampledArchs) {
  torch::manual_seed(2);
  Rng rng(11);
  for (const char* name : {"nao", "nao-11", "darts"}) {
    auto space = make_space(name);
    for (int k = 0; k < 3; ++k) {
      const Arch arch = space->sample(rng);
      const Variant& v = kVariants[k % 3];
      check_forward_backward(build_nasnet(*space, arch, small_config(v)), v,
                             std::string(name) + " " + space->format(arch));
    }
  }
}

TEST(NasNetTest, FashionMnistSizesAndAuxGeometry) {
  const Variant v = kVariants[2];
  auto net = build("nao-11", NaoCellSpace::naonet_a(), small_config(v));
  auto& cn = cells_of(net);
  const auto& info = cn.cell_info();
  ASSERT_EQ(info.size(), 5u);
  EXPECT_EQ(info[0].size, 28);
  EXPECT_EQ(info[1].size, 14);
  EXPECT_EQ(info[3].size, 7);
  // The auxiliary head reads the 7x7 output of cell 2N+1 with the ImageNet geometry (5, 2).
  EXPECT_EQ(cn.aux_index(), 3);
  EXPECT_FALSE(aux_pool_geometry(info[3].size).adaptive);
  EXPECT_EQ(aux_pool_geometry(info[3].size).stride, 2);
}

// ---- Auxiliary head, drop-path, dropout -------------------------------------------------------

TEST(NasNetTest, AuxOutputOnlyInTrainingWithAuxHead) {
  auto with_aux = build("nao", NaoCellSpace::naonet_b(), config(8, 1, 10, true));
  auto without = build("nao", NaoCellSpace::naonet_b(), config(8, 1, 10, false));
  torch::Tensor x = torch::randn({2, 3, 32, 32});
  with_aux->train();
  EXPECT_TRUE(with_aux->forward(x).aux.defined());
  with_aux->eval();
  EXPECT_FALSE(with_aux->forward(x).aux.defined());
  without->train();
  EXPECT_FALSE(without->forward(x).aux.defined());
  EXPECT_EQ(count_params(*without).aux, 0);
  EXPECT_GT(count_params(*with_aux).aux, 0);
  EXPECT_EQ(count_params(*without).main, count_params(*with_aux).main);
  bool named = false;
  for (const auto& m : with_aux->named_children()) named = named || m.key() == "auxiliary_head";
  EXPECT_TRUE(named);
}

TEST(NasNetTest, DropPathKeepProbabilityRamps) {
  NetworkConfig cfg = config(8, 1);
  cfg.drop_path_keep = 0.6;
  auto nao = build("nao", NaoCellSpace::naonet_b(), cfg);
  auto darts = build("darts", DartsSpace::darts_v2(), cfg);
  auto& n = cells_of(nao);
  auto& d = cells_of(darts);
  EXPECT_DOUBLE_EQ(n.keep_probability(4), 1.0);  // progress 0
  nao->set_progress(0.5);
  darts->set_progress(0.5);
  // NAO: 1 - p * ((i + 1) / L) * (1 - kp), L = 5.
  EXPECT_NEAR(n.keep_probability(0), 1.0 - 0.5 * 0.2 * 0.4, 1e-12);
  EXPECT_NEAR(n.keep_probability(4), 1.0 - 0.5 * 1.0 * 0.4, 1e-12);
  // DARTS: 1 - p * (1 - kp) in every cell.
  EXPECT_NEAR(d.keep_probability(0), 0.8, 1e-12);
  EXPECT_NEAR(d.keep_probability(4), 0.8, 1e-12);
  EXPECT_THROW(nao->set_progress(1.5), Error);
  EXPECT_THROW(nao->set_progress(-0.1), Error);
}

TEST(NasNetTest, DropPathActsInTrainingOnly) {
  torch::manual_seed(5);
  NetworkConfig cfg = config(8, 1);
  cfg.drop_path_keep = 0.5;
  auto net = build("nao-11", NaoCellSpace::naonet_a(), cfg);
  torch::Tensor x = torch::randn({4, 3, 16, 16});
  torch::NoGradGuard g;
  // Progress 0: keep 1 everywhere, two training forwards agree (BN uses batch statistics).
  net->train();
  net->set_progress(0.0);
  EXPECT_TRUE(torch::allclose(net->forward(x).logits, net->forward(x).logits));
  // Progress 1: branches are dropped at random, so training forwards differ...
  net->set_progress(1.0);
  bool differs = false;
  for (int k = 0; k < 3 && !differs; ++k)
    differs = !torch::allclose(net->forward(x).logits, net->forward(x).logits);
  EXPECT_TRUE(differs);
  // ... and evaluation is deterministic.
  net->eval();
  EXPECT_TRUE(torch::equal(net->forward(x).logits, net->forward(x).logits));
}

TEST(NasNetTest, CellDropPathDropsWholeSamplesAndSparesDartsIdentity) {
  torch::manual_seed(6);
  // Every node sums two identity branches of s1; the output concatenates s0 and the nodes.
  BranchCellPlan plan;
  for (int j = 0; j < 5; ++j)
    plan.nodes.push_back({BranchOp{1, OpKind::Identity}, BranchOp{1, OpKind::Identity}});
  plan.concat = {0, 2, 3, 4, 5, 6};
  CellSlot slot;
  slot.total = 1;
  slot.c0 = slot.c1 = slot.channels = 4;
  torch::Tensor s0 = torch::ones({64, 4, 5, 5}), s1 = torch::ones({64, 4, 5, 5});
  torch::NoGradGuard g;

  auto nao = std::make_shared<BranchCellImpl>(plan, slot, BranchCellFamily::Nao);
  nao->train();
  torch::Tensor y = nao->forward(s0, s1, 0.5);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{64, 24, 5, 5}));
  EXPECT_TRUE(torch::equal(y.slice(1, 0, 4), s0));  // the cell input is not a branch
  bool some_zero = false, some_kept = false;
  for (int64_t b = 0; b < 64; ++b)
    for (int j = 0; j < 5; ++j) {
      torch::Tensor node = y[b].slice(0, 4 + 4 * j, 8 + 4 * j);
      const double v = node.max().item<double>();
      EXPECT_EQ(v, node.min().item<double>()) << "sample " << b << " node " << j;
      EXPECT_TRUE(v == 0.0 || v == 2.0 || v == 4.0) << v;
      some_zero = some_zero || v == 0.0;
      some_kept = some_kept || v > 0.0;
    }
  EXPECT_TRUE(some_zero);
  EXPECT_TRUE(some_kept);
  nao->eval();
  EXPECT_TRUE(
      torch::equal(nao->forward(s0, s1, 0.5).slice(1, 4), 2 * torch::ones({64, 20, 5, 5})));

  // DARTS spares stride-1 identity (skip_connect) branches.
  auto darts = std::make_shared<BranchCellImpl>(plan, slot, BranchCellFamily::Darts);
  darts->train();
  // DARTS always builds both projections; make them output exactly 1 (conv 0, BN bias 1).
  for (auto& p : darts->named_parameters()) {
    const std::string& k = p.key();
    p.value().fill_(k.size() >= 7 && k.compare(k.size() - 7, 7, "bn.bias") == 0 ? 1.0 : 0.0);
  }
  torch::Tensor yd = darts->forward(s0, s1, 0.5);
  EXPECT_TRUE(torch::equal(yd.slice(1, 4), 2 * torch::ones({64, 20, 5, 5})));
}

TEST(NasNetTest, CountsFlops) {
  auto net = build("darts", DartsSpace::darts_v2(), config(8, 1));
  net->eval();
  torch::NoGradGuard g;
  double flops = 0;
  {
    FlopScope scope;
    net->forward(torch::randn({1, 3, 32, 32}));
    flops = scope.total();
  }
  // At least the stem: 32 * 32 * 9 * 3 * 24.
  EXPECT_GT(flops, 32.0 * 32 * 9 * 3 * 24);
}

// ---- Errors ---------------------------------------------------------------------------------

TEST(NasNetTest, RejectsBadConfigsSpacesAndInputs) {
  auto space = make_space("nao");
  const Arch arch = space->parse(NaoCellSpace::naonet_b());
  EXPECT_THROW(build_nasnet(*space, arch, config(7, 1)), Error);
  EXPECT_THROW(build_nasnet(*space, arch, config(8, 0)), Error);
  NetworkConfig bad = config(8, 1);
  bad.dropout = 1.0;
  EXPECT_THROW(build_nasnet(*space, arch, bad), Error);
  bad = config(8, 1);
  bad.drop_path_keep = 0.0;
  EXPECT_THROW(build_nasnet(*space, arch, bad), Error);
  auto nb201 = make_space("nb201");
  Rng rng(1);
  EXPECT_THROW(build_nasnet(*nb201, nb201->sample(rng), config(8, 1)), Error);
  // A nao-11 arch given to the 5-op space is invalid there.
  auto nao11 = make_space("nao-11");
  EXPECT_THROW(build_nasnet(*space, nao11->parse(NaoCellSpace::naonet_a()), config(8, 1)), Error);
  auto net = build_nasnet(*space, arch, config(8, 1));
  EXPECT_THROW(net->forward(torch::randn({2, 1, 32, 32})), Error);
  EXPECT_THROW(net->forward(torch::randn({3, 32, 32})), Error);
}

// ---- Accelerator ----------------------------------------------------------------------------

TEST(NasNetTest, CudaForwardMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA is not available on this machine";
  torch::manual_seed(9);
  for (const auto& [space, arch] :
       std::vector<std::pair<std::string, std::string>>{{"nao-11", NaoCellSpace::naonet_a()},
                                                        {"darts", DartsSpace::darts_v2()}}) {
    auto net = build(space, arch, config(8, 1));
    net->eval();
    torch::NoGradGuard g;
    torch::Tensor x = torch::randn({2, 3, 32, 32});
    torch::Tensor cpu = net->forward(x).logits;
    net->to(torch::kCUDA);
    torch::Tensor gpu = net->forward(x.to(torch::kCUDA)).logits.cpu();
    EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-4)) << space;
  }
}

}  // namespace
}  // namespace nas
