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

TEST(NaoGenerate, CandidatesKeepTheBestPredictedAndLeaveTheRestUnknown) {
  auto space = make_space("nb201");
  torch::manual_seed(5);
  Controller c(space->sequence_spec(), ControllerConfig{});
  c->eval();
  Rng rng(9);
  std::vector<std::vector<int>> seeds;
  std::unordered_set<std::string> start;
  for (int i = 0; i < 40; ++i) {
    Arch a = space->sample(rng);
    seeds.push_back(space->to_tokens(a));
    start.insert(space->hash(a));
  }
  // A controller that reconstructs (an untrained decoder collapses onto a few sequences).
  {
    ControllerConfig cc;
    cc.epochs = 150;
    c = Controller(space->sequence_spec(), cc);
    std::vector<double> targets;
    for (size_t i = 0; i < seeds.size(); ++i) targets.push_back(rng.uniform());
    Rng fit_rng(3);
    fit_controller(c, seeds, targets, fit_rng);
  }
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

TEST(NaoGenerate, ConfigRejectsFewerCandidatesThanWanted) {
  GenerationConfig cfg;
  cfg.new_archs = 10;
  cfg.candidates = 5;
  EXPECT_THROW(cfg.validate("nao"), Error);
  cfg.candidates = 0;
  EXPECT_NO_THROW(cfg.validate("nao"));
}

}  // namespace
}  // namespace nas::nao
