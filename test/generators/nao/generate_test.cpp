#include "generators/nao/generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas::nao {
namespace {

TEST(NaoTargets, MinMaxAndRankNormalisation) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> v = {3.0, 1.0, nan, 3.0, 2.0};
  const std::vector<double> mm = normalise_targets(v);
  EXPECT_DOUBLE_EQ(mm[0], 1.0);
  EXPECT_DOUBLE_EQ(mm[1], 0.0);
  EXPECT_DOUBLE_EQ(mm[2], 0.0);
  EXPECT_DOUBLE_EQ(mm[4], 0.5);
  // Ranks 0 (missing), 1, 2 and the tie 3/4 sharing 3.5, over n - 1 = 4.
  const std::vector<double> r = rank_targets(v);
  const std::vector<double> want = {0.875, 0.25, 0.0, 0.875, 0.5};
  ASSERT_EQ(r.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(r[i], want[i]) << i;
  // A single value, or all equal, sits in the middle.
  EXPECT_EQ(rank_targets({7.0}), std::vector<double>({0.5}));
  EXPECT_EQ(rank_targets({2.0, 2.0}), std::vector<double>({0.5, 0.5}));
  // A far outlier does not squash the others as min-max does.
  const std::vector<double> skewed = {10.0, 90.0, 91.0, 92.0};
  EXPECT_GT(rank_targets(skewed)[2] - rank_targets(skewed)[1], 0.3);
  EXPECT_LT(normalise_targets(skewed)[2] - normalise_targets(skewed)[1], 0.02);
}

// `n` random architectures of a space as token sequences, and their hashes.
struct SeedArchs {
  std::vector<std::vector<int>> tokens;
  std::unordered_set<std::string> hashes;
};
SeedArchs random_seed_archs(const SearchSpace& space, int n, uint64_t seed) {
  Rng rng(seed);
  SeedArchs s;
  for (int i = 0; i < n; ++i) {
    Arch a = space.sample(rng);
    s.tokens.push_back(space.to_tokens(a));
    s.hashes.insert(space.hash(a));
  }
  return s;
}

// A controller that reconstructs its training architectures (an untrained decoder collapses onto
// a few sequences), trained from `init_seed` on random targets.
Controller reconstructing_controller(const SearchSpace& space,
                                     const std::vector<std::vector<int>>& seqs, uint64_t init_seed) {
  torch::manual_seed(init_seed);
  ControllerConfig cc;
  cc.epochs = 150;
  Controller c(space.sequence_spec(), cc);
  Rng rng(init_seed + 1);
  std::vector<double> targets;
  for (size_t i = 0; i < seqs.size(); ++i) targets.push_back(rng.uniform());
  fit_controller(c, seqs, targets, rng);
  return c;
}

TEST(NaoGenerate, CandidatesKeepTheBestPredictedAndLeaveTheRestUnknown) {
  auto space = make_space("nb201");
  const SeedArchs s = random_seed_archs(*space, 40, 9);
  const std::vector<std::vector<int>>& seeds = s.tokens;
  const std::unordered_set<std::string>& start = s.hashes;
  Controller c = reconstructing_controller(*space, seeds, 5);
  GenerationConfig cfg;
  cfg.top = 40;
  cfg.new_archs = 5;
  cfg.max_step = 200;

  std::unordered_set<std::string> known_first = start;
  Generated first = generate_new_archs(c, *space, seeds, known_first, cfg);
  ASSERT_EQ(first.archs.size(), 5u);
  EXPECT_EQ(first.decoded, 5);
  EXPECT_EQ(known_first.size(), start.size() + 5);

  cfg.candidates = 40;
  std::unordered_set<std::string> known_best = start;
  Generated best = generate_new_archs(c, *space, seeds, known_best, cfg);
  ASSERT_EQ(best.archs.size(), 5u);
  EXPECT_GT(best.decoded, 5);
  EXPECT_EQ(known_best.size(), start.size() + 5) << "dropped candidates must stay proposable";
  auto predicted = [&](const std::vector<Arch>& archs) {
    std::vector<std::vector<int>> seqs;
    for (const Arch& a : archs) seqs.push_back(space->to_tokens(a));
    return predict_sequences(c, seqs);
  };
  const std::vector<double> p_best = predicted(best.archs), p_first = predicted(first.archs);
  for (size_t i = 1; i < p_best.size(); ++i) EXPECT_GE(p_best[i - 1], p_best[i]) << "best first";
  // The first five found are among the candidates, so the kept five are rated at least as high.
  double sum_best = 0, sum_first = 0;
  for (size_t i = 0; i < 5; ++i) {
    sum_best += p_best[i];
    sum_first += p_first[i];
  }
  EXPECT_GE(sum_best, sum_first - 1e-6);
  for (const Arch& a : best.archs) EXPECT_EQ(start.count(space->hash(a)), 0u);
}

// Sampled decodings reach architectures the greedy path does not, and an ensemble moves the
// seeds along every member's gradient: each finds more new architectures than one greedy path.
TEST(NaoGenerate, SampledDecodingsAndEnsemblesWidenTheCandidates) {
  auto space = make_space("nb201");
  const SeedArchs s = random_seed_archs(*space, 40, 9);
  const std::vector<std::vector<int>>& seeds = s.tokens;
  const std::unordered_set<std::string>& start = s.hashes;
  Controller a = reconstructing_controller(*space, seeds, 5);
  Controller b = reconstructing_controller(*space, seeds, 6);
  GenerationConfig cfg;
  cfg.top = 10;
  cfg.new_archs = 5;
  cfg.candidates = 1000;  // more than any path reaches: every step size is tried
  cfg.max_step = 20;
  auto decoded = [&](std::vector<Controller> cs, const GenerationConfig& c) {
    std::unordered_set<std::string> known = start;
    torch::manual_seed(3);
    Generated g = generate_new_archs(cs, *space, seeds, known, c);
    EXPECT_EQ(g.archs.size(), 5u);
    EXPECT_EQ(g.invalid, 0);
    for (const Arch& x : g.archs) EXPECT_EQ(start.count(space->hash(x)), 0u);
    return g.decoded;
  };
  const int64_t greedy_a = decoded({a}, cfg), greedy_b = decoded({b}, cfg);
  EXPECT_GT(decoded({a, b}, cfg), std::max(greedy_a, greedy_b));
  GenerationConfig sampled = cfg;
  sampled.samples = 3;
  sampled.temperature = 2.0;
  EXPECT_GT(decoded({a}, sampled), greedy_a);
  // Sampling draws from LibTorch's generator: the same seed gives the same candidates.
  std::unordered_set<std::string> k1 = start, k2 = start;
  torch::manual_seed(8);
  Generated g1 = generate_new_archs(a, *space, seeds, k1, sampled);
  torch::manual_seed(8);
  Generated g2 = generate_new_archs(a, *space, seeds, k2, sampled);
  ASSERT_EQ(g1.archs.size(), g2.archs.size());
  for (size_t i = 0; i < g1.archs.size(); ++i)
    EXPECT_EQ(space->hash(g1.archs[i]), space->hash(g2.archs[i]));
}

TEST(NaoGenerate, ConfigRejectsFewerCandidatesThanWanted) {
  GenerationConfig cfg;
  cfg.new_archs = 10;
  cfg.candidates = 5;
  EXPECT_THROW(cfg.validate("nao"), Error);
  cfg.candidates = 0;
  EXPECT_NO_THROW(cfg.validate("nao"));
  cfg.samples = -1;
  EXPECT_THROW(cfg.validate("nao"), Error);
  cfg.samples = 3;
  cfg.temperature = 0;
  EXPECT_THROW(cfg.validate("nao"), Error);
}

}  // namespace
}  // namespace nas::nao
