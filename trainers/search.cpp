// search: runs search strategies on a tabular benchmark over one or more seeds and writes each
// run's history, a summary over seeds and a best-so-far plot to RUN_DIR.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "generators/generators.h"
#include "libnas/bench/tabular_benchmark.h"
#include "libnas/search/experiment.h"
#include "libnas/search/summary.h"
#include "libnas/util/cli.h"
#include "libnas/util/config.h"
#include "libnas/util/device.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "libnas/util/run_dir.h"
#include "libnas/util/strings.h"

namespace {

// Everything a search config file may set; the strategies' own sections sit beside these keys,
// one per strategy name.
struct SearchConfig {
  std::string strategy;        // comma-separated strategy names
  std::string benchmark;
  std::string benchmark_file;
  std::string seeds = "0";
  bool plot = true;
  nas::RunConfig run;

  template <class V>
  void fields(V& v) {
    v("strategy", strategy, "strategy name, or several separated by commas");
    v("benchmark", benchmark, "tabular benchmark name");
    v("benchmark_file", benchmark_file, "benchmark data file (default: the shared data directory)");
    v("seeds", seeds, "seeds as first:end (end excluded), a list a,b,c or one number");
    run.fields(v);
    v("plot", plot, "draw best_so_far.svg/.png with gnuplot");
  }
};

// Splits the config into the tool's keys and the strategy sections, rejecting anything else.
YAML::Node tool_keys(const YAML::Node& root) {
  SearchConfig probe;
  std::set<std::string> allowed;
  for (const auto& kv : nas::config_keys(probe)) allowed.insert(kv.first.substr(0, kv.first.find('.')));
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (allowed.count(key)) {
      out[key] = kv.second;
      continue;
    }
    NAS_CHECK(nas::is_strategy(key),
              "config: unknown key {}; allowed keys: {}; and a section per strategy: {}", key,
              nas::join(std::vector<std::string>(allowed.begin(), allowed.end()), ", "),
              nas::join(nas::strategy_names(), ", "));
  }
  return out;
}

// The benchmark's best answer under the run's objective and constraint (the regret reference).
// nas::Error for an objective or constraint metric the benchmark lacks, or a bound that no
// architecture meets.
nas::Oracle constrained_oracle(const nas::TabularBenchmark& bench, const nas::RunConfig& run) {
  const nas::Constraint& c = run.constraint;
  if (!c.active()) {
    auto best = bench.best(run.objective);
    const double value = best.second.get(run.objective);
    NAS_CHECK(nas::present(value),
              "objective {}: benchmark {} has no values for it (try val_acc or test_acc)",
              run.objective, bench.name());
    return {bench.space().format(best.first), value, best.second.test_acc};
  }
  const std::vector<std::string> fields = bench.fields();
  NAS_CHECK(std::find(fields.begin(), fields.end(), c.metric) != fields.end(),
            "constraint.metric: benchmark {} has no column {}; its columns: {}", bench.name(),
            nas::quote(c.metric), nas::join(fields, ", "));
  std::optional<std::pair<nas::Arch, nas::Metrics>> best;
  double lowest = std::numeric_limits<double>::infinity();
  bench.for_each([&](const nas::Arch& a, const nas::Metrics& m) {
    if (nas::present(m.get(c.metric))) lowest = std::min(lowest, m.get(c.metric));
    const double v = nas::run_objective(m, run);
    if (nas::present(v) && (!best || v > best->second.get(run.objective))) best.emplace(a, m);
  });
  NAS_CHECK(lowest <= c.max, "constraint.max: no architecture of {} has {} <= {} (the smallest is {})",
            bench.name(), c.metric, c.max, lowest);
  NAS_CHECK(best.has_value(),
            "objective {}: benchmark {} has no values for it among the architectures with {} <= {}",
            run.objective, bench.name(), c.metric, c.max);
  return {bench.space().format(best->first), best->second.get(run.objective),
          best->second.test_acc};
}

}  // namespace

