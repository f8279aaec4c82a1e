#include "libnas/search/experiment.h"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "libnas/search/history.h"
#include "libnas/search/pareto.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"
#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

std::string seed_dir(const std::string& root, const std::string& strategy, int64_t seed) {
  return (fs::path(root) / strategy / fmt::format("seed_{}", seed)).string();
}

namespace {

YAML::Node section_of(const ExperimentConfig& cfg, const std::string& strategy) {
  if (!cfg.sections || !cfg.sections.IsMap()) return YAML::Node();
  return cfg.sections[strategy];
}

std::string yaml_text(const YAML::Node& n) {
  YAML::Emitter em;
  em << n;
  return em.c_str();
}

// Everything that decides what a seed's run proposes and when it stops; a finished seed is
// read back only when this is unchanged.
std::string fingerprint(const ExperimentConfig& cfg, const std::string& strategy, int64_t seed,
                        const Strategy& s) {
  YAML::Node n(YAML::NodeType::Map);
  n["strategy"] = strategy;
  n["seed"] = seed;
  n["run"] = encode_config(cfg.run);
  n["config"] = s.config();
  return yaml_text(n);
}

}  // namespace

RunResult run_from_history(const HistoryFile& history, const SearchSpace& space,
                           const RunConfig& run) {
  RunResult r;
  for (const auto& rec : history.records) {
    Trial t;
    t.id = rec.id;
    t.arch = space.parse(rec.arch);
    t.hash = rec.hash;
    t.metrics = rec.metrics;
    t.objective = run_objective(rec.metrics, run);
    t.wall_seconds = rec.wall_s;
    if (present(t.metrics.train_seconds)) r.train_seconds += t.metrics.train_seconds;
    r.trials.push_back(std::move(t));
  }
  r.best = best_trial(r.trials, static_cast<int64_t>(r.trials.size()));
  return r;
}

namespace {

// A finished seed's result from its history, without replaying the strategy.
RunResult read_back(const std::string& dir, const Json& done, const SearchSpace& space,
                    const RunConfig& run) {
  const std::string path = (fs::path(dir) / "history.jsonl").string();
  HistoryFile h = read_history(path);
  const int64_t expected = done.value("queries", int64_t{-1});
  NAS_CHECK(!h.torn && static_cast<int64_t>(h.records.size()) == expected,
            "{}: expected {} complete lines as result.json says, found {}{}", path, expected,
            h.records.size(), h.torn ? " and a torn line" : "");
  RunResult r = run_from_history(h, space, run);
  r.duplicates = done.value("duplicates", int64_t{0});
  r.replayed = static_cast<int64_t>(r.trials.size());
  const std::string stop = done.value("stop", std::string("budget"));
  for (StopReason s : {StopReason::Budget, StopReason::BudgetSeconds, StopReason::Duplicates,
                       StopReason::Exhausted}) {
    if (to_string(s) == stop) r.stop = s;
  }
  return r;
}

void write_result(const std::string& dir, const std::string& strategy, int64_t seed,
                  const std::string& print, const RunResult& r, const SearchSpace& space) {
  OrderedJson j = OrderedJson::object();
  j["strategy"] = strategy;
  j["seed"] = seed;
  j["queries"] = static_cast<int64_t>(r.trials.size());
  j["duplicates"] = r.duplicates;
  j["train_seconds"] = json_number(r.train_seconds);
  j["stop"] = to_string(r.stop);
  if (r.best >= 0) {
    const Trial& b = r.trials[static_cast<size_t>(r.best)];
    OrderedJson best = OrderedJson::object();
    best["id"] = b.id;
    best["arch"] = space.format(b.arch);
    best["objective"] = json_number(b.objective);
    best["test_acc"] = json_number(b.metrics.test_acc);
    j["best"] = best;
  } else {
    j["best"] = nullptr;
  }
  j["fingerprint"] = print;
  write_file_atomic((fs::path(dir) / "result.json").string(), j.dump(2) + "\n");
}

// Atomic writes go through "<name>.tmp.<pid>"; a run killed in the middle of one leaves that
// file behind, which a resume removes.
void remove_stale_temp_files(const std::string& root) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 >= name.size()) continue;
    if (name.find_first_not_of("0123456789", at + 5) == std::string::npos) stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove(p, ec);
}

}  // namespace

