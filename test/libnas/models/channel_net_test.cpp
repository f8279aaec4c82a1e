#include "libnas/models/channel_net.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/rng.h"
#include "test_util.h"

namespace nas {
namespace {

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

// Every record's params, and FLOPs (the benchmark counts the FC without bias: +10 here).
void check_all_records(ChannelSpace::Base base, const std::string& path) {
  ChannelSpace space(base);
  const Json data = parse_json(read_file(path), path);
  ASSERT_EQ(data.size(), 16384u);
  const NetworkConfig cfg = cifar10();
  for (const auto& [key, record] : data.items()) {
    const std::vector<int> widths = space.widths(space.parse(key));
    const ModelStats s = channel_network_stats(base, widths, cfg);
    ASSERT_EQ(s.params, record.at("params").get<int64_t>()) << key;
    ASSERT_EQ(s.flops, record.at("flops").get<double>() + 10) << key;
  }
}

TEST(ChannelNet, ResNetStatsMatchBenchmarkForAllKeys) {
  NAS_REQUIRE_DATA(path, "channel-bench-macro/Results_ResNet.json");
  check_all_records(ChannelSpace::Base::ResNet, path);
  ChannelSpace space(ChannelSpace::Base::ResNet);
  EXPECT_EQ(channel_network_stats(ChannelSpace::Base::ResNet,
                                  space.widths(space.parse("1111111")), cifar10())
                .params,
            963658);
}

TEST(ChannelNet, MobileNetStatsMatchBenchmarkForAllKeys) {
  NAS_REQUIRE_DATA(path, "channel-bench-macro/Results_MobileNet.json");
  check_all_records(ChannelSpace::Base::MobileNet, path);
}

// The analytic count is the built network's: parameters and FLOPs of a real forward.
TEST(ChannelNet, BuiltNetworkMatchesAnalyticCount) {
  for (auto base : {ChannelSpace::Base::ResNet, ChannelSpace::Base::MobileNet}) {
    ChannelSpace space(base);
    Rng rng(11);
    std::vector<Arch> archs = {space.parse("1111111"), space.parse("4444444"),
                               space.parse("4344424")};
    for (int i = 0; i < 4; ++i) archs.push_back(space.sample(rng));
    for (const auto& arch : archs) {
      auto net = build_channel_network(space, arch, cifar10());
      const ModelStats built = model_stats(*net, cifar10());
      const ModelStats analytic = channel_network_stats(base, space.widths(arch), cifar10());
      EXPECT_EQ(built.params, analytic.params) << space.format(arch);
      EXPECT_EQ(count_params(*net), analytic.params) << space.format(arch);
      EXPECT_EQ(built.flops, analytic.flops) << space.format(arch);
    }
  }
}

TEST(ChannelNet, MobileNetLayout) {
  ChannelSpace space(ChannelSpace::Base::MobileNet);
  const std::vector<int> w = space.widths(space.parse("1111111"));  // 32,192,192,192,64,384,256
  ASSERT_EQ(w, (std::vector<int>{32, 192, 192, 192, 64, 384, 256}));
  auto mb = [](int64_t in, int64_t hidden, int64_t out) {
    return in * hidden + 2 * hidden + 9 * hidden + 2 * hidden + hidden * out + 2 * out;
  };
  const int64_t expected = 27 * 32 + 64 + mb(32, 192, 32) * 2 + mb(32, 192, 64) +
                           mb(64, 384, 64) + 64 * 256 + 512 + 256 * 10 + 10;
  ChannelMobileNetImpl net(w, cifar10());
  EXPECT_EQ(count_params(net), expected);
}

TEST(ChannelNet, ForwardBackwardShapes) {
  torch::manual_seed(0);
  for (auto base : {ChannelSpace::Base::ResNet, ChannelSpace::Base::MobileNet}) {
    ChannelSpace space(base);
    auto net = build_channel_network(space, space.parse("1212121"), cifar10());
    net->train();
    NetworkOutput out = net->forward(torch::randn({2, 3, 32, 32}));
    ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_FALSE(out.aux.defined());
    torch::nn::functional::cross_entropy(out.logits, torch::tensor({0, 9})).backward();
    for (const auto& p : net->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << space.name() << " " << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    }
    // One-channel 28x28 input with 5 classes.
    NetworkConfig fm = cifar10();
    fm.in_channels = 1;
    fm.image_size = 28;
    fm.num_classes = 5;
    auto small = build_channel_network(space, space.parse("1111111"), fm);
    EXPECT_EQ(small->forward(torch::randn({2, 1, 28, 28})).logits.sizes(),
              (std::vector<int64_t>{2, 5}));
    EXPECT_EQ(model_stats(*small, fm).flops,
              channel_network_stats(base, space.widths(space.parse("1111111")), fm).flops);
  }
}

TEST(ChannelNet, BadInput) {
  ChannelSpace space(ChannelSpace::Base::ResNet);
  EXPECT_THROW(build_channel_network(*make_space("macro"), space.parse("1111111"), cifar10()),
               Error);
  EXPECT_THROW(ChannelResNetImpl({64, 64}, cifar10()), Error);
  EXPECT_THROW(ChannelMobileNetImpl({32, 192, 192, 0, 64, 384, 256}, cifar10()), Error);
  ChannelResNetImpl net({64, 64, 64, 128, 128, 128, 128}, cifar10());
  EXPECT_THROW(net.forward(torch::randn({3, 32, 32})), Error);
}

TEST(ChannelNet, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: CPU-only build or no GPU";
  torch::manual_seed(0);
  for (auto base : {ChannelSpace::Base::ResNet, ChannelSpace::Base::MobileNet}) {
    ChannelSpace space(base);
    auto net = build_channel_network(space, space.parse("2314231"), cifar10());
    net->eval();
    torch::Tensor x = torch::randn({4, 3, 32, 32});
    torch::Tensor cpu = net->forward(x).logits;
    net->to(torch::kCUDA);
    torch::Tensor gpu = net->forward(x.to(torch::kCUDA)).logits.cpu();
    EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-4)) << space.name();
  }
}

}  // namespace
}  // namespace nas
