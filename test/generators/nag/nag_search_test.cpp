// NAG as a search strategy: the local step of its rounds.
#include "generators/nag/nag_search.h"

#include <gtest/gtest.h>

#include "generators/generators.h"
#include "libnas/search/evaluator.h"
#include "libnas/search/runner.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"
#include "test/libnas/search/toy_search.h"

namespace nas::nag {
namespace {

// val_acc = the sum of the vertices' label ids: any space with a graph view.
class LabelSumEvaluator : public Evaluator {
 public:
  std::vector<Metrics> evaluate(const std::vector<Arch>& archs) override {
    std::vector<Metrics> out;
    for (const auto& a : archs) {
      Metrics m;
      m.val_acc = 0;
      for (const auto& c : a.cells)
        for (int op : c.ops) m.val_acc += op;
      out.push_back(m);
    }
    return out;
  }
  std::string describe() const override { return "label sum"; }
};

// With local_archs k, each round proposes k unqueried neighbours of the best answer first, then
// what the GAN generated.
TEST(NagSearch, LocalStepProposesNeighboursOfTheBestAnswerFirst) {
  register_generators();
  auto space = make_space("nb201");
  YAML::Node cfg;
  cfg["iterations"] = 20;
  cfg["samples"] = 100;
  cfg["local_archs"] = 4;
  RunConfig run;
  run.budget = 40;
  run.batch_size = 10;
  Runner runner(run, space, make_strategy("nag", cfg, space, 1),
                std::make_shared<LabelSumEvaluator>());
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  test::expect_rounds_start_with_neighbors(*space, r.trials, 20, 10, 4);
  EXPECT_EQ(dynamic_cast<NagSearch&>(runner.strategy()).last_round().local, 4);
  cfg["local_archs"] = 11;  // more than new_archs (10)
  EXPECT_THROW(make_strategy("nag", cfg, space, 0), Error);
}

}  // namespace
}  // namespace nas::nag
