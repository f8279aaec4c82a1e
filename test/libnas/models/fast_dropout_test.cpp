#include "libnas/models/fast_dropout.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

// In training every element is zeroed or scaled by 1 / (1 - p), with the kept fraction 1 - p
// (within 5 standard deviations over a million elements, and for an odd count); the gradient
// is the same mask; in evaluation and at p = 0 the input comes back unchanged.
TEST(FastDropout, KeepsOneMinusPScaledAndPassesTheMaskBack) {
  for (double p : {0.5, 0.1, 0.8}) {
    SCOPED_TRACE(p);
    torch::manual_seed(1);
    const int64_t n = 1000001;
    torch::Tensor x = torch::ones({n}).requires_grad_(true);
    torch::Tensor y = fast_dropout(x, p, true);
    torch::Tensor kept = y.detach().ne(0);
    const double fraction = kept.to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(fraction, 1 - p, 5 * std::sqrt(p * (1 - p) / n));
    EXPECT_TRUE(torch::allclose(y.detach().masked_select(kept),
                                torch::full({kept.sum().item<int64_t>()}, 1 / (1 - p))));
    y.sum().backward();
    EXPECT_TRUE(torch::equal(x.grad(), y.detach()));
  }
  torch::Tensor x = torch::randn({3, 4});
  EXPECT_TRUE(fast_dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(fast_dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(torch::equal(fast_dropout(x, 1.0, true), torch::zeros({3, 4})));
  EXPECT_THROW(fast_dropout(x, 1.5, true), Error);
  EXPECT_THROW(fast_dropout(x, -0.1, true), Error);
}

// The mask follows LibTorch's seed: the same seed gives the same mask, the next call another
// one; neighbouring elements and rows are not correlated (four adjacent elements share one
// 64-bit draw).
TEST(FastDropout, FollowsTheSeedAndDrawsIndependentElements) {
  torch::Tensor x = torch::ones({400, 500}, torch::kFloat64);
  torch::manual_seed(7);
  torch::Tensor a = fast_dropout(x, 0.5, true);
  torch::Tensor b = fast_dropout(x, 0.5, true);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(fast_dropout(x, 0.5, true), a));
  EXPECT_FALSE(torch::equal(a, b));
  torch::Tensor k = a.ne(0).to(torch::kFloat64).flatten();
  auto corr = [](const torch::Tensor& u, const torch::Tensor& v) {
    torch::Tensor cu = u - u.mean(), cv = v - v.mean();
    return ((cu * cv).mean() / (cu.std(false) * cv.std(false))).item<double>();
  };
  const int64_t n = k.numel();
  for (int64_t lag : {1, 2, 3, 4, 500}) {
    SCOPED_TRACE(lag);
    EXPECT_LT(std::abs(corr(k.narrow(0, 0, n - lag), k.narrow(0, lag, n - lag))), 0.01);
  }
  EXPECT_LT(std::abs(corr(k, b.ne(0).to(torch::kFloat64).flatten())), 0.01);
}

}  // namespace
}  // namespace nas
