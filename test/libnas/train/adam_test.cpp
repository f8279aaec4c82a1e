#include "libnas/train/adam.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

// Two copies of one small network; one trained by FlatAdam, one by torch::optim::Adam.
torch::nn::Sequential make_net() {
  torch::manual_seed(3);
  return torch::nn::Sequential(torch::nn::Linear(5, 7), torch::nn::Tanh(), torch::nn::Linear(7, 2));
}

TEST(FlatAdam, MatchesTorchAdamWithCoupledWeightDecayAndClipping) {
  auto a = make_net();
  auto b = make_net();
  FlatAdam flat(a->parameters(), {1e-2, 0.9, 0.999, 1e-8, 1e-2});
  torch::optim::Adam ref(b->parameters(),
                         torch::optim::AdamOptions(1e-2).betas({0.9, 0.999}).eps(1e-8).weight_decay(1e-2));
  torch::manual_seed(5);
  for (int step = 0; step < 20; ++step) {
    torch::Tensor x = torch::randn({8, 5});
    torch::Tensor y = torch::randn({8, 2});
    flat.zero_grad();
    torch::mse_loss(a->forward(x), y).backward();
    flat.clip_grad_norm(0.5);
    flat.step();
    ref.zero_grad();
    torch::mse_loss(b->forward(x), y).backward();
    torch::nn::utils::clip_grad_norm_(b->parameters(), 0.5);
    ref.step();
  }
  EXPECT_EQ(flat.steps(), 20);
  auto pa = a->parameters();
  auto pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-5, 1e-6)) << "parameter " << i;
}

TEST(FlatAdam, BadSettingsAreClearErrors) {
  auto net = make_net();
  EXPECT_THROW(FlatAdam(net->parameters(), {0.0, 0.9, 0.999, 1e-8, 0.0}), Error);
  EXPECT_THROW(FlatAdam(net->parameters(), {1e-3, 1.0, 0.999, 1e-8, 0.0}), Error);
  EXPECT_THROW(FlatAdam(net->parameters(), {1e-3, 0.9, 0.999, 1e-8, -1.0}), Error);
  EXPECT_THROW(FlatAdam({}, {}), Error);
}

}  // namespace
}  // namespace nas
