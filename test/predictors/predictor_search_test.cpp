// `search --strategy predictor`: its config checks, whole-space ranking against sampling, the
// local step, and a search on the NAS-Bench-201 table that beats random search.
#include "predictors/predictor_search.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "generators/generators.h"
#include "libnas/bench/tabular_benchmark.h"
#include "libnas/search/evaluator.h"
#include "libnas/search/runner.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas {
namespace {

YAML::Node section(std::initializer_list<std::pair<const char*, const char*>> keys) {
  YAML::Node n(YAML::NodeType::Map);
  for (const auto& [k, v] : keys) n[k] = v;
  return n;
}

TEST(PredictorSearch, IsRegisteredAndChecksItsConfig) {
  register_generators();
  ASSERT_TRUE(is_strategy("predictor"));
  auto space = make_space("nb201");
  EXPECT_NO_THROW(make_strategy("predictor", {}, space, 0));
  for (const auto& bad : {section({{"model", "oracle"}}), section({{"features", "paths"}}),
                          section({{"local_archs", "9"}}), section({{"local_rare", "4"}}),
                          section({{"ensemble", "0"}}), section({{"explore", "-1"}}),
                          section({{"seed_archs", "1"}}), section({{"colour", "red"}})}) {
    EXPECT_THROW(make_strategy("predictor", bad, space, 0), Error) << YAML::Dump(bad);
  }
}

TEST(PredictorSearch, RanksSmallSpacesWholeAndSamplesLargeOnes) {
  register_generators();
  auto small = make_space("nb201");
  auto large = make_space("nb101");
  auto whole = [](std::unique_ptr<Strategy> s) {
    return dynamic_cast<PredictorSearch&>(*s).ranks_whole_space();
  };
  EXPECT_TRUE(whole(make_strategy("predictor", {}, small, 0)));
  EXPECT_FALSE(whole(make_strategy("predictor", section({{"max_enumerate", "1000"}}), small, 0)));
  EXPECT_FALSE(whole(make_strategy("predictor", {}, large, 0)));
}

// After the seeds, each round proposes local_archs unqueried neighbours of the best answer and
// then the model's best-ranked architectures; every round ranks all the unqueried ones of a
// small space.
TEST(PredictorSearch, RoundsStartWithNeighboursOfTheBestAndRankTheRestOfTheSpace) {
  register_generators();
  auto space = std::make_shared<test::ToySpace>(4, 4);  // 256 architectures
  auto eval = std::make_shared<test::ToyEvaluator>(std::vector<int>{1, 2, 3, 0});
  RunConfig rc;
  rc.budget = 40;
  rc.batch_size = 8;
  Runner runner(rc, space, make_strategy("predictor", {}, space, 3), eval);
  runner.on_step([](int64_t, double) {});
  const RunResult r = runner.run();
  ASSERT_EQ(r.trials.size(), 40u);
  test::expect_rounds_start_with_neighbors(*space, r.trials, 16, 8, 3);
  const auto& info = dynamic_cast<PredictorSearch&>(runner.strategy()).last_round();
  EXPECT_EQ(info.ranked, 256 - 32);  // all but the 32 answered before the round
  EXPECT_EQ(info.local, 3);
  EXPECT_EQ(info.random_fill, 0);
}

// A space too large to rank whole: each round ranks `samples` distinct unqueried random
// architectures, and the search still beats its random seeds.
TEST(PredictorSearch, SamplesALargeSpace) {
  register_generators();
  auto space = std::make_shared<test::ToySpace>(6, 4);  // 4096 architectures
  auto eval = std::make_shared<test::ToyEvaluator>(std::vector<int>{1, 2, 3, 0, 1, 2});
  RunConfig rc;
  rc.budget = 48;
  rc.batch_size = 8;
  Runner runner(rc, space,
                make_strategy("predictor", section({{"max_enumerate", "1000"}, {"samples", "300"}}), space, 5),
                eval);
  runner.on_step([](int64_t, double) {});
  const RunResult r = runner.run();
  ASSERT_EQ(r.trials.size(), 48u);
  const auto& info = dynamic_cast<PredictorSearch&>(runner.strategy()).last_round();
  EXPECT_EQ(info.ranked, 300);
  EXPECT_EQ(info.local, 3);
  double seeds_best = r.trials[0].objective;
  for (size_t i = 0; i < 16; ++i) seeds_best = std::max(seeds_best, r.trials[i].objective);
  EXPECT_GT(r.trials[static_cast<size_t>(r.best)].objective, seeds_best);
}

// On the NAS-Bench-201 CIFAR-10 table, 100 queries: the predictor's best answers are on average
// well above random search's (random: about 91.1, the optimum 91.6067).
TEST(PredictorSearch, BeatsRandomSearchOnNb201) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/genius/nasbench201_cifar10.json");
  register_generators();
  auto bench = std::shared_ptr<const TabularBenchmark>(open_benchmark("nb201-cifar10"));
  auto eval = std::make_shared<TabularEvaluator>(bench);
  double mean_best[2] = {0, 0};  // best val_acc, mean over the seeds
  const char* names[2] = {"predictor", "random"};
  for (int k = 0; k < 2; ++k) {
    for (uint64_t seed = 0; seed < 8; ++seed) {
      RunConfig cfg;
      cfg.budget = 100;
      Runner runner(cfg, bench->space_ptr(), make_strategy(names[k], {}, bench->space_ptr(), seed), eval);
      runner.on_step([](int64_t, double) {});
      const RunResult r = runner.run();
      mean_best[k] += r.trials[static_cast<size_t>(r.best)].objective / 8;
    }
  }
  EXPECT_GT(mean_best[0], mean_best[1] + 0.3);  // 8 seeds: 91.48 against 91.00
  EXPECT_GT(mean_best[0], 91.4);
}

}  // namespace
}  // namespace nas
