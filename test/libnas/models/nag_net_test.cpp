#include "libnas/models/nag_net.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "libnas/spaces/nag_cell.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

int64_t main_params(torch::nn::Module& net) {
  int64_t n = 0;
  for (const auto& p : net.named_parameters())
    if (p.key().rfind("auxiliary", 0) != 0) n += p.value().numel();
  return n;
}

NetworkConfig config(int64_t channels, int64_t layers, int64_t classes = 10) {
  NetworkConfig cfg;
  cfg.channels = channels;
  cfg.layers = layers;
  cfg.num_classes = classes;
  return cfg;
}

int64_t published_params(const std::string& name, const NetworkConfig& cfg) {
  NagCellSpace space;
  auto net = build_nag_network(space, NagCellSpace::published(name), cfg);
  return main_params(*net);
}

// The NAG spec's per-component rules (SepConv(C, k) = 2 (k^2 C + C^2 + 2C), FactorizedReduce
// and ReLU-conv1x1-BN = Cin C + 2C, pools and identity 0, classifier C_last classes + classes)
// applied to the cell rules of the stand-alone child, CIFAR stem.
int64_t analytic_params(const Arch& arch, const NetworkConfig& cfg) {
  const int64_t c = cfg.channels;
  int64_t total = cfg.in_channels * 9 * 3 * c + 2 * 3 * c;
  int64_t c0 = 3 * c, c1 = 3 * c, width = c;
  bool reduce_s0 = false;
  auto proj = [](int64_t in, int64_t out) { return in * out + 2 * out; };
  const int n = static_cast<int>(cfg.layers);
  for (int i = 0; i < 3 * n + 2; ++i) {
    const bool red = i == n || i == 2 * n + 1;
    if (red) width *= 2;
    const int64_t w = width;
    if (reduce_s0 || c0 != w) total += proj(c0, w);
    if (c1 != w) total += proj(c1, w);
    const CellDag& dag = arch.cells[red ? 1 : 0];
    const int v_out = dag.num_nodes() - 1;
    for (int v = 2; v < v_out; ++v) {
      const std::vector<int> preds = dag.preds(v);
      int inputs = 0;
      for (int p : preds) inputs += p < 2;
      const bool only_inputs = inputs == static_cast<int>(preds.size());
      if (red && !only_inputs) total += inputs * proj(w, w);
      switch (dag.ops[v]) {
        case NagCellSpace::kSepConv3x3: total += 2 * (9 * w + w * w + 2 * w); break;
        case NagCellSpace::kSepConv5x5: total += 2 * (25 * w + w * w + 2 * w); break;
        case NagCellSpace::kIdentity:
          if (red && only_inputs) total += proj(w, w);
          break;
        default: break;
      }
    }
    const std::vector<int> concat = dag.preds(v_out);
    if (red)
      for (int p : concat) total += p < 2 ? proj(w, w) : 0;
    c0 = c1;
    c1 = w * static_cast<int64_t>(concat.size());
    reduce_s0 = red;
  }
  return total + c1 * cfg.num_classes + cfg.num_classes;
}

TEST(NagNetTest, PublishedGenotypeParameterCounts) {
  const NetworkConfig c10 = config(36, 6);
  const int64_t high = published_params("RS-NAG", c10);
  EXPECT_NEAR(high / 1e6, 4.27, 0.005) << high;
  EXPECT_NEAR(published_params("RS-NAG", config(36, 6, 100)) / 1e6, 4.35, 0.005);
  const int64_t e1 = published_params("RS-NAG-E1", c10);
  const int64_t e2 = published_params("RS-NAG-E2", c10);
  const int64_t e3 = published_params("RS-NAG-E3", c10);
  EXPECT_NEAR(e1 / 1e6, 1.24, 0.005) << e1;
  EXPECT_NEAR(e2 / 1e6, 1.09, 0.005) << e2;
  EXPECT_NEAR(e3 / 1e6, 2.21, 0.005) << e3;
  EXPECT_NEAR((e1 + e2 + e3) / 1e6, 4.54, 0.005);
  NetworkConfig in = config(48, 4, 1000);
  in.imagenet = true;
  in.image_size = 224;
  EXPECT_NEAR(published_params("RS-NAG", in) / 1e6, 6.28, 0.005);
  in.channels = 42;
  EXPECT_NEAR(published_params("RS-NAG", in) / 1e6, 4.97, 0.005);
}

TEST(NagNetTest, ParameterCountFollowsComponentRules) {
  NagCellSpace space;
  Rng rng(4);
  std::vector<Arch> archs;
  for (const auto& name : NagCellSpace::published_names())
    archs.push_back(NagCellSpace::published(name));
  for (int k = 0; k < 20; ++k) archs.push_back(space.sample(rng));
  for (const Arch& arch : archs) {
    for (const NetworkConfig& cfg : {config(36, 6), config(10, 2, 100)}) {
      auto net = build_nag_network(space, arch, cfg);
      EXPECT_EQ(main_params(*net), analytic_params(arch, cfg)) << space.format(arch);
    }
  }
}

