#include "predictors/predictor_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "libnas/spaces/search_space.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/log.h"
#include "libnas/util/strings.h"
#include "predictors/features.h"
#include "predictors/ranking.h"

namespace nas {

void PredictorSearchConfig::validate() const {
  auto at_least = [](int64_t v, int64_t lo, const char* key) {
    NAS_CHECK(v >= lo, "config key predictor.{}: expected at least {}, found {}", key, lo, v);
  };
  at_least(seed_archs, 2, "seed_archs");
  at_least(new_archs, 1, "new_archs");
  at_least(max_enumerate, 0, "max_enumerate");
  at_least(samples, 1, "samples");
  at_least(ensemble, 1, "ensemble");
  at_least(local_archs, 0, "local_archs");
  at_least(local_rare, 0, "local_rare");
  NAS_CHECK(std::isfinite(explore) && explore >= 0,
            "config key predictor.explore: expected a value of at least 0, found {}", explore);
  NAS_CHECK(local_archs <= new_archs,
            "config key predictor.local_archs: expected at most new_archs ({}), found {}", new_archs,
            local_archs);
  NAS_CHECK(local_rare <= local_archs,
            "config key predictor.local_rare: expected at most local_archs ({}), found {}",
            local_archs, local_rare);
  const std::vector<std::string> models = predictor_names();
  NAS_CHECK(std::find(models.begin(), models.end(), model) != models.end(),
            "config key predictor.model: expected one of {}, found '{}'", join(models, ", "), model);
  NAS_CHECK(features == "graph", "config key predictor.features: expected graph, found '{}'",
            features);
}

PredictorSearch::PredictorSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                                 uint64_t seed)
    : SeededQueueStrategy(std::move(space), seed), seed_(seed) {
  decode_config(cfg, cfg_, "predictor");
  cfg_.validate();
  seed_archs_ = cfg_.seed_archs;
  model_ = make_predictor(cfg_.model);
  Rng probe(0);  // not rng_: checking the space must not change the search's draws
  graph_features(*space_, {space_->sample(probe)});  // a graph view, or a clear error now
}

YAML::Node PredictorSearch::config() const { return encode_config(cfg_); }

bool PredictorSearch::ranks_whole_space() const {
  const std::optional<uint64_t> n = space_->size();
  return n && *n <= static_cast<uint64_t>(cfg_.max_enumerate);
}

void PredictorSearch::tell(const std::vector<Trial>& trials) {
  remember(trials);
  for (const Trial& t : trials) {
    if (t.duplicate || std::isnan(t.objective)) continue;
    answered_.push_back(t.arch);
    objectives_.push_back(t.objective);
  }
}

std::vector<Arch> PredictorSearch::pool() {
  std::vector<Arch> out;
  if (ranks_whole_space()) {
    if (space_archs_.empty()) {
      std::unordered_set<std::string> seen;
      space_->enumerate([&](const Arch& a) {
        std::string h = space_->hash(a);
        if (!seen.insert(h).second) return;
        space_archs_.push_back(a);
        space_hashes_.push_back(std::move(h));
      });
    }
    for (size_t i = 0; i < space_archs_.size(); ++i)
      if (!known_.count(space_hashes_[i])) out.push_back(space_archs_[i]);
    return out;
  }
  std::unordered_set<std::string> seen;
  for (int64_t draws = 0; static_cast<int64_t>(out.size()) < cfg_.samples && draws < 4 * cfg_.samples;
       ++draws) {
    Arch a = space_->sample(rng_);
    std::string h = space_->hash(a);
    if (known_.count(h) || !seen.insert(h).second) continue;
    out.push_back(std::move(a));
  }
  return out;
}

void PredictorSearch::refill() {
  last_round_ = RoundInfo{last_round_.round + 1};
  last_round_.trained_on = static_cast<int64_t>(answered_.size());
  if (answered_.size() >= 2) {
    std::vector<Arch> candidates = pool();
    std::vector<std::pair<const Arch*, double>> answers;
    for (size_t i = 0; i < answered_.size(); ++i) answers.emplace_back(&answered_[i], objectives_[i]);
    const Arch* centre = nullptr;
    std::vector<Arch> local =
        cfg_.local_archs > 0 ? unknown_neighbors_of_best(answers, &centre) : std::vector<Arch>{};
    const size_t n_candidates = candidates.size();
    candidates.insert(candidates.end(), local.begin(), local.end());
    if (!candidates.empty()) {
      const std::vector<double> scores =
          bagged_scores(*model_, graph_features(*space_, answered_), standardized(objectives_),
                        graph_features(*space_, candidates), cfg_.ensemble, cfg_.explore,
                        seed_ ^ static_cast<uint64_t>(last_round_.round));
      last_round_.ranked = static_cast<int64_t>(n_candidates);
      // Best first, ties in pool order.
      auto by_score = [&](size_t begin, size_t end) {
        std::vector<size_t> order(end - begin);
        std::iota(order.begin(), order.end(), begin);
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return scores[a] > scores[b]; });
        return order;
      };
      std::vector<Arch> ranked_local;
      for (size_t i : by_score(n_candidates, candidates.size())) ranked_local.push_back(candidates[i]);
      if (centre && cfg_.local_rare > 0)
        promote_rare_changes(*space_, answered_, *centre,
                             static_cast<size_t>(cfg_.local_archs - cfg_.local_rare), ranked_local);
      for (Arch& a : ranked_local) {
        if (last_round_.local >= cfg_.local_archs) break;
        if (!known_.insert(space_->hash(a)).second) continue;
        queue_.push_back(std::move(a));
        ++last_round_.local;
      }
      for (size_t i : by_score(0, n_candidates)) {
        if (static_cast<int64_t>(queue_.size()) >= cfg_.new_archs) break;
        if (!known_.insert(space_->hash(candidates[i])).second) continue;
        queue_.push_back(candidates[i]);
      }
    }
  }
  last_round_.random_fill += top_up_random(static_cast<size_t>(cfg_.new_archs));
  last_round_.random_fill += ensure_proposal();
  spdlog::debug("predictor: round {}: {} on {} answers, {} ranked, {} local, {} random", last_round_.round,
                cfg_.model, last_round_.trained_on, last_round_.ranked, last_round_.local,
                last_round_.random_fill);
}

void register_predictor_strategy() {
  register_strategy("predictor",
                    "a predictor (predictor.model, xgboost by default) fitted on the answers ranks "
                    "the unqueried architectures, the whole space where it is small enough; its "
                    "best are asked, with a local step around the best answer",
                    [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                       uint64_t seed) -> std::unique_ptr<Strategy> {
                      return std::make_unique<PredictorSearch>(c, std::move(s), seed);
                    });
}

}  // namespace nas
