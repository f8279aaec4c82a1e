// Multi-seed, multi-strategy searches: each (strategy, seed) runs into
// RUN_DIR/<strategy>/seed_<k>/ with its own history.jsonl, and resumes as a whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "libnas/search/evaluator.h"
#include "libnas/search/history.h"
#include "libnas/search/runner.h"
#include "libnas/search/summary.h"
#include "libnas/util/run_dir.h"

namespace nas {

struct ExperimentConfig {
  std::vector<std::string> strategies;
  std::vector<int64_t> seeds;
  RunConfig run;
  YAML::Node sections;  // a map from strategy name to its config section (absent = defaults)
};

// Checks the config (known strategies, their sections, seeds, budgets) without running it.
void validate_experiment(const ExperimentConfig& cfg, std::shared_ptr<const SearchSpace> space);

// Runs every strategy for every seed, strategies outer, seeds inner. When `root` was opened for
// resume, a seed that finished with the same config is read back from its history without
// replaying, an interrupted one is replayed and continued, and the others run afresh. Each
// finished seed gets a result.json next to its history.
std::vector<SeedRun> run_experiment(const ExperimentConfig& cfg,
                                    std::shared_ptr<const SearchSpace> space,
                                    std::shared_ptr<Evaluator> evaluator, const RunDir& root);

// The trials of a history file, with the objective each scores under `run` (the best one, the
// training seconds charged); the counts only the runner knows (duplicates, stop) are left at
// their defaults.
RunResult run_from_history(const HistoryFile& history, const SearchSpace& space,
                           const RunConfig& run);

// RUN_DIR/<strategy>/seed_<k>
std::string seed_dir(const std::string& root, const std::string& strategy, int64_t seed);

}  // namespace nas
