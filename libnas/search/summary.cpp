#include "libnas/search/summary.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "libnas/util/error.h"
#include "libnas/util/plot.h"

namespace nas {

std::vector<int64_t> summary_budgets(int64_t max_queries) {
  std::vector<int64_t> out;
  for (int64_t scale = 10; scale > 0 && scale <= max_queries; scale *= 10) {
    for (int64_t m : {1, 2, 5}) {
      if (m * scale <= max_queries) out.push_back(m * scale);
    }
  }
  if (max_queries > 0 && (out.empty() || out.back() != max_queries)) out.push_back(max_queries);
  return out;
}

std::pair<double, double> mean_std(const std::vector<double>& values) {
  if (values.empty()) return {kMissing, kMissing};
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  double sq = 0;
  for (double v : values) sq += (v - mean) * (v - mean);
  return {mean, std::sqrt(sq / static_cast<double>(values.size()))};
}

namespace {

}  // namespace

Summary summarize(const std::vector<SeedRun>& runs, const std::string& objective,
                  const std::optional<Oracle>& oracle) {
  Summary s;
  s.objective = objective;
  s.oracle = oracle;
  int64_t max_queries = 0;
  for (const auto& r : runs)
    max_queries = std::max<int64_t>(max_queries, static_cast<int64_t>(r.result.trials.size()));
  s.budgets = summary_budgets(max_queries);

  std::vector<std::string> order;
  for (const auto& r : runs) {
    if (std::find(order.begin(), order.end(), r.strategy) == order.end()) order.push_back(r.strategy);
  }
  for (const auto& name : order) {
    StrategySummary ss;
    ss.strategy = name;
    std::vector<const RunResult*> results;
    for (const auto& r : runs) {
      if (r.strategy != name) continue;
      results.push_back(&r.result);
      ss.seeds.push_back(r.seed);
      const auto& trials = r.result.trials;
      ss.queries.push_back(static_cast<int64_t>(trials.size()));
      const int64_t b = best_trial(trials, static_cast<int64_t>(trials.size()));
      ss.best_ids.push_back(b);
      ss.final_best.push_back(b >= 0 ? trials[b].objective : kMissing);
      ss.final_test.push_back(b >= 0 ? trials[b].metrics.test_acc : kMissing);
    }
    for (int64_t budget : s.budgets) {
      std::vector<double> best, test, regret;
      for (const RunResult* r : results) {
        const int64_t b = best_trial(r->trials, budget);
        if (b < 0) continue;
        best.push_back(r->trials[b].objective);
        test.push_back(r->trials[b].metrics.test_acc);
        if (oracle) regret.push_back(oracle->objective - r->trials[b].objective);
      }
      BudgetPoint p;
      p.queries = budget;
      p.seeds = static_cast<int64_t>(best.size());
      std::tie(p.best_mean, p.best_std) = mean_std(best);
      std::tie(p.test_mean, p.test_std) = mean_std(test);
      if (oracle) std::tie(p.regret_mean, p.regret_std) = mean_std(regret);
      ss.points.push_back(p);
    }
    // Best-so-far curves, one running maximum per seed.
    int64_t longest = 0;
    for (const RunResult* r : results)
      longest = std::max<int64_t>(longest, static_cast<int64_t>(r->trials.size()));
    std::vector<double> running(results.size(), kMissing);
    for (int64_t q = 0; q < longest; ++q) {
      std::vector<double> values;
      for (size_t k = 0; k < results.size(); ++k) {
        const auto& trials = results[k]->trials;
        if (q < static_cast<int64_t>(trials.size()) &&
            better_objective(trials[q].objective, running[k]))
          running[k] = trials[q].objective;
        if (present(running[k])) values.push_back(running[k]);
      }
      auto [mean, sd] = mean_std(values);
      ss.curve_mean.push_back(mean);
      ss.curve_std.push_back(sd);
      ss.curve_min.push_back(values.empty() ? kMissing : *std::min_element(values.begin(), values.end()));
      ss.curve_max.push_back(values.empty() ? kMissing : *std::max_element(values.begin(), values.end()));
    }
    s.strategies.push_back(std::move(ss));
  }
  return s;
}

OrderedJson summary_to_json(const Summary& s) {
  OrderedJson j = OrderedJson::object();
  j["objective"] = s.objective;
  if (s.oracle) {
    j["oracle"] = {{"arch", s.oracle->arch},
                   {s.objective, json_number(s.oracle->objective)},
                   {"test_acc", json_number(s.oracle->test_acc)}};
  } else {
    j["oracle"] = nullptr;
  }
  j["budgets"] = s.budgets;
  OrderedJson strategies = OrderedJson::object();
  for (const auto& ss : s.strategies) {
    OrderedJson st = OrderedJson::object();
    OrderedJson seeds = OrderedJson::array();
    for (size_t k = 0; k < ss.seeds.size(); ++k) {
      seeds.push_back({{"seed", ss.seeds[k]},
                       {"queries", ss.queries[k]},
                       {"best_id", ss.best_ids[k]},
                       {"best", json_number(ss.final_best[k])},
                       {"test_acc", json_number(ss.final_test[k])}});
    }
    st["seeds"] = seeds;
    OrderedJson points = OrderedJson::array();
    for (const auto& p : ss.points) {
      OrderedJson pj = OrderedJson::object();
      pj["queries"] = p.queries;
      pj["seeds"] = p.seeds;
      pj["best_mean"] = json_number(p.best_mean);
      pj["best_std"] = json_number(p.best_std);
      pj["test_mean"] = json_number(p.test_mean);
      pj["test_std"] = json_number(p.test_std);
      pj["regret_mean"] = json_number(p.regret_mean);
      pj["regret_std"] = json_number(p.regret_std);
      points.push_back(pj);
    }
    st["at"] = points;
    strategies[ss.strategy] = st;
  }
  j["strategies"] = strategies;
  return j;
}

std::string summary_table(const Summary& s) {
  auto pm = [](double m, double sd) {
    if (!present(m)) return std::string("-");
    return fmt::format("{:.4f} ± {:.4f}", m, present(sd) ? sd : 0.0);
  };
  std::string out;
  if (s.oracle)
    out += fmt::format("oracle: best {} {:.4f} (test_acc {:.4f}) {}\n", s.objective,
                       s.oracle->objective, s.oracle->test_acc, s.oracle->arch);
  const std::string best_head = "best " + s.objective;
  out += fmt::format("{:<10} {:>7} {:>5}  {:<21}  {:<21}  {:<21}\n", "strategy", "queries", "seeds",
                     best_head, "test_acc of that arch", "regret");
  for (const auto& ss : s.strategies) {
    for (const auto& p : ss.points) {
      out += fmt::format("{:<10} {:>7} {:>5}  {:<21}  {:<21}  {:<21}\n", ss.strategy, p.queries,
                         p.seeds, pm(p.best_mean, p.best_std), pm(p.test_mean, p.test_std),
                         pm(p.regret_mean, p.regret_std));
    }
  }
  return out;
}

std::optional<Plot> best_so_far_plot(const Summary& s) {
  std::vector<PlotSeries> series;
  int64_t longest = 0;
  for (const auto& ss : s.strategies) {
    PlotSeries p;
    p.label = fmt::format("{} (mean ± std, {} seeds)", ss.strategy, ss.seeds.size());
    for (size_t q = 0; q < ss.curve_mean.size(); ++q) {
      if (!present(ss.curve_mean[q])) continue;
      p.x.push_back(static_cast<double>(q + 1));
      p.y.push_back(ss.curve_mean[q]);
      p.lo.push_back(ss.curve_mean[q] - ss.curve_std[q]);
      p.hi.push_back(ss.curve_mean[q] + ss.curve_std[q]);
    }
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ss.curve_mean.size()));
    if (!p.x.empty()) series.push_back(std::move(p));
  }
  if (series.empty()) return std::nullopt;
  // The first few evaluations of every strategy are near-random and would squash the part
  // where strategies differ; the y axis starts at the lowest band edge after 5% of the budget.
  const size_t from = static_cast<size_t>(std::max<int64_t>(1, longest / 20)) - 1;
  double y_min = kMissing, y_max = kMissing;
  for (const auto& p : series) {
    for (size_t k = 0; k < p.x.size(); ++k) {
      if (static_cast<size_t>(p.x[k]) - 1 < from) continue;
      if (!present(y_min) || p.lo[k] < y_min) y_min = p.lo[k];
      if (!present(y_max) || p.hi[k] > y_max) y_max = p.hi[k];
    }
  }
  if (s.oracle && present(s.oracle->objective) && longest > 0) {
    PlotSeries o;
    o.label = fmt::format("optimum {:.4f}", s.oracle->objective);
    o.x = {1.0, static_cast<double>(longest)};
    o.y = {s.oracle->objective, s.oracle->objective};
    o.dashed = true;
    series.push_back(std::move(o));
    if (present(y_max)) y_max = std::max(y_max, s.oracle->objective);
  }
  PlotSpec spec;
  spec.title = "Best-so-far " + s.objective;
  spec.xlabel = "evaluations (queries)";
  spec.ylabel = "best " + s.objective + " so far";
  spec.log_x = longest >= 100;
  spec.x_min = 1;
  spec.x_max = static_cast<double>(std::max<int64_t>(longest, 2));
  if (present(y_min) && present(y_max) && y_max > y_min) {
    const double pad = 0.05 * (y_max - y_min);
    spec.y_min = y_min - pad;
    spec.y_max = y_max + pad;
  }
  return Plot{spec, series};
}

bool plot_best_so_far(const Summary& s, const std::string& dir) {
  const std::optional<Plot> plot = best_so_far_plot(s);
  return plot && plot_lines(dir + "/best_so_far", plot->spec, plot->series);
}

}  // namespace nas
