// The Runner owns the search loop: budgets, de-duplication by canonical hash, history.jsonl,
// progress and resume. Strategies propose, evaluators measure, the Runner decides what counts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libnas/search/evaluator.h"
#include "libnas/search/strategy.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/run_dir.h"

namespace nas {

// What one run may spend and optimise. A budget of 0 is "no budget of that kind"; at least one
// must be set. Keys are the same in a config file and in RUN_DIR/config.yaml.
struct RunConfig {
  int64_t budget = 0;            // evaluations (queries); 0 = none
  double budget_seconds = 0.0;   // training seconds the evaluator recorded; 0 = none
  int64_t batch_size = 1;        // proposals asked at a time
  std::string objective = "val_acc";  // metric to maximise
  int64_t max_duplicates = 1000; // consecutive duplicate proposals before giving up
  Constraint constraint;          // a bound on another metric (hardware-aware search)

  template <class V>
  void fields(V& v) {
    v("budget", budget, "evaluations to spend (0 = no query budget)");
    v("budget_seconds", budget_seconds,
      "recorded training seconds to spend (0 = none); the evaluation that crosses it is the last");
    v("batch_size", batch_size, "proposals asked from the strategy at a time");
    v("objective", objective, "metric the search maximises (val_acc, test_acc, or an extra key)");
    v("max_duplicates", max_duplicates,
      "consecutive already-evaluated proposals after which the run stops with a warning");
    v("constraint", constraint, "a bound on another metric every best answer must meet");
  }
  // nas::Error naming the flag when a value is out of range or no budget is set.
  void validate() const;
};

// A trial's objective under the run's config: the objective metric, NaN when it is missing or
// the constraint is not met.
double run_objective(const Metrics& m, const RunConfig& cfg);

// Index of the best objective among the first `upto` trials (first on ties); -1 when none has
// one (NaN objectives, such as answers over the constraint, are never the best).
int64_t best_trial(const std::vector<Trial>& trials, int64_t upto);

// How a run ended.
enum class StopReason { Budget, BudgetSeconds, Duplicates, Exhausted };
std::string to_string(StopReason r);

struct RunResult {
  std::vector<Trial> trials;    // charged evaluations in order; trials[i].id == i
  int64_t best = -1;            // index of the best objective (first on ties); -1 when none
                                // has one (NaN: missing, or over the constraint)
  int64_t duplicates = 0;       // proposals answered from the cache (not charged)
  int64_t replayed = 0;         // evaluations read back from history.jsonl on resume
  double train_seconds = 0.0;   // recorded training seconds charged (missing times count 0)
  StopReason stop = StopReason::Budget;
};

class Runner {
 public:
  // `run_dir` may be null (nothing is written, no resume). With a run directory that was opened
  // for resume, run() replays its history.jsonl first.
  Runner(RunConfig cfg, std::shared_ptr<const SearchSpace> space,
         std::unique_ptr<Strategy> strategy, std::shared_ptr<Evaluator> evaluator,
         RunDir* run_dir = nullptr);

  // Called after every batch with the charged evaluations so far and the best objective; when
  // set, the Runner draws no progress line of its own.
  using StepCallback = std::function<void(int64_t queries, double best)>;
  void on_step(StepCallback cb) { on_step_ = std::move(cb); }
  // Label of the progress line and log messages (default: the strategy's name).
  void set_label(std::string label) { label_ = std::move(label); }

  // Runs until a budget is spent, the strategy stops proposing, or it proposes only duplicates
  // max_duplicates times in a row. Resume: the strategy is replayed from scratch on the recorded
  // metrics; a replayed proposal that differs from the recorded one is a nas::Error (the config
  // or the seed changed).
  RunResult run();

  Strategy& strategy() { return *strategy_; }

 private:
  RunConfig cfg_;
  std::shared_ptr<const SearchSpace> space_;
  std::unique_ptr<Strategy> strategy_;
  std::shared_ptr<Evaluator> evaluator_;
  RunDir* run_dir_;
  StepCallback on_step_;
  std::string label_;
};

}  // namespace nas
