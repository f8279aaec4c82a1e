#include "libnas/models/nb201_net.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "libnas/bench/csv.h"
#include "libnas/spaces/nb201.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/rng.h"
#include "test_util.h"

namespace nas {
namespace {

// The benchmark's network: C = 16, N = 5, CIFAR input.
NetworkConfig benchmark_config(int64_t num_classes = 10) {
  NetworkConfig cfg;
  cfg.channels = 16;
  cfg.layers = 5;
  cfg.num_classes = num_classes;
  cfg.in_channels = 3;
  cfg.image_size = 32;
  return cfg;
}

NetworkConfig small_config() {
  NetworkConfig cfg = benchmark_config();
  cfg.channels = 8;
  cfg.layers = 1;
  return cfg;
}

std::vector<int> digit_ops(const std::string& digits) {
  std::vector<int> ops;
  for (char c : digits) ops.push_back(c - '0');
  return ops;
}

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The table's values are integers / 1e6 written with 6 decimals, so they convert back exactly.
int64_t from_millions(double v) { return std::llround(v * 1e6); }

struct Row {
  std::string digits;
  int64_t c10_params, c10_flops, c100_params, c100_flops;
};

std::vector<Row> read_table(const std::string& path) {
  CsvTable t(read_file(path), path, "expected nas-bench-201/nb201_all.csv");
  const int ops = t.column("op_ids"), p10 = t.column("c10_params_M"),
            f10 = t.column("c10_flops_M"), p100 = t.column("c100_params_M"),
            f100 = t.column("c100_flops_M");
  std::vector<Row> rows;
  for (size_t r = 0; r < t.num_rows(); ++r)
    rows.push_back({std::string(t.cell(r, ops)), from_millions(t.number(r, p10)),
                    from_millions(t.number(r, f10)), from_millions(t.number(r, p100)),
                    from_millions(t.number(r, f100))});
  return rows;
}

// Acceptance: the layout's params and FLOPs equal the table's for all 15625 cells, CIFAR-10 and
// CIFAR-100.
TEST(Nb201Net, StatsMatchBenchmarkForAllCells) {
  NAS_REQUIRE_DATA(path, "nas-bench-201/nb201_all.csv");
  const std::vector<Row> rows = read_table(path);
  ASSERT_EQ(rows.size(), 15625u);
  const NetworkConfig c10 = benchmark_config(10), c100 = benchmark_config(100);
  for (const Row& row : rows) {
    const std::vector<int> ops = digit_ops(row.digits);
    const ModelStats s10 = nb201_network_stats(ops, c10);
    ASSERT_EQ(s10.params, row.c10_params) << row.digits;
    ASSERT_EQ(s10.flops, static_cast<double>(row.c10_flops)) << row.digits;
    const ModelStats s100 = nb201_network_stats(ops, c100);
    ASSERT_EQ(s100.params, row.c100_params) << row.digits;
    ASSERT_EQ(s100.flops, static_cast<double>(row.c100_flops)) << row.digits;
  }
  // Published values (PROVENANCE.md): arch 0 and the extremes.
  const ModelStats arch0 = nb201_network_stats(digit_ops("421211"), c10);
  EXPECT_EQ(arch0.params, 129306);
  EXPECT_EQ(arch0.flops, 15647370);
  EXPECT_EQ(nb201_network_stats(digit_ops("000000"), c10).params, 73306);
  EXPECT_EQ(nb201_network_stats(digit_ops("333333"), c10).params, 1531546);
  EXPECT_EQ(nb201_network_stats(digit_ops("333333"), c10).flops, 220119690);
}

// Acceptance on real networks: params and the FLOPs of a counted forward equal the table. The
// count depends only on how many 1x1 and 3x3 convs a cell has, so one built network per such
// pair (28) plus a random sample (222) covers every distinct value; the analytic count
// (checked on all cells above) must also agree with every built network.
TEST(Nb201Net, BuiltNetworksMatchBenchmark) {
  NAS_REQUIRE_DATA(path, "nas-bench-201/nb201_all.csv");
  const std::vector<Row> rows = read_table(path);
  std::map<std::pair<int, int>, size_t> by_convs;
  for (size_t i = 0; i < rows.size(); ++i) {
    int n1 = 0, n3 = 0;
    for (char c : rows[i].digits) {
      n1 += c == '2';
      n3 += c == '3';
    }
    by_convs.emplace(std::make_pair(n1, n3), i);
  }
  ASSERT_EQ(by_convs.size(), 28u);
  std::vector<size_t> picks;
  for (const auto& kv : by_convs) picks.push_back(kv.second);
  Rng rng(2024);
  for (int i = 0; i < 222; ++i) picks.push_back(static_cast<size_t>(rng.uniform_int(0, 15624)));

  Nb201Space space;
  const NetworkConfig c10 = benchmark_config(10), c100 = benchmark_config(100);
  int built = 0;
  for (size_t k = 0; k < picks.size(); ++k) {
    const Row& row = rows[picks[k]];
    const Arch arch = space.parse(row.digits);
    auto net = build_nb201_network(space, arch, c10);
    const ModelStats s = model_stats(*net, c10);
    EXPECT_EQ(s.params, row.c10_params) << row.digits;
    EXPECT_EQ(count_params(*net), row.c10_params) << row.digits;
    EXPECT_EQ(s.aux_params, 0);
    EXPECT_EQ(s.flops, static_cast<double>(row.c10_flops)) << row.digits;
    const ModelStats analytic = nb201_network_stats(space.edge_ops(arch), c10);
    EXPECT_EQ(s.params, analytic.params) << row.digits;
    EXPECT_EQ(s.flops, analytic.flops) << row.digits;
    if (k % 5 == 0) {  // CIFAR-100 head on a sample
      auto net100 = build_nb201_network(space, arch, c100);
      const ModelStats s100 = model_stats(*net100, c100);
      EXPECT_EQ(s100.params, row.c100_params) << row.digits;
      EXPECT_EQ(s100.flops, static_cast<double>(row.c100_flops)) << row.digits;
    }
    ++built;
  }
  EXPECT_EQ(built, 250);
}

// Other widths, depths and input sizes: the built network and the analytic count agree.
TEST(Nb201Net, AnalyticCountMatchesBuiltNetworkForOtherConfigs) {
  NetworkConfig cfg = small_config();
  cfg.in_channels = 1;
  cfg.image_size = 28;
  cfg.num_classes = 7;
  for (const char* digits : {"000000", "123412", "333333", "224411"}) {
    Nb201NetworkImpl net(digit_ops(digits), cfg);
    const ModelStats built = model_stats(net, cfg);
    const ModelStats analytic = nb201_network_stats(digit_ops(digits), cfg);
    EXPECT_EQ(built.params, analytic.params) << digits;
    EXPECT_EQ(built.flops, analytic.flops) << digits;
  }
  cfg.channels = 12;
  cfg.layers = 2;
  cfg.image_size = 16;
  Nb201NetworkImpl net(digit_ops("313243"), cfg);
  EXPECT_EQ(model_stats(net, cfg).params, nb201_network_stats(digit_ops("313243"), cfg).params);
  EXPECT_EQ(model_stats(net, cfg).flops, nb201_network_stats(digit_ops("313243"), cfg).flops);
}

// Cell semantics: a node sums its incoming edges; none contributes nothing.
TEST(Nb201Net, CellComputesTheDag) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({2, 4, 6, 6});
  // Edge order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
  Nb201Cell skip_all(digit_ops("111111"), 4);
  // n1 = x, n2 = x + n1 = 2x, n3 = x + n1 + n2 = 4x.
  EXPECT_TRUE(torch::allclose(skip_all->forward(x), 4 * x));
  Nb201Cell chain(digit_ops("101001"), 4);  // 0 -> 1 -> 2 -> 3 by skips
  EXPECT_TRUE(torch::allclose(chain->forward(x), x));
  Nb201Cell cut(digit_ops("111000"), 4);  // nothing reaches node 3
  EXPECT_TRUE(torch::equal(cut->forward(x), torch::zeros_like(x)));
  Nb201Cell pool(digit_ops("000400"), 4);  // 3 <- 0 by avg pool, padding not counted
  EXPECT_TRUE(torch::allclose(pool->forward(x),
                              torch::avg_pool2d(x, 3, 1, 1, false, /*count_include_pad=*/false)));
  EXPECT_EQ(count_params(*pool), 0);
  Nb201Cell convs(digit_ops("230000"), 4);  // a 1x1 and a 3x3 ReLU-conv-BN, both 4 -> 4
  EXPECT_EQ(count_params(*convs), (16 + 8) + (144 + 8));
  EXPECT_EQ(convs->forward(x).sizes(), x.sizes());
}

TEST(Nb201Net, ForwardBackwardShapes) {
  torch::manual_seed(0);
  Nb201Space space;
  Rng rng(5);
  for (int i = 0; i < 3;) {
    const Arch arch = space.sample(rng);
    // Every edge must reach the output for every weight to get a gradient: node 2 feeds node 3
    // and node 1 feeds node 2 or node 3.
    const std::vector<int> ops = space.edge_ops(arch);
    const bool node1_dead = ops[2] == Nb201Space::kNone && ops[4] == Nb201Space::kNone;
    if (ops[5] == Nb201Space::kNone || node1_dead) continue;
    ++i;
    auto net = build_nb201_network(space, arch, small_config());
    net->train();
    NetworkOutput out = net->forward(torch::randn({2, 3, 32, 32}));
    ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_FALSE(out.aux.defined());
    torch::nn::functional::cross_entropy(out.logits, torch::tensor({3, 4})).backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << space.format(arch) << " " << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    }
  }
  // The benchmark size on a 16x16 ImageNet16-120-like input with 120 classes.
  NetworkConfig in16 = benchmark_config(120);
  in16.image_size = 16;
  auto net = build_nb201_network(space, space.parse("213401"), in16);
  EXPECT_EQ(net->forward(torch::randn({2, 3, 16, 16})).logits.sizes(),
            (std::vector<int64_t>{2, 120}));
  // A cell whose output receives only none edges still gives (constant) logits.
  auto dead = build_nb201_network(space, space.parse("111000"), small_config());
  dead->eval();
  torch::Tensor logits = dead->forward(torch::randn({2, 3, 32, 32})).logits;
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
}

