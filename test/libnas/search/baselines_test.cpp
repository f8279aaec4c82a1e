#include "libnas/search/baselines.h"

#include <gtest/gtest.h>

#include "libnas/search/runner.h"
#include "libnas/search/summary.h"
#include "libnas/util/config.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas {
namespace {

using test::ToyEvaluator;
using test::ToySpace;

RunResult run_toy(const std::string& strategy, uint64_t seed, int64_t budget,
                  const YAML::Node& section = {}, int64_t batch = 1) {
  auto space = std::make_shared<ToySpace>(5, 4);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{3, 0, 2, 1, 3});
  RunConfig cfg;
  cfg.budget = budget;
  cfg.batch_size = batch;
  cfg.max_duplicates = 100000;  // random search collecting the last few archs of a small space
  Runner runner(cfg, space, make_strategy(strategy, section, space, seed), eval);
  runner.on_step([](int64_t, double) {});
  return runner.run();
}

std::vector<std::string> proposals(const RunResult& r) {
  ToySpace space(5, 4);
  std::vector<std::string> out;
  for (const auto& t : r.trials) out.push_back(space.format(t.arch));
  return out;
}

TEST(SearchBaselines, RegistryListsTheBaselinesAndRejectsUnknownNames) {
  auto names = strategy_names();
  for (const char* n : {"local", "random", "rea"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  auto space = std::make_shared<ToySpace>(3, 3);
  try {
    make_strategy("evolution", {}, space, 0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known strategies: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rea"), std::string::npos) << e.what();
  }
}

TEST(SearchBaselines, SectionsRejectUnknownKeysAndBadValues) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto msg = [&](const std::string& name, const std::string& yaml) {
    try {
      make_strategy(name, YAML::Load(yaml), space, 0);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("rea", "{populaton: 5}").find("rea.populaton"), std::string::npos);
  EXPECT_NE(msg("rea", "{sample_size: 50}").find("rea.sample_size"), std::string::npos);
  EXPECT_NE(msg("rea", "{population: 0}").find("rea.population"), std::string::npos);
  EXPECT_NE(msg("random", "{k: 1}").find("random.k"), std::string::npos);
  EXPECT_NE(msg("local", "{k: 1}").find("local.k"), std::string::npos);
  EXPECT_NE(msg("rea", "[1, 2]").find("expected a map"), std::string::npos);
  // The resolved section lists every key with its value.
  auto rea = make_strategy("rea", YAML::Load("{population: 7}"), space, 0);
  EXPECT_EQ(rea->config()["population"].as<int>(), 7);
  EXPECT_EQ(rea->config()["sample_size"].as<int>(), ReaConfig{}.sample_size);
}

TEST(SearchBaselines, SameSeedSameProposalsOtherSeedOthers) {
  for (const char* name : {"random", "rea", "local"}) {
    auto a = proposals(run_toy(name, 4, 60));
    auto b = proposals(run_toy(name, 4, 60));
    auto c = proposals(run_toy(name, 5, 60));
    EXPECT_EQ(a, b) << name;
    EXPECT_NE(a, c) << name;
  }
}

TEST(SearchBaselines, ReaStartsWithRandomSamplesThenMutates) {
  YAML::Node cfg = YAML::Load("{population: 8, sample_size: 3}");
  RunResult r = run_toy("rea", 9, 40, cfg);
  ToySpace space(5, 4);
  // After the random phase, every child is one mutation away from some earlier arch.
  for (size_t i = 8; i < r.trials.size(); ++i) {
    bool near = false;
    for (size_t k = 0; k < i && !near; ++k) {
      int diff = 0;
      for (size_t p = 0; p < 5; ++p) diff += r.trials[i].arch.cells[0].ops[p] != r.trials[k].arch.cells[0].ops[p];
      near = diff == 1;
    }
    EXPECT_TRUE(near) << "trial " << i << " " << space.format(r.trials[i].arch);
  }
}

TEST(SearchBaselines, LocalSearchClimbsToTheOptimumOfASmoothSpace) {
  // The toy landscape has no local optimum but the global one, so one climb must reach it.
  for (uint64_t seed = 0; seed < 5; ++seed) {
    RunResult r = run_toy("local", seed, 200);
    ASSERT_GE(r.best, 0);
    EXPECT_EQ(proposals(r)[static_cast<size_t>(r.best)], "30213") << "seed " << seed;
  }
}

TEST(SearchBaselines, EachBaselineFindsTheOptimumOfASmallSpace) {
  // 4^5 = 1024 archs; the optimum (val 90) is 30213.
  struct Case {
    const char* name;
    int64_t budget;
  };
  for (const Case c : {Case{"rea", 200}, Case{"local", 200}, Case{"random", 1024}}) {
    for (uint64_t seed = 0; seed < 4; ++seed) {
      RunResult r = run_toy(c.name, seed, c.budget);
      ASSERT_GE(r.best, 0);
      EXPECT_DOUBLE_EQ(r.trials[static_cast<size_t>(r.best)].objective, 90.0)
          << c.name << " seed " << seed;
    }
  }
  // Random search exhausts the space: every arch exactly once.
  RunResult all = run_toy("random", 1, 1024);
  EXPECT_EQ(all.trials.size(), 1024u);
}

TEST(SearchBaselines, BatchedAsksWork) {
  for (const char* name : {"random", "rea", "local"}) {
    RunResult r = run_toy(name, 3, 150, {}, 8);
    EXPECT_EQ(r.trials.size(), 150u) << name;
    EXPECT_GE(r.trials[static_cast<size_t>(r.best)].objective, 88.0) << name;
  }
}

TEST(SearchBaselines, ReaOnNb201Cifar10ReachesAHighValue) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/genius/nasbench201_cifar10.json");
  auto bench = std::shared_ptr<const TabularBenchmark>(open_benchmark("nb201-cifar10"));
  auto eval = std::make_shared<TabularEvaluator>(bench);
  std::vector<double> best;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    RunConfig cfg;
    cfg.budget = 200;
    Runner runner(cfg, bench->space_ptr(), make_strategy("rea", {}, bench->space_ptr(), seed), eval);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    ASSERT_EQ(r.trials.size(), 200u);
    best.push_back(r.trials[static_cast<size_t>(r.best)].objective);
  }
  // The optimum is 91.6067; random search with 200 queries averages about 91.1.
  EXPECT_GE(mean_std(best).first, 91.3);
}

}  // namespace
}  // namespace nas
