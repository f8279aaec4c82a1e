// The Pareto front of a run's answers over two metrics: the objective (higher is better) and a
// constrained cost such as a latency (lower is better). Hardware-aware runs write it next to
// their history: pareto.jsonl and a plot of every answer with the front highlighted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libnas/search/runner.h"
#include "libnas/util/plot.h"

namespace nas {

// Indices of the trials no other trial dominates (at least as good in both metrics and better
// in one), ordered by cost ascending; trials missing either metric are left out. Duplicate
// trials (answered from the cache) are skipped; equal points keep the first.
std::vector<int64_t> pareto_front(const std::vector<Trial>& trials, const std::string& objective,
                                  const std::string& cost);

// Every answer as a point (cost on x, objective on y), the front as a line, the bound dashed.
Plot pareto_plot(const std::vector<Trial>& trials, const std::vector<int64_t>& front,
                 const RunConfig& cfg);

// Writes dir/pareto.jsonl (one line per front member: id, arch, both metrics, whether it meets
// the constraint) and dir/pareto.{dat,gp,svg,png} (cost on x, objective on y: every answer as
// a point, the front as a line, the bound dashed). cfg.constraint names the cost metric.
// Returns whether the images were drawn.
bool write_pareto(const std::string& dir, const std::vector<Trial>& trials,
                  const SearchSpace& space, const RunConfig& cfg);

}  // namespace nas
