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
  NAS_CHECK(explore >= 0, "config key {}.explore: expected 0 or more, found {}", section, explore);
  NAS_CHECK(samples >= 0, "config key {}.samples: expected 0 or more, found {}", section, samples);
  NAS_CHECK(temperature > 0, "config key {}.temperature: expected a positive value, found {}",
            section, temperature);
  NAS_CHECK(candidates == 0 || candidates >= new_archs,
            "config key {}.candidates: expected 0 or at least {}.new_archs ({}), found {}",
            section, section, new_archs, candidates);
}

Generated generate_new_archs(std::vector<Controller>& controllers, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg) {
  NAS_CHECK(!controllers.empty(), "nao: no controller to generate with");
  Generated g;
  if (seeds.empty()) return g;
  std::vector<std::vector<int>> used(
      seeds.begin(), seeds.begin() + static_cast<std::ptrdiff_t>(
                                         std::min<size_t>(seeds.size(), static_cast<size_t>(cfg.top))));
  // The encodings and their gradients do not depend on the step size: computed once.
  std::vector<ControllerImpl::Direction> directions;
  for (Controller& c : controllers)
    directions.push_back(c->direction(token_tensor(used, c->device())));
  const int64_t want = std::max(cfg.new_archs, cfg.candidates);
  auto full = [&] { return static_cast<int64_t>(g.archs.size()) >= want; };
  for (double eta = cfg.step_start; eta <= cfg.max_step + 1e-9 && !full();
       eta += cfg.step_increment) {
    g.last_step = eta;
    for (size_t m = 0; m < controllers.size() && !full(); ++m) {
      for (int64_t draw = 0; draw <= cfg.samples && !full(); ++draw) {
        const double temperature = draw == 0 ? 0.0 : cfg.temperature;
        for (const auto& row :
             token_rows(controllers[m]->decode_step(directions[m], eta, temperature))) {
          Arch arch;
          try {
            arch = space.from_tokens(row);
          } catch (const Error&) {
            ++g.invalid;
            continue;
          }
          if (!known.insert(space.hash(arch)).second) continue;
          g.archs.push_back(std::move(arch));
          if (full()) break;
        }
      }
    }
  }
  g.decoded = static_cast<int64_t>(g.archs.size());
  if (cfg.candidates > 0 && g.decoded > cfg.new_archs) {
    // Keep the new_archs the predictor rates best (the earlier found first on ties).
    std::vector<std::vector<int>> seqs;
    seqs.reserve(g.archs.size());
    for (const Arch& a : g.archs) seqs.push_back(space.to_tokens(a));
    std::vector<double> predicted = predict_sequences(controllers, seqs);
    if (cfg.explore > 0 && controllers.size() > 1) {
      // Optimism where the members disagree: mean + explore x their standard deviation.
      std::vector<double> var(seqs.size(), 0.0);
      for (Controller& c : controllers) {
        const std::vector<double> p = predict_sequences(c, seqs);
        for (size_t i = 0; i < p.size(); ++i)
          var[i] += (p[i] - predicted[i]) * (p[i] - predicted[i]) /
                    static_cast<double>(controllers.size());
      }
      for (size_t i = 0; i < predicted.size(); ++i) predicted[i] += cfg.explore * std::sqrt(var[i]);
    }
    std::vector<size_t> order(g.archs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return predicted[a] > predicted[b]; });
    std::vector<Arch> kept;
    for (size_t r = 0; r < order.size(); ++r) {
      if (static_cast<int64_t>(r) < cfg.new_archs)
        kept.push_back(std::move(g.archs[order[r]]));
      else
        known.erase(space.hash(g.archs[order[r]]));
    }
    g.archs = std::move(kept);
  }
  return g;
}

Generated generate_new_archs(Controller& controller, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg) {
  std::vector<Controller> one{controller};
  return generate_new_archs(one, space, seeds, known, cfg);
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

std::vector<double> rank_targets(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  auto key = [&](size_t i) {
    return std::isnan(values[i]) ? -std::numeric_limits<double>::infinity() : values[i];
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<double> out(n, 0.5);
  if (n < 2) return out;
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo;
    while (hi + 1 < n && key(order[hi + 1]) == key(order[lo])) ++hi;
    const double mean_rank = 0.5 * static_cast<double>(lo + hi);
    for (size_t r = lo; r <= hi; ++r) out[order[r]] = mean_rank / static_cast<double>(n - 1);
    lo = hi + 1;
  }
  return out;
}

}  // namespace nas::nao
