#include "libnas/util/rng.h"

#include <gtest/gtest.h>

#include <cmath>

#include "libnas/util/error.h"

namespace nas {
namespace {

TEST(Rng, SameSeedSameStreamAndStateRestores) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  std::string s = a.state();
  uint64_t x = a.next_u64();
  a.set_state(s);
  EXPECT_EQ(a.next_u64(), x);
  EXPECT_THROW(a.set_state("1 2"), Error);
}

TEST(Rng, UniformIntCoversRangeEvenly) {
  Rng r(1);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 50000; ++i) counts[r.uniform_int(0, 4)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Rng, NormalHasUnitMoments) {
  Rng r(3);
  double s = 0, s2 = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.02);
  EXPECT_NEAR(s2 / n, 1.0, 0.03);
}

TEST(Rng, WeightedIndexFollowsWeights) {
  Rng r(5);
  std::vector<double> w{1, 0, 3};
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 40000; ++i) counts[r.weighted_index(w)]++;
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[2] / 40000.0, 0.75, 0.02);
}

}  // namespace
}  // namespace nas
