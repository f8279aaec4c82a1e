// AG-Net as a search strategy: the rank weights (the reference's 10e-3), every space with a graph
// view, resume from the round checkpoints, and a search on the NAS-Bench-201 table that beats
// random search.
#include "generators/agnet/agnet_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>

#include "generators/generators.h"
#include "libnas/search/evaluator.h"
#include "libnas/search/runner.h"
#include "libnas/util/error.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas::agnet {
namespace {

namespace fs = std::filesystem;

// val_acc = sum over cells and vertices of a seeded random weight of the vertex's label at its
// position: a landscape over the graph view of any space.
// A metric "cost" of the same form, from weights of another seed, is reported beside it.
class LabelEvaluator : public Evaluator {
 public:
  LabelEvaluator(std::shared_ptr<const SearchSpace> space, uint64_t seed)
      : space_(std::move(space)), w_(weights(seed)), cost_w_(weights(seed + 1000)) {}
  std::vector<Metrics> evaluate(const std::vector<Arch>& archs) override {
    std::vector<Metrics> out;
    for (const auto& a : archs) {
      Metrics m;
      m.val_acc = sum(w_, a);
      m.extra["cost"] = sum(cost_w_, a);
      out.push_back(m);
    }
    return out;
  }
  std::string describe() const override { return "label landscape"; }

 private:
  std::vector<double> weights(uint64_t seed) const {
    Rng rng(seed);
    std::vector<double> w(
        static_cast<size_t>(space_->num_cells() * space_->max_nodes() * space_->vocab().size()));
    for (auto& x : w) x = rng.uniform();
    return w;
  }
  double sum(const std::vector<double>& w, const Arch& a) const {
    const int N = space_->max_nodes(), V = space_->vocab().size();
    double total = 0;
    for (size_t c = 0; c < a.cells.size(); ++c)
      for (int v = 0; v < a.cells[c].num_nodes(); ++v)
        total += w[(c * N + v) * V + a.cells[c].ops[v]];
    return total;
  }

  std::shared_ptr<const SearchSpace> space_;
  std::vector<double> w_, cost_w_;
};

RunConfig budget_of(int64_t n, int64_t batch = 8) {
  RunConfig c;
  c.budget = n;
  c.batch_size = batch;
  return c;
}

// Small sizes for the suite: a short pre-training and short rounds.
YAML::Node small_agnet(const std::string& cache_dir) {
  YAML::Node n;
  n["cache_dir"] = cache_dir;
  n["pretrain"]["steps"] = 300;
  n["pretrain"]["lr"] = 2e-3;
  n["epochs"] = 5;
  n["seed_archs"] = 16;
  n["new_archs"] = 8;
  n["candidates"] = 40;
  return n;
}

TEST(AgNetSearch, IsRegisteredAndChecksItsConfig) {
  register_generators();
  EXPECT_TRUE(is_strategy("agnet"));
  test::TempDir tmp;
  YAML::Node cfg = small_agnet(tmp.path());
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"alpha", "1.5"}, {"weight_factor", "0"}, {"new_archs", "0"}, {"no_such_key", "1"},
           {"ensemble", "3"} /* the mlp surrogate is one model */, {"explore", "-1"}}) {
    YAML::Node bad = YAML::Clone(cfg);
    bad[key] = value;
    EXPECT_THROW(make_strategy("agnet", bad, make_space("nb201"), 0), Error) << key;
  }
  YAML::Node odd = YAML::Clone(cfg);
  odd["generator"]["node_size"] = 31;
  EXPECT_THROW(make_strategy("agnet", odd, make_space("nb201"), 0), Error);
  // A space whose graph view has no input and output labels has nothing to grow a cell from.
  try {
    make_strategy("agnet", cfg, std::make_shared<test::ToySpace>(4, 3), 0);
    ADD_FAILURE() << "agnet accepted a space without input and output labels";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no input or output label"), std::string::npos) << e.what();
  }
}

// w = 1 / (0.01 n + rank): the reference's weight_factor is written 10e-3, which is 0.01 (not
// 1e-3, which would weigh the best answer ten times more), and NaN ranks last.
TEST(AgNetSearch, RankWeightsAreOneOverHundredthOfNPlusRank) {
  std::vector<double> obj = {1.0, 3.0, 2.0, std::nan(""), 3.0};
  std::vector<double> w = AgNetSearch::rank_weights(obj, 0.01);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_DOUBLE_EQ(w[1], 1.0 / 0.05);        // best, first of the tie
  EXPECT_DOUBLE_EQ(w[4], 1.0 / (0.05 + 1));  // tie, later
  EXPECT_DOUBLE_EQ(w[2], 1.0 / (0.05 + 2));
  EXPECT_DOUBLE_EQ(w[0], 1.0 / (0.05 + 3));
  EXPECT_DOUBLE_EQ(w[3], 1.0 / (0.05 + 4));  // NaN last
}

