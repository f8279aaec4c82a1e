#include "libnas/train/sgd.h"

#include <gtest/gtest.h>

#include "libnas/models/network.h"
#include "libnas/util/error.h"

namespace nas {
namespace {

torch::nn::Sequential small_net() {
  return torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)),
                               torch::nn::BatchNorm2d(4), torch::nn::ReLU(),
                               torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(),
                               torch::nn::Linear(4, 5));
}

torch::Tensor loss_of(torch::nn::Sequential& net, int64_t step) {
  torch::manual_seed(100 + step);
  torch::Tensor x = torch::randn({6, 3, 8, 8});
  torch::Tensor y = torch::randint(0, 5, {6});
  return torch::nn::functional::cross_entropy(net->forward(x), y);
}

// FlatSgd must move the weights exactly as torch::optim::SGD (PyTorch's rule) does.
void expect_same_as_torch_sgd(SgdConfig cfg, double clip) {
  torch::manual_seed(1);
  auto a = small_net();
  auto b = small_net();
  {
    torch::NoGradGuard g;
    for (size_t i = 0; i < a->parameters().size(); ++i)
      b->parameters()[i].copy_(a->parameters()[i]);
  }
  FlatSgd flat(a->parameters(), cfg);
  torch::optim::SGD ref(b->parameters(), torch::optim::SGDOptions(0.1)
                                             .momentum(cfg.momentum)
                                             .nesterov(cfg.nesterov)
                                             .weight_decay(cfg.weight_decay));
  for (int64_t step = 0; step < 5; ++step) {
    const double lr = 0.1 / (1 + step);
    flat.zero_grad();
    loss_of(a, step).backward();
    if (clip > 0) flat.clip_grad_norm(clip);
    flat.step(lr);

    ref.zero_grad();
    loss_of(b, step).backward();
    if (clip > 0) torch::nn::utils::clip_grad_norm_(b->parameters(), clip);
    static_cast<torch::optim::SGDOptions&>(ref.param_groups()[0].options()).lr(lr);
    ref.step();
  }
  for (size_t i = 0; i < a->parameters().size(); ++i)
    EXPECT_TRUE(torch::allclose(a->parameters()[i], b->parameters()[i], 1e-6, 1e-7))
        << "parameter " << i << " max diff "
        << (a->parameters()[i] - b->parameters()[i]).abs().max().item<double>();
}

TEST(FlatSgd, MatchesTorchSgdWithMomentumAndWeightDecay) {
  expect_same_as_torch_sgd({0.9, false, 3e-4}, 0);
}
TEST(FlatSgd, MatchesTorchSgdWithNesterov) { expect_same_as_torch_sgd({0.9, true, 1e-3}, 0); }
TEST(FlatSgd, MatchesTorchSgdWithClipping) { expect_same_as_torch_sgd({0.9, false, 3e-4}, 0.05); }
TEST(FlatSgd, MatchesPlainSgd) { expect_same_as_torch_sgd({0.0, false, 0.0}, 0); }

TEST(FlatSgd, ParametersStayTheModulesAndStateRoundTrips) {
  auto net = small_net();
  FlatSgd sgd(net->parameters(), {});
  EXPECT_EQ(sgd.numel(), 3 * 4 * 9 + 4 + 4 + 4 + 4 * 5 + 5);
  sgd.zero_grad();
  loss_of(net, 0).backward();
  // Gradients land in the flat buffer: the norm over it equals the norm over the parameters.
  double sq = 0;
  for (const auto& p : net->parameters()) sq += p.grad().pow(2).sum().item<double>();
  EXPECT_NEAR(sgd.clip_grad_norm(1e9).item<double>(), std::sqrt(sq), 1e-5);
  const torch::Tensor before = net->parameters()[0].clone();
  sgd.step(0.5);
  EXPECT_FALSE(torch::equal(before, net->parameters()[0])) << "step must update the module";
  EXPECT_TRUE(sgd.started());

  auto other = small_net();
  FlatSgd restored(other->parameters(), {});
  restored.load_state(sgd.momentum_buffer(), sgd.started());
  EXPECT_TRUE(torch::equal(restored.momentum_buffer(), sgd.momentum_buffer()));
  EXPECT_THROW(restored.load_state(torch::zeros({3}), true), Error);
}

// Channels-last weights stay channels-last as views of the flat buffer, and their updates
// equal those of the same weights in NCHW.
TEST(FlatSgd, KeepsEachParametersLayout) {
  torch::manual_seed(3);
  auto a = small_net();
  auto b = small_net();
  {
    torch::NoGradGuard g;
    for (size_t i = 0; i < a->parameters().size(); ++i)
      b->parameters()[i].copy_(a->parameters()[i]);
  }
  to_channels_last(*a);
  FlatSgd flat_a(a->parameters(), {});
  FlatSgd flat_b(b->parameters(), {});
  const torch::Tensor w = a->parameters()[0];
  ASSERT_EQ(w.dim(), 4);
  EXPECT_TRUE(w.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_EQ(w.strides()[1], 1);
  for (int64_t step = 0; step < 3; ++step) {
    flat_a.zero_grad();
    flat_b.zero_grad();
    loss_of(a, step).backward();
    loss_of(b, step).backward();
    EXPECT_EQ(a->parameters()[0].grad().strides(), w.strides()) << "the gradient is a view too";
    flat_a.step(0.1);
    flat_b.step(0.1);
  }
  for (size_t i = 0; i < a->parameters().size(); ++i)
    EXPECT_TRUE(torch::allclose(a->parameters()[i], b->parameters()[i], 1e-5, 1e-6)) << i;
}

TEST(FlatSgd, RejectsBadSettings) {
  auto net = small_net();
  EXPECT_THROW(FlatSgd(net->parameters(), {1.0, false, 0}), Error);
  EXPECT_THROW(FlatSgd(net->parameters(), {0.0, true, 0}), Error);
  EXPECT_THROW(FlatSgd(net->parameters(), {0.9, false, -1}), Error);
  EXPECT_THROW(FlatSgd({}, {}), Error);
  FlatSgd ok(net->parameters(), {});
  EXPECT_THROW(ok.clip_grad_norm(0), Error);
}

}  // namespace
}  // namespace nas
