#include "libnas/models/macro_net.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libnas/spaces/macro.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/rng.h"
#include "test_util.h"

namespace nas {
namespace {

std::vector<int> key_ops(const std::string& key) {
  std::vector<int> ops;
  for (char c : key) ops.push_back(c - '0');
  return ops;
}

NetworkConfig cifar10() {
  NetworkConfig cfg;
  cfg.num_classes = 10;
  cfg.in_channels = 3;
  cfg.image_size = 32;
  return cfg;
}

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// The benchmark's params for every key; its FLOPs count the FC without bias (+10 here).
TEST(MacroNet, StatsMatchBenchmarkForAllKeys) {
  NAS_REQUIRE_DATA(path, "nas-bench-macro/nas-bench-macro_cifar10.json");
  const Json data = parse_json(read_file(path), path);
  ASSERT_EQ(data.size(), 6561u);
  const NetworkConfig cfg = cifar10();
  int checked = 0;
  for (const auto& [key, record] : data.items()) {
    const ModelStats s = macro_network_stats(key_ops(key), cfg);
    ASSERT_EQ(s.params, record.at("params").get<int64_t>()) << key;
    ASSERT_EQ(s.flops, record.at("flops").get<double>() + 10) << key;
    ++checked;
  }
  EXPECT_EQ(checked, 6561);
  // Spot values from the data description.
  EXPECT_EQ(macro_network_stats(key_ops("22212202"), cfg).params, 1985514);
  EXPECT_EQ(macro_network_stats(key_ops("22212202"), cfg).flops, 85164544 + 10);
  EXPECT_EQ(macro_network_stats(key_ops("00000000"), cfg).params, 387882);
}

// The analytic count is the built network's: parameters and FLOPs of a real forward.
TEST(MacroNet, BuiltNetworkMatchesAnalyticCount) {
  const NetworkConfig cfg = cifar10();
  std::vector<std::string> keys = {"00000000", "11111111", "22222222", "22212202", "01201201",
                                   "10000000", "02000000", "00100000", "00020000", "00000002"};
  for (const auto& key : keys) {
    MacroNetworkImpl net(key_ops(key), cfg);
    const ModelStats built = model_stats(net, cfg);
    const ModelStats analytic = macro_network_stats(key_ops(key), cfg);
    EXPECT_EQ(built.params, analytic.params) << key;
    EXPECT_EQ(count_params(net), analytic.params) << key;
    EXPECT_EQ(built.aux_params, 0) << key;
    EXPECT_EQ(built.flops, analytic.flops) << key;
  }
  // Other input sizes and class counts move FLOPs and the classifier consistently.
  NetworkConfig other = cfg;
  other.in_channels = 1;
  other.image_size = 28;
  other.num_classes = 7;
  MacroNetworkImpl net(key_ops("21021012"), other);
  const ModelStats built = model_stats(net, other);
  const ModelStats analytic = macro_network_stats(key_ops("21021012"), other);
  EXPECT_EQ(built.params, analytic.params);
  EXPECT_EQ(built.flops, analytic.flops);
}

TEST(MacroNet, BlocksAndResiduals) {
  // Identity at a stage start is a projection; elsewhere it has no module at all.
  MacroNetworkImpl ids(key_ops("00000000"), cifar10());
  int64_t layer_modules = 0;
  for (const auto& child : ids.named_children())
    if (child.key().rfind("layer", 0) == 0) ++layer_modules;
  EXPECT_EQ(layer_modules, 3);  // layers 1, 3 and 6

  InvertedResidual same(64, 192, 64, 3, 1), strided(64, 192, 64, 3, 2), wider(64, 192, 128, 3, 1);
  EXPECT_TRUE(same->has_residual());
  EXPECT_FALSE(strided->has_residual());
  EXPECT_FALSE(wider->has_residual());
  // expand + depthwise + project, each with BN: 64*192 + 384 + 9*192 + 384 + 192*64 + 128.
  EXPECT_EQ(count_params(*same), 64 * 192 + 384 + 9 * 192 + 384 + 192 * 64 + 128);
  same->eval();
  torch::Tensor x = torch::randn({2, 64, 8, 8});
  EXPECT_EQ(same->forward(x).sizes(), x.sizes());
  EXPECT_EQ(strided->forward(x).sizes(), (std::vector<int64_t>{2, 64, 4, 4}));
}

TEST(MacroNet, ForwardBackwardShapes) {
  torch::manual_seed(0);
  MacroSpace space;
  Rng rng(3);
  for (int i = 0; i < 2; ++i) {
    Arch arch = space.sample(rng);
    auto net = build_macro_network(space, arch, cifar10());
    net->train();
    torch::Tensor x = torch::randn({2, 3, 32, 32});
    NetworkOutput out = net->forward(x);
    ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_FALSE(out.aux.defined());
    torch::Tensor loss = torch::nn::functional::cross_entropy(out.logits, torch::tensor({1, 7}));
    loss.backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    }
  }
  // Fashion-MNIST-like input: one channel, 28x28.
  NetworkConfig fm = cifar10();
  fm.in_channels = 1;
  fm.image_size = 28;
  fm.dropout = 0.2;
  auto net = build_macro_network(space, space.parse("12012012"), fm);
  EXPECT_EQ(net->forward(torch::randn({3, 1, 28, 28})).logits.sizes(),
            (std::vector<int64_t>{3, 10}));
  net->eval();
  torch::Tensor x = torch::randn({1, 1, 28, 28});
  EXPECT_TRUE(torch::equal(net->forward(x).logits, net->forward(x).logits));
}

TEST(MacroNet, BadInput) {
  MacroSpace space;
  EXPECT_THROW(build_macro_network(*make_space("nb201"), space.parse("00000000"), cifar10()),
               Error);
  EXPECT_THROW(MacroNetworkImpl({0, 1, 2}, cifar10()), Error);
  EXPECT_THROW(MacroNetworkImpl({0, 1, 2, 3, 0, 1, 2, 0}, cifar10()), Error);
  NetworkConfig bad = cifar10();
  bad.num_classes = 0;
  EXPECT_THROW(MacroNetworkImpl(key_ops("00000000"), bad), Error);
  MacroNetworkImpl net(key_ops("00000000"), cifar10());
  EXPECT_THROW(net.forward(torch::randn({3, 32, 32})), Error);
}

TEST(MacroNet, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: CPU-only build or no GPU";
  torch::manual_seed(0);
  auto net = std::make_shared<MacroNetworkImpl>(key_ops("21021012"), cifar10());
  net->eval();
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::Tensor cpu = net->forward(x).logits;
  net->to(torch::kCUDA);
  torch::Tensor gpu = net->forward(x.to(torch::kCUDA)).logits.cpu();
  EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-4));
}

}  // namespace
}  // namespace nas