// agnet-xgb's bagged ensemble ranks optimistically: of two candidates with the same mean
// prediction, the one its members disagree on ranks above the one they agree on (explore > 0),
// and the spread is the members' population standard deviation.
// agnet-hw's second set of trees learns the constrained metric: after the random seeds its
// proposals are over the bound (met by a quarter of random cells) far less often than those of
// agnet-xgb, which searches under the same bound without modelling the cost.
TEST(AgNetSearch, HardwareAwareTreesProposeWithinTheBound) {
  register_generators();
  auto space = make_space("nb201");
  auto eval = std::make_shared<LabelEvaluator>(space, 11);
  std::vector<double> costs;
  Rng rng(3);
  for (int i = 0; i < 2001; ++i) costs.push_back(eval->evaluate({space->sample(rng)})[0].get("cost"));
  std::nth_element(costs.begin(), costs.begin() + 500, costs.end());
  const double bound = costs[500];
  test::TempDir tmp;
  std::map<std::string, double> over_share;
  for (const std::string strategy : {"agnet-hw", "agnet-xgb"}) {
    int64_t over = 0, after_seeds = 0;
    for (uint64_t seed : {1, 2, 3}) {
      RunConfig rc = budget_of(64);
      rc.constraint.metric = "cost";
      rc.constraint.max = bound;
      Runner runner(rc, space, make_strategy(strategy, small_agnet(tmp.path()), space, seed), eval);
      runner.on_step([](int64_t, double) {});
      const RunResult r = runner.run();
      ASSERT_EQ(r.trials.size(), 64u);
      for (size_t i = 16; i < r.trials.size(); ++i, ++after_seeds)
        over += r.trials[i].metrics.get("cost") > bound;
    }
    over_share[strategy] = static_cast<double>(over) / static_cast<double>(after_seeds);
  }
  EXPECT_LT(over_share["agnet-hw"], 0.4);  // random cells: 0.75
  EXPECT_LT(over_share["agnet-hw"] + 0.12, over_share["agnet-xgb"]);
}

// Every space with a graph view searches: proposals are valid (the Runner checks them), the
// generator supplies them after the seeds, and what it proposes scores better on average than
// the random seeds did.
TEST(AgNetSearch, SearchesEverySpaceWithAGraphView) {
  register_generators();
  test::TempDir tmp;
  for (const std::string name : {"nb201", "nb101", "macro", "channel-resnet"}) {
    auto space = make_space(name);
    auto eval = std::make_shared<LabelEvaluator>(space, 7);
    Runner runner(budget_of(48), space, make_strategy("agnet", small_agnet(tmp.path()), space, 1), eval);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    ASSERT_EQ(r.trials.size(), 48u) << name;
    double seeds = 0, generated = 0;
    for (int i = 0; i < 48; ++i) (i < 16 ? seeds : generated) += r.trials[i].objective;
    EXPECT_GT(generated / 32, seeds / 16) << name;
    const auto& info = dynamic_cast<AgNetSearch&>(runner.strategy()).last_round();
    EXPECT_GE(info.candidates, 8) << name;
    EXPECT_EQ(info.random_fill, 0) << name;
  }
}

// An interrupted search resumed from its run directory proposes exactly what an uninterrupted
// one does, reading the fine-tuned rounds back from their checkpoints.
TEST(AgNetSearch, ResumeReadsRoundCheckpointsAndContinuesIdentically) {
  register_generators();
  auto space = make_space("nb201");
  auto eval = std::make_shared<LabelEvaluator>(space, 5);
  test::TempDir tmp;
  const YAML::Node cfg = small_agnet(tmp.file("cache"));
  auto run = [&](const std::string& dir, int64_t budget, bool resume) {
    RunDir run_dir("search", dir, resume);
    Runner runner(budget_of(budget), space, make_strategy("agnet", cfg, space, 4), eval, &run_dir);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    return std::make_pair(r, dynamic_cast<AgNetSearch&>(runner.strategy()).rounds_read_back());
  };
  auto whole = run(tmp.file("whole"), 56, false);
  auto first = run(tmp.file("cut"), 40, false);
  EXPECT_EQ(first.second, 0);
  EXPECT_TRUE(fs::exists(tmp.file("cut") + "/checkpoints/agnet_round_001.pt"));
  auto resumed = run(tmp.file("cut"), 56, true);
  EXPECT_EQ(resumed.second, 3);  // rounds 1-3 read back, 4 and 5 fine-tuned
  EXPECT_EQ(resumed.first.replayed, 40);
  ASSERT_EQ(resumed.first.trials.size(), whole.first.trials.size());
  for (size_t i = 0; i < whole.first.trials.size(); ++i)
    EXPECT_EQ(resumed.first.trials[i].hash, whole.first.trials[i].hash) << "trial " << i;
}

// With local_archs k, each round proposes k unqueried neighbours of the best answer first (both
// surrogates: the trees rank them, the MLP takes them in random order); the rest are generated.
TEST(AgNetSearch, LocalStepProposesNeighboursOfTheBestAnswerFirst) {
  register_generators();
  auto space = make_space("nb201");
  auto eval = std::make_shared<LabelEvaluator>(space, 3);
  test::TempDir tmp;
  for (const std::string strategy : {"agnet", "agnet-xgb"}) {
    YAML::Node cfg = small_agnet(tmp.path());
    cfg["local_archs"] = 3;
    Runner runner(budget_of(40), space, make_strategy(strategy, cfg, space, 2), eval);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    SCOPED_TRACE(strategy);
    test::expect_rounds_start_with_neighbors(*space, r.trials, 16, 8, 3);
    const auto& info = dynamic_cast<AgNetSearch&>(runner.strategy()).last_round();
    EXPECT_EQ(info.local, 3);
    EXPECT_EQ(info.random_fill, 0);
  }
  YAML::Node bad = small_agnet(tmp.path());
  bad["local_archs"] = 9;  // more than new_archs (8)
  EXPECT_THROW(make_strategy("agnet", bad, space, 0), Error);
  bad["local_archs"] = 2;
  bad["local_rare"] = 3;  // more than local_archs
  EXPECT_THROW(make_strategy("agnet", bad, space, 0), Error);
}

}  // namespace
}  // namespace nas::agnet
