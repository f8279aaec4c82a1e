#include "libnas/search/strategy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include "libnas/search/baselines.h"
#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

struct Entry {
  std::string description;
  StrategyFactory factory;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Entry> entries;
};

// The baselines are registered here rather than by static initialisers in their own files,
// because objects of a static library that nothing references are dropped at link time.
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;
    reg->entries["random"] = {"uniform random samples from the space",
                              [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                                 uint64_t seed) -> std::unique_ptr<Strategy> {
                                return std::make_unique<RandomSearch>(c, std::move(s), seed);
                              }};
    reg->entries["rea"] = {"regularized evolution (tournament selection, aging population)",
                           [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                              uint64_t seed) -> std::unique_ptr<Strategy> {
                             return std::make_unique<RegularizedEvolution>(c, std::move(s), seed);
                           }};
    reg->entries["local"] = {"local search over the space's neighbourhoods, random restarts",
                             [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                                uint64_t seed) -> std::unique_ptr<Strategy> {
                               return std::make_unique<LocalSearch>(c, std::move(s), seed);
                             }};
    return reg;
  }();
  return *r;
}

}  // namespace

void register_strategy(const std::string& name, const std::string& description,
                       StrategyFactory factory) {
  NAS_CHECK(!name.empty() && name.find(',') == std::string::npos,
            "strategy name {}: expected a non-empty name without commas", quote(name));
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.entries[name] = {description, std::move(factory)};
}

std::unique_ptr<Strategy> make_strategy(const std::string& name, const YAML::Node& cfg,
                                        std::shared_ptr<const SearchSpace> space, uint64_t seed) {
  NAS_CHECK(space != nullptr, "strategy {}: no search space given", name);
  StrategyFactory factory;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.entries.find(name);
    if (it != r.entries.end()) factory = it->second.factory;
  }
  NAS_CHECK(factory != nullptr, "unknown strategy {}; known strategies: {}", quote(name),
            join(strategy_names(), ", "));
  NAS_CHECK(!cfg || cfg.IsNull() || cfg.IsMap(),
            "config section {}: expected a map of keys, found a {}", name,
            cfg.IsSequence() ? "list" : "single value");
  return factory(cfg, std::move(space), seed);
}

std::vector<std::string> strategy_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> out;
  for (const auto& kv : r.entries) out.push_back(kv.first);
  return out;
}

std::string strategy_description(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.entries.find(name);
  return it == r.entries.end() ? "" : it->second.description;
}

bool is_strategy(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.entries.count(name) > 0;
}

bool Constraint::met(const Metrics& m) const {
  if (!active()) return true;
  const double v = m.get(metric);
  return present(v) && v <= max;
}

void Constraint::validate() const {
  if (!active()) {
    NAS_CHECK(max == 0.0, "constraint.max: {} bounds no metric; set constraint.metric too", max);
    return;
  }
  NAS_CHECK(std::isfinite(max) && max >= 0,
            "constraint.max: expected a non-negative bound on {}, found {}", metric, max);
}

bool better_objective(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}

SeededQueueStrategy::SeededQueueStrategy(std::shared_ptr<const SearchSpace> space, uint64_t seed)
    : space_(std::move(space)), rng_(seed) {}

std::vector<Arch> SeededQueueStrategy::ask(int n) {
  std::vector<Arch> out;
  // The random seed pool. A space smaller than the pool ends up proposing duplicates, which
  // the Runner answers from its cache.
  int attempts = 0;
  while (seeded_ < seed_archs_ && static_cast<int>(out.size()) < n) {
    Arch a = space_->sample(rng_);
    if (!known_.insert(space_->hash(a)).second && ++attempts < 1000) continue;
    out.push_back(std::move(a));
    ++seeded_;
  }
  if (!out.empty()) return out;
  if (queue_.empty()) refill();
  const size_t k = std::min(queue_.size(), static_cast<size_t>(n));
  out.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(k));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(k));
  return out;
}

void SeededQueueStrategy::remember(const std::vector<Trial>& trials) {
  for (const Trial& t : trials) known_.insert(t.hash.empty() ? space_->hash(t.arch) : t.hash);
}

int64_t SeededQueueStrategy::top_up_random(size_t target) {
  int64_t added = 0;
  int attempts = 0;
  while (queue_.size() < target && attempts < 1000) {
    Arch a = space_->sample(rng_);
    ++attempts;
    if (!known_.insert(space_->hash(a)).second) continue;
    queue_.push_back(std::move(a));
    ++added;
  }
  return added;
}

std::vector<Arch> SeededQueueStrategy::unknown_neighbors(const Arch& arch) {
  std::vector<Arch> out;
  std::unordered_set<std::string> seen;
  for (Arch& a : space_->neighbors(arch)) {
    std::string h = space_->hash(a);
    if (!known_.count(h) && seen.insert(std::move(h)).second) out.push_back(std::move(a));
  }
  rng_.shuffle(out);
  return out;
}

std::vector<Arch> SeededQueueStrategy::unknown_neighbors_of_best(
    const std::vector<std::pair<const Arch*, double>>& answers, const Arch** centre) {
  if (centre) *centre = nullptr;
  std::vector<size_t> order(answers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return better_objective(answers[a].second, answers[b].second);
  });
  for (size_t i : order) {
    std::vector<Arch> out = unknown_neighbors(*answers[i].first);
    if (!out.empty()) {
      if (centre) *centre = answers[i].first;
      return out;
    }
  }
  return {};
}

int64_t SeededQueueStrategy::ensure_proposal() {
  if (!queue_.empty()) return 0;
  queue_.push_back(space_->sample(rng_));
  return 1;
}

}  // namespace nas
