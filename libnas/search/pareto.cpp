#include "libnas/search/pareto.h"

#include <algorithm>
#include <limits>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/plot.h"

namespace nas {

std::vector<int64_t> pareto_front(const std::vector<Trial>& trials, const std::string& objective,
                                  const std::string& cost) {
  std::vector<int64_t> order;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Metrics& m = trials[i].metrics;
    if (!trials[i].duplicate && present(m.get(objective)) && present(m.get(cost)))
      order.push_back(static_cast<int64_t>(i));
  }
  // By cost ascending, then objective descending, then first answered: a sweep keeps each
  // point that beats every cheaper one.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    const Metrics& ma = trials[a].metrics;
    const Metrics& mb = trials[b].metrics;
    if (ma.get(cost) != mb.get(cost)) return ma.get(cost) < mb.get(cost);
    return ma.get(objective) > mb.get(objective);
  });
  std::vector<int64_t> front;
  double best = -std::numeric_limits<double>::infinity();
  for (int64_t i : order) {
    const double v = trials[i].metrics.get(objective);
    if (v > best) {
      front.push_back(i);
      best = v;
    }
  }
  return front;
}

Plot pareto_plot(const std::vector<Trial>& trials, const std::vector<int64_t>& front,
                 const RunConfig& cfg) {
  const std::string& cost = cfg.constraint.metric;
  PlotSeries all = empty_series("answers", PlotStyle::Points);
  PlotSeries line = empty_series("Pareto front", PlotStyle::LinesPoints);
  for (const Trial& t : trials) {
    const double x = t.metrics.get(cost), y = t.metrics.get(cfg.objective);
    if (t.duplicate || !present(x) || !present(y)) continue;
    all.x.push_back(x);
    all.y.push_back(y);
  }
  for (int64_t i : front) {
    const Trial& t = trials[static_cast<size_t>(i)];
    line.x.push_back(t.metrics.get(cost));
    line.y.push_back(t.metrics.get(cfg.objective));
  }
  Plot plot;
  plot.series = {all, line};
  if (!all.y.empty()) {
    PlotSeries bound = empty_series(fmt::format("{} <= {:g}", cost, cfg.constraint.max));
    bound.dashed = true;
    bound.x = {cfg.constraint.max, cfg.constraint.max};
    bound.y = {*std::min_element(all.y.begin(), all.y.end()),
               *std::max_element(all.y.begin(), all.y.end())};
    plot.series.push_back(bound);
  }
  plot.spec.title = fmt::format("{} against {}: {} answers, {} on the front", cfg.objective, cost,
                                all.x.size(), front.size());
  plot.spec.xlabel = cost;
  plot.spec.ylabel = cfg.objective;
  return plot;
}

bool write_pareto(const std::string& dir, const std::vector<Trial>& trials,
                  const SearchSpace& space, const RunConfig& cfg) {
  NAS_CHECK(cfg.constraint.active(), "pareto front: the run has no constraint.metric");
  const std::string& cost = cfg.constraint.metric;
  const std::vector<int64_t> front = pareto_front(trials, cfg.objective, cost);
  std::string lines;
  for (int64_t i : front) {
    const Trial& t = trials[static_cast<size_t>(i)];
    OrderedJson j = OrderedJson::object();
    j["id"] = t.id;
    j["arch"] = space.format(t.arch);
    j[cfg.objective] = json_number(t.metrics.get(cfg.objective));
    j[cost] = json_number(t.metrics.get(cost));
    j["meets_bound"] = cfg.constraint.met(t.metrics);
    lines += j.dump() + "\n";
  }
  write_file_atomic(dir + "/pareto.jsonl", lines);
  const Plot plot = pareto_plot(trials, front, cfg);
  if (plot.series.front().x.empty()) return false;
  return plot_lines(dir + "/pareto", plot.spec, plot.series);
}

}  // namespace nas