int main(int argc, char** argv) {
  nas::register_generators();
  nas::Tool tool("search",
                 "Runs search strategies on a tabular benchmark over one or more seeds. Writes "
                 "RUN_DIR/<strategy>/seed_<k>/history.jsonl per run, RUN_DIR/summary.json (mean "
                 "+- std over seeds of the best validation accuracy, the test accuracy of that "
                 "arch and the regret to the optimum) and RUN_DIR/best_so_far.svg/.png. With "
                 "constraint.metric and constraint.max set, an answer over the bound costs its "
                 "query but is never the best, and each run writes its Pareto front.");
  tool.example("search --strategy rea --benchmark nb201-cifar10 --budget 200 --seeds 0:20",
               "regularized evolution, 200 queries, 20 seeds");
  tool.example("search --strategy nao,rea --benchmark nb201-cifar10 --budget 100 --seeds 0:20",
               "NAO (gradient steps in a learned embedding) against regularized evolution");
  tool.example("search --strategy agnet,rea --benchmark nb201-cifar10 --budget 200 --seeds 0:20",
               "AG-Net (a pre-trained graph generator steered by weighted retraining)");
  tool.example("search --strategy agnet-hw,rea --benchmark nb201-cifar10 --budget 100 --set "
               "constraint.metric=latency_pixel3_ms --set constraint.max=10.7",
               "hardware-aware: the best answers keep the Pixel 3 latency at most 10.7 ms; each "
               "run writes pareto.jsonl and pareto.svg");
  tool.example("search --strategy llm --benchmark macro-cifar10 --budget 10 --seeds 0:3 --set "
               "llm.endpoint=http://localhost:8080/v1 --set llm.api_key_env=",
               "a language model proposes each architecture (GENIUS); any OpenAI-compatible "
               "server, the key from $OPENAI_API_KEY unless llm.api_key_env says otherwise");
  tool.example("search --strategy rea,random,local --benchmark nb201-cifar10 --budget 200 "
               "--seeds 0:20 --out runs/baselines",
               "three baselines side by side, one summary and one plot");
  tool.example("search --config configs/search_nb201.yaml --set rea.population=20",
               "everything from a config file, one key overridden");
  tool.example("search --out runs/baselines --resume",
               "continue an interrupted run (its config.yaml is reused)");
  tool.example("search --list", "list the strategies and benchmarks");

  nas::CommonOptions common;
  tool.add_common(common, nas::kConfigFlags | nas::kRunDirFlags);
  CLI::App& app = tool.app();
  std::string strategy, benchmark, benchmark_file, seeds, objective;
  int64_t budget = 0, batch_size = 1;
  double budget_seconds = 0;
  bool list = false;
  auto* o_strategy = app.add_option("--strategy", strategy, "Strategy, or several: rea,random,local,nao,nag,agnet,agnet-xgb,agnet-hw,llm,predictor (--list)");
  auto* o_benchmark = app.add_option("--benchmark", benchmark, "Tabular benchmark, e.g. nb201-cifar10");
  auto* o_file = app.add_option("--benchmark-file", benchmark_file, "Benchmark data file");
  auto* o_budget = app.add_option("--budget", budget, "Evaluations (queries) per run");
  auto* o_seconds = app.add_option("--budget-seconds", budget_seconds,
                                   "Recorded training seconds per run (benchmarks that record them)");
  auto* o_seeds = app.add_option("--seeds", seeds, "Seeds: A:B (B excluded), a,b,c or N");
  auto* o_batch = app.add_option("--batch-size", batch_size, "Proposals asked at a time");
  auto* o_objective = app.add_option("--objective", objective, "Metric to maximise (default val_acc)");
  app.add_option("--threads", common.threads,
                 "CPU threads of strategies that train models, such as nao (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--list", list, "List strategies and benchmarks, then exit");

  return tool.run(argc, argv, [&]() -> int {
    if (list) {
      std::printf("strategies:\n");
      for (const auto& s : nas::strategy_names())
        std::printf("  %-10s %s\n", s.c_str(), nas::strategy_description(s).c_str());
      std::printf("benchmarks:\n");
      for (const auto& b : nas::benchmark_names()) std::printf("  %s\n", b.c_str());
      return 0;
    }
    YAML::Node root = common.load_run_config();
    if (root["strategy"].IsSequence()) {
      std::vector<std::string> names;
      for (const auto& n : root["strategy"]) names.push_back(n.as<std::string>());
      root["strategy"] = nas::join(names, ",");
    }

    // Flags override the config file.
    NAS_CHECK(o_budget->count() == 0 || budget > 0,
              "--budget: expected a positive number of evaluations, found {}", budget);
    NAS_CHECK(o_seconds->count() == 0 || budget_seconds > 0,
              "--budget-seconds: expected a positive number of seconds, found {}", budget_seconds);
    if (o_strategy->count()) root["strategy"] = strategy;
    if (o_benchmark->count()) root["benchmark"] = benchmark;
    if (o_file->count()) root["benchmark_file"] = benchmark_file;
    if (o_budget->count()) root["budget"] = budget;
    if (o_seconds->count()) root["budget_seconds"] = budget_seconds;
    if (o_seeds->count()) root["seeds"] = seeds;
    if (o_batch->count()) root["batch_size"] = batch_size;
    if (o_objective->count()) root["objective"] = objective;

    SearchConfig cfg;
    nas::decode_config(tool_keys(root), cfg);
    nas::ExperimentConfig exp;
    for (const auto& s : nas::split(cfg.strategy, ',')) {
      const std::string name = nas::trim(s);
      if (!name.empty()) exp.strategies.push_back(name);
    }
    exp.seeds = nas::parse_int_range(cfg.seeds, "--seeds");
    exp.run = cfg.run;
    exp.sections = root;
    // Everything that needs no data is checked before the benchmark loads.
    NAS_CHECK(!exp.strategies.empty(), "no strategy: pass --strategy NAME[,NAME..]; known: {}",
              nas::join(nas::strategy_names(), ", "));
    for (const auto& name : exp.strategies)
      NAS_CHECK(nas::is_strategy(name), "--strategy: unknown strategy {}; known strategies: {}",
                nas::quote(name), nas::join(nas::strategy_names(), ", "));
    for (int64_t s : exp.seeds) NAS_CHECK(s >= 0, "--seeds: expected non-negative seeds, found {}", s);
    exp.run.validate();
    NAS_CHECK(!cfg.benchmark.empty(), "no benchmark: pass --benchmark NAME; known: {}",
              nas::join(nas::benchmark_names(), ", "));

    auto bench = nas::open_benchmark(cfg.benchmark, cfg.benchmark_file);
    auto space = bench->space_ptr();
    nas::validate_experiment(exp, space);
    auto evaluator = std::make_shared<nas::TabularEvaluator>(bench);
    NAS_CHECK(exp.run.budget_seconds <= 0 || evaluator->records_train_seconds(),
              "--budget-seconds: benchmark {} records no training time; use --budget", bench->name());
    const nas::Oracle oracle = constrained_oracle(*bench, cfg.run);

    // Strategies with models (nao) train them with LibTorch on the CPU.
    nas::init_threads(common.threads);
    nas::RunDir run_dir("search", common.out, common.resume, common.overwrite);
    nas::log_to_file(run_dir.file("log.txt"));
    YAML::Node resolved = nas::encode_config(cfg);
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (nas::is_strategy(key)) resolved[key] = kv.second;
    }
    for (const auto& name : exp.strategies)
      resolved[name] = nas::make_strategy(name, root[name], space, 0)->config();
    nas::save_yaml_file(resolved, run_dir.file("config.yaml"));
    spdlog::info("search: {} on {} ({}), {} seed(s), run directory {}",
                 nas::join(exp.strategies, ","), bench->name(), evaluator->describe(),
                 exp.seeds.size(), run_dir.path());

    auto runs = nas::run_experiment(exp, space, evaluator, run_dir);
    nas::Summary summary = nas::summarize(runs, cfg.run.objective, oracle);
    nas::OrderedJson j = nas::summary_to_json(summary);
    j["benchmark"] = bench->name();
    nas::write_file_atomic(run_dir.file("summary.json"), j.dump(2) + "\n");
    std::printf("%s", nas::summary_table(summary).c_str());
    if (cfg.plot && nas::plot_best_so_far(summary, run_dir.path()))
      std::printf("plot: %s/best_so_far.svg (.png)\n", run_dir.path().c_str());
    std::printf("run directory: %s\n", run_dir.path().c_str());
    return 0;
  });
}
