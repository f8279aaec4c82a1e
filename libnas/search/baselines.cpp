#include "libnas/search/baselines.h"

#include <numeric>

#include "libnas/util/config.h"
#include "libnas/util/error.h"

namespace nas {

// ---------------------------------------------------------------------------------- random

RandomSearch::RandomSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                           uint64_t seed)
    : space_(std::move(space)), rng_(seed) {
  RandomSearchConfig c;
  decode_config(cfg, c, "random");
}

std::vector<Arch> RandomSearch::ask(int n) {
  std::vector<Arch> out;
  for (int i = 0; i < n; ++i) out.push_back(space_->sample(rng_));
  return out;
}

YAML::Node RandomSearch::config() const { return encode_config(RandomSearchConfig{}); }

// ---------------------------------------------------------------------------------- rea

RegularizedEvolution::RegularizedEvolution(const YAML::Node& cfg,
                                           std::shared_ptr<const SearchSpace> space,
                                           uint64_t seed)
    : space_(std::move(space)), rng_(seed) {
  decode_config(cfg, cfg_, "rea");
  NAS_CHECK(cfg_.population >= 1, "config key rea.population: expected at least 1, found {}",
            cfg_.population);
  NAS_CHECK(cfg_.sample_size >= 1 && cfg_.sample_size <= cfg_.population,
            "config key rea.sample_size: expected 1..rea.population ({}), found {}",
            cfg_.population, cfg_.sample_size);
}

std::vector<Arch> RegularizedEvolution::ask(int n) {
  std::vector<Arch> out;
  const auto pop_size = static_cast<int64_t>(population_.size());
  std::vector<size_t> order(population_.size());
  for (int i = 0; i < n; ++i) {
    // Until the population is full every proposal is a random sample; proposals of this batch
    // count as members-to-be so a batch does not overfill it.
    if (pop_size + i < cfg_.population) {
      out.push_back(space_->sample(rng_));
      continue;
    }
    // Tournament: sample_size distinct members, the best one (first on ties) is the parent.
    std::iota(order.begin(), order.end(), size_t{0});
    const size_t k = static_cast<size_t>(std::min<int64_t>(cfg_.sample_size, pop_size));
    for (size_t j = 0; j < k; ++j) {
      size_t r = j + static_cast<size_t>(rng_.uniform_int(0, static_cast<int64_t>(order.size() - j) - 1));
      std::swap(order[j], order[r]);
    }
    size_t parent = order[0];
    for (size_t j = 1; j < k; ++j) {
      if (better_objective(population_[order[j]].objective, population_[parent].objective))
        parent = order[j];
    }
    out.push_back(space_->mutate(population_[parent].arch, rng_));
  }
  return out;
}

void RegularizedEvolution::tell(const std::vector<Trial>& trials) {
  // A duplicate costs nothing and adds no information; letting it join would fill the
  // population with copies of the fittest and stall the search.
  for (const auto& t : trials) {
    if (t.duplicate) continue;
    population_.push_back({t.arch, t.objective});
    if (static_cast<int64_t>(population_.size()) > cfg_.population) population_.pop_front();
  }
}

YAML::Node RegularizedEvolution::config() const { return encode_config(cfg_); }

// ---------------------------------------------------------------------------------- local

LocalSearch::LocalSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                         uint64_t seed)
    : space_(std::move(space)), rng_(seed) {
  LocalSearchConfig c;
  decode_config(cfg, c, "local");
}

void LocalSearch::start_sweep() {
  std::vector<Arch> nb = space_->neighbors(current_);
  rng_.shuffle(nb);
  queue_.assign(nb.begin(), nb.end());
  outstanding_ = 0;
  have_best_neighbor_ = false;
}

void LocalSearch::finish_sweep() {
  if (have_best_neighbor_ && better_objective(best_neighbor_score_, current_score_)) {
    current_ = best_neighbor_;
    current_score_ = best_neighbor_score_;
  } else {
    has_current_ = false;  // local optimum: restart
  }
}

std::vector<Arch> LocalSearch::ask(int n) {
  std::vector<Arch> out;
  start_index_ = -1;
  // A restart whose random start was answered before needs no query; in a tiny space that can
  // repeat, so after a few such restarts the start is asked anyway (the Runner answers it as a
  // duplicate and stops the run when nothing new is left).
  int free_restarts = 0;
  while (static_cast<int>(out.size()) < n) {
    if (awaiting_start_) break;
    if (!queue_.empty()) {
      Arch a = std::move(queue_.front());
      queue_.pop_front();
      auto it = seen_.find(space_->hash(a));
      if (it != seen_.end()) {
        consider(a, it->second);
      } else {
        out.push_back(std::move(a));
        ++outstanding_;
      }
      continue;
    }
    if (outstanding_ > 0) break;  // the sweep's answers are needed before moving on
    if (has_current_) {
      finish_sweep();
      if (has_current_) {
        start_sweep();
        continue;
      }
    }
    Arch start = space_->sample(rng_);
    auto it = seen_.find(space_->hash(start));
    if (it != seen_.end() && free_restarts < 100) {
      ++free_restarts;
      current_ = std::move(start);
      current_score_ = it->second;
      has_current_ = true;
      start_sweep();
      continue;
    }
    out.push_back(std::move(start));
    start_index_ = static_cast<int64_t>(out.size()) - 1;
    awaiting_start_ = true;
    break;
  }
  return out;
}

void LocalSearch::consider(const Arch& arch, double score) {
  if (!have_best_neighbor_ || better_objective(score, best_neighbor_score_)) {
    best_neighbor_ = arch;
    best_neighbor_score_ = score;
    have_best_neighbor_ = true;
  }
}

void LocalSearch::tell(const std::vector<Trial>& trials) {
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    seen_[t.hash.empty() ? space_->hash(t.arch) : t.hash] = t.objective;
    if (awaiting_start_ && static_cast<int64_t>(i) == start_index_) {
      awaiting_start_ = false;
      current_ = t.arch;
      current_score_ = t.objective;
      has_current_ = true;
      start_sweep();
    } else {
      --outstanding_;
      consider(t.arch, t.objective);
    }
  }
}

YAML::Node LocalSearch::config() const { return encode_config(LocalSearchConfig{}); }

}  // namespace nas
