// Summaries of multi-seed searches: per strategy, mean +- std over seeds of the best objective
// found (chosen by the objective, never by test accuracy), of the test accuracy of that arch,
// and of the regret to the benchmark's optimum, at budgets 10, 20, 50, 100, 200, 500, 1000, ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libnas/search/runner.h"
#include "libnas/util/json.h"
#include "libnas/util/plot.h"

namespace nas {

// One finished (strategy, seed) run.
struct SeedRun {
  std::string strategy;
  int64_t seed = 0;
  std::string dir;       // its run directory ("" when not written)
  RunResult result;
  bool read_back = false;  // finished earlier and read back from its history on resume
};

// The best record of the benchmark by the objective (the regret reference).
struct Oracle {
  std::string arch;
  double objective = kMissing;
  double test_acc = kMissing;
};

// Statistics over seeds at one budget.
struct BudgetPoint {
  int64_t queries = 0;
  int64_t seeds = 0;
  double best_mean = kMissing, best_std = kMissing;      // best objective found
  double test_mean = kMissing, test_std = kMissing;      // test_acc of that arch
  double regret_mean = kMissing, regret_std = kMissing;  // oracle objective - best objective
};

struct StrategySummary {
  std::string strategy;
  std::vector<int64_t> seeds;
  std::vector<int64_t> queries;        // evaluations made, per seed
  std::vector<int64_t> best_ids;       // id of the final best, per seed
  std::vector<double> final_best;      // final best objective, per seed
  std::vector<double> final_test;      // its test_acc, per seed
  std::vector<BudgetPoint> points;     // at each summary budget
  // Best-so-far objective after q = 1..curve_mean.size() evaluations, over seeds (a seed that
  // stopped early keeps its last value).
  std::vector<double> curve_mean, curve_std, curve_min, curve_max;
};

struct Summary {
  std::string objective;
  std::optional<Oracle> oracle;
  std::vector<int64_t> budgets;
  std::vector<StrategySummary> strategies;  // in the order first seen
};

// 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, ... up to max_queries, plus max_queries itself.
std::vector<int64_t> summary_budgets(int64_t max_queries);

// Mean and population standard deviation (NaN for no values).
std::pair<double, double> mean_std(const std::vector<double>& values);

Summary summarize(const std::vector<SeedRun>& runs, const std::string& objective,
                  const std::optional<Oracle>& oracle);
OrderedJson summary_to_json(const Summary& s);
// A plain-text table, one row per strategy and budget.
std::string summary_table(const Summary& s);
// Mean best-so-far objective per strategy against evaluations, with a mean +- std band and the
// optimum dashed; nullopt when no strategy has a curve.
std::optional<Plot> best_so_far_plot(const Summary& s);
// best_so_far.{dat,gp,svg,png} in dir: mean best-so-far objective per strategy with a
// mean +- std band. Returns whether the images were drawn.
bool plot_best_so_far(const Summary& s, const std::string& dir);

}  // namespace nas
