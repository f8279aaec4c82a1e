#include "libnas/models/network.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libnas/models/channel_net.h"
#include "libnas/models/flops.h"
#include "libnas/models/macro_net.h"
#include "libnas/models/nb201_net.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

NetworkConfig small_cell_config() {
  NetworkConfig cfg;
  cfg.channels = 8;
  cfg.layers = 1;
  cfg.num_classes = 10;
  cfg.image_size = 32;
  return cfg;
}

// A network with a known layout: conv3x3 3->4 (108 weights, 32*32*108 FLOPs), linear 4->2
// (10 params and FLOPs), an auxiliary linear 4->3 (15 params) used in training only, and a
// frozen parameter that is not counted.
class ToyNetworkImpl : public NetworkImpl {
 public:
  ToyNetworkImpl() {
    conv_ = register_module(
        "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1).bias(false)));
    head_ = register_module("head", torch::nn::Linear(4, 2));
    aux_ = register_module("auxiliary_head", torch::nn::Linear(4, 3));
    frozen_ = register_parameter("frozen", torch::zeros({5}), /*requires_grad=*/false);
  }
  NetworkOutput forward(const torch::Tensor& x) override {
    seen_training = is_training();
    torch::Tensor h = counted(conv_, x).mean({2, 3});
    NetworkOutput out;
    out.logits = counted(head_, h);
    if (is_training()) out.aux = counted(aux_, h);
    return out;
  }
  bool seen_training = true;

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Linear head_{nullptr}, aux_{nullptr};
  torch::Tensor frozen_;
};

TEST(Network, ModelStatsSplitsAuxiliaryAndCountsEvalForward) {
  ToyNetworkImpl net;
  net.train();
  NetworkConfig cfg;
  cfg.in_channels = 3;
  cfg.image_size = 32;
  const ModelStats s = model_stats(net, cfg);
  EXPECT_EQ(s.params, 108 + 10);
  EXPECT_EQ(s.aux_params, 15);
  EXPECT_EQ(s.flops, 32.0 * 32 * 108 + 10);  // eval forward: the aux head does not run
  EXPECT_FALSE(net.seen_training);
  EXPECT_TRUE(net.is_training());  // the mode is restored
  net.eval();
  model_stats(net, cfg);
  EXPECT_FALSE(net.is_training());
  cfg.image_size = 7;
  EXPECT_EQ(model_stats(net, cfg).flops, 7.0 * 7 * 108 + 10);
  EXPECT_FALSE(counting_flops());
}

TEST(Network, ModelStatsTurnsShapeErrorsIntoOneLine) {
  ToyNetworkImpl net;
  NetworkConfig cfg;
  cfg.in_channels = 2;  // the conv expects 3
  try {
    model_stats(net, cfg);
    FAIL() << "expected nas::Error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model_stats"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_FALSE(counting_flops());
  EXPECT_TRUE(net.is_training());
}

TEST(Network, FactoryDispatchesBySpace) {
  NetworkConfig nb = small_cell_config();
  auto nb201 = make_space("nb201");
  auto net = build_network(*nb201, nb201->parse("213401"), nb);
  EXPECT_NE(dynamic_cast<Nb201NetworkImpl*>(net.get()), nullptr);
  EXPECT_EQ(model_stats(*nb201, nb201->parse("213401"), nb).params,
            nb201_network_stats({2, 1, 3, 4, 0, 1}, nb).params);

  auto macro = make_space("macro");
  net = build_network(*macro, macro->parse("01201201"), nb);
  EXPECT_NE(dynamic_cast<MacroNetworkImpl*>(net.get()), nullptr);
  EXPECT_EQ(model_stats(*macro, macro->parse("01201201"), nb).params,
            macro_network_stats({0, 1, 2, 0, 1, 2, 0, 1}, nb).params);

  auto res = make_space("channel-resnet");
  net = build_network(*res, res->parse("4344424"), nb);
  EXPECT_NE(dynamic_cast<ChannelResNetImpl*>(net.get()), nullptr);
  auto mob = make_space("channel-mobilenet");
  net = build_network(*mob, mob->parse("4444342"), nb);
  EXPECT_NE(dynamic_cast<ChannelMobileNetImpl*>(net.get()), nullptr);
}

TEST(Network, FactoryBuildsCellNetworks) {
  torch::manual_seed(0);
  const NetworkConfig cfg = small_cell_config();
  struct Case {
    const char* space;
    const char* arch;
  };
  for (const Case& c : {Case{"nao-11", "NAONet-A"}, Case{"nao", "NAONet-B"},
                        Case{"darts", "DARTS-V2"}, Case{"nag", "RS-NAG"}}) {
    auto space = make_space(c.space);
    const Arch arch = space->parse(c.arch);
    auto net = build_network(*space, arch, cfg);
    ASSERT_NE(net, nullptr) << c.space;
    net->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(net->forward(torch::randn({2, 3, 32, 32})).logits.sizes(),
              (std::vector<int64_t>{2, 10}))
        << c.space;
    const ModelStats s = model_stats(*net, cfg);
    EXPECT_GT(s.params, 0) << c.space;
    EXPECT_GT(s.flops, 0) << c.space;
  }
}

// With one input channel (Fashion-MNIST) and depthwise [C, 1, k, k] weights, both layouts
// count as contiguous, so Tensor::contiguous(ChannelsLast) leaves NCHW strides and every
// convolution falls back to NCHW. to_channels_last must restride them all, and a channels-last
// network must keep channels-last activations to its last cell and give the NCHW result.
TEST(Network, ChannelsLastRestridesOneChannelTensorsAndKeepsTheLayout) {
  torch::manual_seed(0);
  NetworkConfig cfg = small_cell_config();
  cfg.in_channels = 1;
  cfg.image_size = 28;
  auto space = make_space("nao");
  const Arch arch = space->parse("NAONet-B");
  auto net = build_network(*space, arch, cfg);
  auto reference = build_network(*space, arch, cfg);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < net->parameters().size(); ++i)
      reference->parameters()[i].copy_(net->parameters()[i]);
  }
  to_channels_last(*net);
  int depthwise = 0;
  for (const auto& p : net->named_parameters()) {
    if (p.value().dim() != 4) continue;
    const auto w = p.value();
    EXPECT_EQ(w.strides()[1], 1) << p.key() << " strides " << w.strides();
    EXPECT_EQ(w.strides()[3], w.size(1)) << p.key();
    depthwise += w.size(1) == 1;
  }
  EXPECT_GT(depthwise, 0);
  const torch::Tensor x = torch::randn({4, 1, 28, 28});
  const torch::Tensor xc = to_channels_last(x);
  EXPECT_EQ(xc.strides()[1], 1);
  EXPECT_TRUE(torch::equal(xc, x));

  // The failure this guards against: a one-channel input into a one-channel-in conv gave an
  // NCHW output, and every later layer followed.
  auto stem = torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 3).padding(1).bias(false));
  to_channels_last(*stem);
  EXPECT_EQ(stem->forward(xc).strides()[1], 1);
  net->eval();
  reference->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(net->forward(xc).logits, reference->forward(x).logits, 1e-4, 1e-5));
  EXPECT_THROW(to_channels_last(torch::zeros({3, 4})), Error);
}

TEST(Network, FactoryRejectsSpacesWithoutNetworkAndInvalidArchs) {
  auto nb101 = make_space("nb101");
  Rng rng(1);
  try {
    build_network(*nb101, nb101->sample(rng), small_cell_config());
    FAIL() << "expected nas::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nb101"), std::string::npos) << e.what();
  }
  auto nb201 = make_space("nb201");
  Arch bad = nb201->parse("000000");
  bad.cells[0].ops[1] = 99;
  EXPECT_THROW(build_network(*nb201, bad, small_cell_config()), Error);
  EXPECT_THROW(model_stats(*nb201, bad, small_cell_config()), Error);
}

}  // namespace
}  // namespace nas