TEST(Nb201Net, BadInput) {
  Nb201Space space;
  EXPECT_THROW(build_nb201_network(*make_space("macro"), space.parse("000000"), small_config()),
               Error);
  EXPECT_THROW(Nb201NetworkImpl({1, 2, 3}, small_config()), Error);
  EXPECT_THROW(Nb201NetworkImpl({1, 2, 3, 4, 5, 0}, small_config()), Error);
  NetworkConfig bad = small_config();
  bad.layers = 0;
  EXPECT_THROW(Nb201NetworkImpl(digit_ops("123401"), bad), Error);
  // 30 -> 15 after the first reduction: the second cannot halve an odd size.
  Nb201NetworkImpl net(digit_ops("123401"), small_config());
  EXPECT_THROW(net.forward(torch::randn({1, 3, 30, 30})), Error);
  NetworkConfig odd = small_config();
  odd.image_size = 30;
  EXPECT_THROW(model_stats(net, odd), Error);
}

TEST(Nb201Net, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: CPU-only build or no GPU";
  torch::manual_seed(0);
  Nb201Space space;
  auto net = build_nb201_network(space, space.parse("213401"), benchmark_config());
  net->eval();
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::Tensor cpu = net->forward(x).logits;
  net->to(torch::kCUDA);
  torch::Tensor gpu = net->forward(x.to(torch::kCUDA)).logits.cpu();
  EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-4));
}

}  // namespace
}  // namespace nas