TEST(NagNetTest, CellOutputsConcatenateInEdgesAndReduce) {
  NagCellSpace space;
  auto net = build_nag_network(space, NagCellSpace::published("RS-NAG"), config(8, 1));
  auto* cn = dynamic_cast<CellNetworkImpl*>(net.get());
  ASSERT_NE(cn, nullptr);
  // Normal cell: 6 tensors into the output; reduction cell: 5.
  const std::vector<std::vector<int64_t>> expect = {
      {48, 32, 32}, {80, 16, 16}, {96, 16, 16}, {160, 8, 8}, {192, 8, 8}};
  net->eval();
  torch::NoGradGuard g;
  EXPECT_EQ(cn->trace(torch::randn({1, 3, 32, 32})), expect);
  for (size_t i = 0; i < expect.size(); ++i)
    EXPECT_EQ(cn->cell_info()[i].out_channels, expect[i][0]) << i;
  // Reduction-cell stride rule: v2 and v4 read only inputs (stride-2 ops, no pre-reduction);
  // v3 mixes inputs with v2, so both inputs are reduced first; inputs wired to the output too.
  std::vector<std::string> names;
  for (const auto& m : cn->named_modules("", false)) names.push_back(m.key());
  auto has = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  EXPECT_TRUE(has("cell1.v3_reduce_in0"));
  EXPECT_TRUE(has("cell1.v3_reduce_in1"));
  EXPECT_FALSE(has("cell1.v2_reduce_in0"));
  EXPECT_FALSE(has("cell1.v4_reduce_in1"));
  EXPECT_TRUE(has("cell1.out_reduce_in0"));
  EXPECT_TRUE(has("cell1.out_reduce_in1"));
  EXPECT_FALSE(has("cell0.out_reduce_in0"));
}

TEST(NagNetTest, DropPathSparesIdentityVerticesOnly) {
  torch::manual_seed(7);
  // input1 -> v2 (identity) -> output and input1 -> v3 (max pool) -> output.
  CellDag dag(5);
  dag.ops = {NagCellSpace::kInput0, NagCellSpace::kInput1, NagCellSpace::kIdentity,
             NagCellSpace::kMaxPool, NagCellSpace::kOutput};
  dag.set_edge(1, 2);
  dag.set_edge(1, 3);
  dag.set_edge(2, 4);
  dag.set_edge(3, 4);
  CellSlot slot;
  slot.total = 1;
  slot.c0 = slot.c1 = slot.channels = 4;
  auto cell = std::make_shared<NagCellImpl>(dag, slot);
  EXPECT_EQ(cell->out_channels(), 8);
  cell->train();
  torch::NoGradGuard g;
  torch::Tensor s = torch::ones({64, 4, 6, 6});
  torch::Tensor y = cell->forward(s, s, 0.5);
  EXPECT_TRUE(torch::equal(y.slice(1, 0, 4), s));  // identity: never dropped
  torch::Tensor pooled = y.slice(1, 4, 8);
  int dropped = 0;
  for (int64_t b = 0; b < 64; ++b) {
    const double v = pooled[b].max().item<double>();
    EXPECT_EQ(v, pooled[b].min().item<double>());
    EXPECT_TRUE(v == 0.0 || v == 2.0) << v;
    dropped += v == 0.0;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 64);
  cell->eval();
  EXPECT_TRUE(torch::equal(cell->forward(s, s, 0.5).slice(1, 4, 8), s));
}

struct Variant {
  const char* name;
  int64_t in_channels;
  int64_t size;
  bool imagenet;
};

TEST(NagNetTest, ForwardBackwardEveryVariant) {
  torch::manual_seed(3);
  NagCellSpace space;
  Rng rng(8);
  std::vector<Arch> archs = {NagCellSpace::published("RS-NAG"),
                             NagCellSpace::published("RS-NAG-E1")};
  for (int k = 0; k < 3; ++k) archs.push_back(space.sample(rng));
  const Variant variants[] = {
      {"cifar", 3, 32, false}, {"imagenet", 3, 64, true}, {"fashion-mnist", 1, 28, false}};
  for (const Arch& arch : archs) {
    for (const Variant& v : variants) {
      SCOPED_TRACE(space.format(arch) + " / " + v.name);
      NetworkConfig cfg = config(8, 1);
      cfg.in_channels = v.in_channels;
      cfg.image_size = v.size;
      cfg.imagenet = v.imagenet;
      cfg.auxiliary = true;
      cfg.drop_path_keep = 0.8;
      auto net = build_nag_network(space, arch, cfg);
      net->train();
      net->set_progress(1.0);
      torch::Tensor x = torch::randn({2, v.in_channels, v.size, v.size});
      NetworkOutput out = net->forward(x);
      ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
      ASSERT_TRUE(out.aux.defined());
      torch::Tensor target = torch::tensor({0, 3}, torch::kLong);
      torch::Tensor loss = torch::nn::functional::cross_entropy(out.logits, target) +
                           0.4 * torch::nn::functional::cross_entropy(out.aux, target);
      loss.backward();
      ASSERT_TRUE(std::isfinite(loss.item<double>()));
      for (const auto& p : net->named_parameters())
        ASSERT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
      net->eval();
      torch::NoGradGuard g;
      NetworkOutput ev = net->forward(x);
      EXPECT_FALSE(ev.aux.defined());
      EXPECT_TRUE(torch::isfinite(ev.logits).all().item<bool>());
    }
  }
}

TEST(NagNetTest, RejectsOtherSpacesAndInvalidArchs) {
  NagCellSpace space;
  auto nao = make_space("nao");
  EXPECT_THROW(build_nag_network(*nao, nao->parse(NaoCellSpace::naonet_b()), config(8, 1)),
               Error);
  // A dead op vertex (no predecessor) is not a valid nag arch.
  Arch arch = NagCellSpace::published("RS-NAG");
  arch.cells[0].set_edge(0, 2, false);
  arch.cells[0].set_edge(1, 2, false);
  EXPECT_THROW(build_nag_network(space, arch, config(8, 1)), Error);
  EXPECT_THROW(build_nag_network(space, NagCellSpace::published("RS-NAG"), config(9, 1)), Error);
}

}  // namespace
}  // namespace nas