void validate_experiment(const ExperimentConfig& cfg, std::shared_ptr<const SearchSpace> space) {
  NAS_CHECK(!cfg.strategies.empty(), "no strategy: pass --strategy NAME[,NAME..]; known: {}",
            join(strategy_names(), ", "));
  std::set<std::string> names;
  for (const auto& s : cfg.strategies) {
    NAS_CHECK(is_strategy(s), "--strategy: unknown strategy {}; known strategies: {}", quote(s),
              join(strategy_names(), ", "));
    NAS_CHECK(names.insert(s).second, "--strategy: {} is listed twice", s);
  }
  NAS_CHECK(!cfg.seeds.empty(), "--seeds: expected at least one seed");
  std::set<int64_t> seeds;
  for (int64_t s : cfg.seeds) {
    NAS_CHECK(s >= 0, "--seeds: expected non-negative seeds, found {}", s);
    NAS_CHECK(seeds.insert(s).second, "--seeds: seed {} is listed twice", s);
  }
  cfg.run.validate();
  // Building each strategy once decodes its section and shows it the goal, so a bad key or a
  // goal it cannot pursue fails before any run starts.
  for (const auto& s : cfg.strategies)
    make_strategy(s, section_of(cfg, s), space, 0)->set_goal({cfg.run.objective, cfg.run.constraint});
}

std::vector<SeedRun> run_experiment(const ExperimentConfig& cfg,
                                    std::shared_ptr<const SearchSpace> space,
                                    std::shared_ptr<Evaluator> evaluator, const RunDir& root) {
  validate_experiment(cfg, space);
  if (root.resumed()) remove_stale_temp_files(root.path());
  const int64_t runs = static_cast<int64_t>(cfg.strategies.size() * cfg.seeds.size());
  Progress progress("search", cfg.run.budget > 0 ? cfg.run.budget * runs : -1, "queries");
  int64_t done_before = 0;
  std::vector<SeedRun> out;
  for (const auto& name : cfg.strategies) {
    for (int64_t seed : cfg.seeds) {
      SeedRun sr;
      sr.strategy = name;
      sr.seed = seed;
      sr.dir = seed_dir(root.path(), name, seed);
      auto strategy = make_strategy(name, section_of(cfg, name), space, static_cast<uint64_t>(seed));
      const std::string print = fingerprint(cfg, name, seed, *strategy);
      const std::string result_path = (fs::path(sr.dir) / "result.json").string();
      const std::string label = fmt::format("{} seed {}", name, seed);

      bool finished = false;
      if (root.resumed() && file_exists(result_path)) {
        Json done = parse_json(read_file(result_path), result_path);
        if (done.is_object() && done.value("fingerprint", std::string()) == print) {
          sr.result = read_back(sr.dir, done, *space, cfg.run);
          sr.read_back = true;
          finished = true;
        }
      }
      if (!finished) {
        const bool resume_seed = root.resumed() && fs::is_directory(sr.dir);
        RunDir dir("search", sr.dir, resume_seed, /*overwrite=*/true);
        std::error_code ec;
        fs::remove(result_path, ec);  // stale until this run finishes
        Runner runner(cfg.run, space, std::move(strategy), evaluator, &dir);
        runner.set_label(label);
        runner.on_step([&](int64_t q, double best) {
          progress.update(done_before + q, present(best) ? best : Progress::kNoBest, label);
        });
        sr.result = runner.run();
        if (cfg.run.constraint.active()) write_pareto(sr.dir, sr.result.trials, *space, cfg.run);
        write_result(sr.dir, name, seed, print, sr.result, *space);
      }
      done_before += static_cast<int64_t>(sr.result.trials.size());
      const auto& r = sr.result;
      if (r.best >= 0) {
        const Trial& b = r.trials[static_cast<size_t>(r.best)];
        spdlog::debug("{}: {} evaluations{}, best {} {:.4f} (test_acc {:.4f}), stop: {}", label,
                      r.trials.size(), sr.read_back ? " (read back)" : "", cfg.run.objective,
                      b.objective, b.metrics.test_acc, to_string(r.stop));
      }
      progress.update(done_before, Progress::kNoBest, label);
      out.push_back(std::move(sr));
    }
  }
  progress.finish();
  return out;
}

}  // namespace nas
