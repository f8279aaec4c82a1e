#include "generators/nao/generate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "libnas/util/error.h"

namespace nas::nao {

void GenerationConfig::validate(const std::string& section) const {
  NAS_CHECK(top >= 1, "config key {}.top: expected at least 1, found {}", section, top);
  NAS_CHECK(new_archs >= 1, "config key {}.new_archs: expected at least 1, found {}", section,
            new_archs);
  NAS_CHECK(step_start > 0, "config key {}.step_start: expected a positive value, found {}",
            section, step_start);
  NAS_CHECK(step_increment > 0,
            "config key {}.step_increment: expected a positive value, found {}", section,
            step_increment);
  NAS_CHECK(max_step >= step_start,
            "config key {}.max_step: expected at least {}.step_start ({}), found {}", section,
            section, step_start, max_step);
}

Generated generate_new_archs(Controller& controller, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg) {
  Generated g;
  if (seeds.empty()) return g;
  std::vector<std::vector<int>> used(
      seeds.begin(), seeds.begin() + static_cast<std::ptrdiff_t>(
                                         std::min<size_t>(seeds.size(), static_cast<size_t>(cfg.top))));
  // The encoding and its gradient do not depend on the step size: computed once.
  const auto direction = controller->direction(token_tensor(used, controller->device()));
  const int64_t want = cfg.new_archs;
  for (double eta = cfg.step_start;
       eta <= cfg.max_step + 1e-9 && static_cast<int64_t>(g.archs.size()) < want;
       eta += cfg.step_increment) {
    g.last_step = eta;
    for (const auto& row : token_rows(controller->decode_step(direction, eta))) {
      Arch arch;
      try {
        arch = space.from_tokens(row);
      } catch (const Error&) {
        ++g.invalid;
        continue;
      }
      if (!known.insert(space.hash(arch)).second) continue;
      g.archs.push_back(std::move(arch));
      if (static_cast<int64_t>(g.archs.size()) >= want) break;
    }
  }
  return g;
}

std::vector<double> normalise_targets(const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values)
    if (!std::isnan(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) {
    if (!(hi > lo))
      out.push_back(0.5);
    else
      out.push_back(std::isnan(v) ? 0.0 : (v - lo) / (hi - lo));
  }
  return out;
}

}  // namespace nas::nao
