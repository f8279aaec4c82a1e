#include "libnas/search/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "libnas/search/history.h"
#include "libnas/util/error.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"
#include "libnas/util/strings.h"

namespace nas {

void RunConfig::validate() const {
  NAS_CHECK(budget >= 0, "--budget (budget): expected a positive number of evaluations, found {}",
            budget);
  NAS_CHECK(std::isfinite(budget_seconds) && budget_seconds >= 0,
            "--budget-seconds (budget_seconds): expected a positive number of seconds, found {}",
            budget_seconds);
  NAS_CHECK(budget > 0 || budget_seconds > 0,
            "no budget: pass --budget N (evaluations) and/or --budget-seconds T (recorded "
            "training seconds)");
  NAS_CHECK(batch_size >= 1, "batch_size: expected at least 1, found {}", batch_size);
  NAS_CHECK(!objective.empty(), "objective: expected a metric name such as val_acc, found ''");
  NAS_CHECK(max_duplicates >= 1, "max_duplicates: expected at least 1, found {}", max_duplicates);
  constraint.validate();
}

int64_t best_trial(const std::vector<Trial>& trials, int64_t upto) {
  int64_t best = -1;
  const int64_t n = std::min<int64_t>(upto, static_cast<int64_t>(trials.size()));
  for (int64_t i = 0; i < n; ++i) {
    if (!present(trials[i].objective)) continue;
    if (best < 0 || better_objective(trials[i].objective, trials[best].objective)) best = i;
  }
  return best;
}

double run_objective(const Metrics& m, const RunConfig& cfg) {
  return cfg.constraint.met(m) ? m.get(cfg.objective) : kMissing;
}

std::string to_string(StopReason r) {
  switch (r) {
    case StopReason::Budget: return "budget";
    case StopReason::BudgetSeconds: return "budget_seconds";
    case StopReason::Duplicates: return "duplicates";
    case StopReason::Exhausted: return "exhausted";
  }
  return "?";
}

Runner::Runner(RunConfig cfg, std::shared_ptr<const SearchSpace> space,
               std::unique_ptr<Strategy> strategy, std::shared_ptr<Evaluator> evaluator,
               RunDir* run_dir)
    : cfg_(std::move(cfg)),
      space_(std::move(space)),
      strategy_(std::move(strategy)),
      evaluator_(std::move(evaluator)),
      run_dir_(run_dir) {
  NAS_CHECK(space_ && strategy_ && evaluator_, "runner: a space, a strategy and an evaluator are needed");
  label_ = strategy_->name();
}

namespace {

// Formats an arch for messages without letting a formatting failure hide the real problem.
std::string arch_text(const SearchSpace& space, const Arch& a) {
  try {
    return space.format(a);
  } catch (const Error&) {
    return "(unformattable arch)";
  }
}

}  // namespace

RunResult Runner::run() {
  cfg_.validate();
  NAS_CHECK(cfg_.budget_seconds <= 0 || evaluator_->records_train_seconds(),
            "--budget-seconds: {} records no training time; use --budget (evaluations) instead",
            evaluator_->describe());

  // Resume: the recorded evaluations stand in for the evaluator while the strategy is replayed.
  HistoryFile recorded;
  std::string history_path;
  std::optional<HistoryWriter> writer;
  if (run_dir_) {
    history_path = run_dir_->file("history.jsonl");
    if (run_dir_->resumed()) {
      recorded = read_history(history_path);
      if (!recorded.records.empty() || recorded.torn)
        spdlog::info("{}: resuming from {} ({} evaluations recorded{})", label_, history_path,
                     recorded.records.size(), recorded.torn ? ", a torn last line dropped" : "");
    }
    writer.emplace(history_path, recorded.valid_bytes);
    strategy_->set_checkpoint_dir(run_dir_->checkpoints());
  }
  strategy_->set_goal({cfg_.objective, cfg_.constraint});
  size_t next_replay = 0;

  RunResult result;
  std::unordered_map<std::string, size_t> cache;  // canonical hash -> index in result.trials
  int64_t consecutive_dups = 0;
  double best_value = kMissing;

  std::optional<Progress> progress;
  if (!on_step_) progress.emplace(label_, cfg_.budget > 0 ? cfg_.budget : -1, "queries");

  const auto queries = [&] { return static_cast<int64_t>(result.trials.size()); };
  const auto seconds_spent = [&] {
    return cfg_.budget_seconds > 0 && result.train_seconds >= cfg_.budget_seconds;
  };

  while (true) {
    if (cfg_.budget > 0 && queries() >= cfg_.budget) {
      result.stop = StopReason::Budget;
      break;
    }
    if (seconds_spent()) {
      result.stop = StopReason::BudgetSeconds;
      break;
    }
    int64_t n = cfg_.batch_size;
    if (cfg_.budget > 0) n = std::min(n, cfg_.budget - queries());
    std::vector<Arch> proposals = strategy_->ask(static_cast<int>(n));
    if (proposals.empty()) {
      result.stop = StopReason::Exhausted;
      spdlog::info("{}: the strategy has nothing left to propose after {} evaluations", label_,
                   queries());
      break;
    }
    if (static_cast<int64_t>(proposals.size()) > n)
      fail_runtime("strategy {} answered ask({}) with {} proposals", strategy_->name(), n,
                   proposals.size());

    // Classify: answered before (cache), repeated within this batch, or new.
    std::vector<std::string> hashes(proposals.size());
    std::vector<int64_t> first_in_batch(proposals.size(), -1);
    std::vector<size_t> fresh;
    std::unordered_map<std::string, size_t> batch_seen;
    for (size_t i = 0; i < proposals.size(); ++i) {
      try {
        space_->validate(proposals[i]);
      } catch (const Error& e) {
        fail_runtime("strategy {} proposed an arch outside space {}: {}", strategy_->name(),
                     space_->name(), e.what());
      }
      hashes[i] = space_->hash(proposals[i]);
      if (cache.count(hashes[i])) continue;
      auto it = batch_seen.find(hashes[i]);
      if (it != batch_seen.end()) {
        first_in_batch[i] = static_cast<int64_t>(it->second);
      } else {
        batch_seen.emplace(hashes[i], i);
        fresh.push_back(i);
      }
    }

    // Measure the new ones: recorded answers first (a prefix, in order), the rest live.
    std::vector<Metrics> metrics(proposals.size());
    std::vector<double> wall(proposals.size(), 0.0);
    std::vector<bool> live(proposals.size(), false);
    std::vector<Arch> live_archs;
    std::vector<size_t> live_index;
    for (size_t i : fresh) {
      if (next_replay < recorded.records.size()) {
        const HistoryRecord& rec = recorded.records[next_replay];
        const std::string text = arch_text(*space_, proposals[i]);
        NAS_CHECK(rec.hash == hashes[i] && rec.arch == text,
                  "{}:{}: on resume the strategy proposed {} where the history records {}; the "
                  "config or the seed changed since that run (start a new --out, or --overwrite)",
                  history_path, next_replay + 1, quote(text), quote(rec.arch));
        metrics[i] = rec.metrics;
        wall[i] = rec.wall_s;
        ++next_replay;
        ++result.replayed;
      } else {
        live[i] = true;
        live_archs.push_back(proposals[i]);
        live_index.push_back(i);
      }
    }
    if (!live_archs.empty()) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<Metrics> got = evaluator_->evaluate(live_archs);
      double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (got.size() != live_archs.size())
        fail_runtime("evaluator {} returned {} results for {} archs", evaluator_->describe(),
                     got.size(), live_archs.size());
      for (size_t k = 0; k < live_index.size(); ++k) {
        metrics[live_index[k]] = std::move(got[k]);
        wall[live_index[k]] = dt / static_cast<double>(live_archs.size());
      }
    }

    // Charge in proposal order; with a seconds budget the evaluation that crosses it is the last
    // one kept, and later proposals of the batch are dropped.
    std::vector<Trial> told;
    std::vector<int64_t> trial_of(proposals.size(), -1);
    for (size_t i = 0; i < proposals.size(); ++i) {
      Trial t;
      auto cached = cache.find(hashes[i]);
      if (cached != cache.end() || first_in_batch[i] >= 0) {
        size_t src = cached != cache.end()
                         ? cached->second
                         : static_cast<size_t>(trial_of[static_cast<size_t>(first_in_batch[i])]);
        t = result.trials[src];
        t.arch = proposals[i];
        t.duplicate = true;
        t.wall_seconds = 0.0;
        ++result.duplicates;
        ++consecutive_dups;
      } else {
        if (seconds_spent()) break;
        t.id = queries();
        t.arch = proposals[i];
        t.hash = hashes[i];
        t.metrics = std::move(metrics[i]);
        t.objective = run_objective(t.metrics, cfg_);
        t.wall_seconds = wall[i];
        if (cfg_.budget_seconds > 0) {
          NAS_CHECK(present(t.metrics.train_seconds),
                    "--budget-seconds: {} has no training time for arch {}",
                    evaluator_->describe(), quote(arch_text(*space_, t.arch)));
        }
        if (present(t.metrics.train_seconds)) result.train_seconds += t.metrics.train_seconds;
        if (writer && live[i]) {
          HistoryRecord rec{t.id, arch_text(*space_, t.arch), t.hash, t.metrics, t.wall_seconds};
          writer->append(rec);
        }
        trial_of[i] = t.id;
        cache.emplace(t.hash, static_cast<size_t>(t.id));
        if (present(t.objective) && (result.best < 0 || better_objective(t.objective, best_value))) {
          result.best = t.id;
          best_value = t.objective;
        }
        result.trials.push_back(t);
        consecutive_dups = 0;
      }
      told.push_back(std::move(t));
    }
    strategy_->tell(told);

    if (on_step_) on_step_(queries(), best_value);
    if (progress) progress->update(queries(), present(best_value) ? best_value : Progress::kNoBest);

    if (consecutive_dups >= cfg_.max_duplicates) {
      result.stop = StopReason::Duplicates;
      spdlog::warn("{}: the strategy proposed {} already-evaluated archs in a row; stopping after "
                   "{} evaluations (raise max_duplicates to insist)",
                   label_, consecutive_dups, queries());
      break;
    }
  }
  if (progress) progress->finish();
  NAS_CHECK(next_replay == recorded.records.size(),
            "{}: the history records {} evaluations but the resumed run stopped after {}; the "
            "config, the seed or the budget changed since that run",
            history_path, recorded.records.size(), next_replay);
  return result;
}

}  // namespace nas
