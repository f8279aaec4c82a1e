// Search strategies: ask/tell proposers that never evaluate anything themselves, so the same
// strategy runs on a benchmark lookup, a supernet or real training. The Runner owns the loop.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/rng.h"

namespace nas {

// One answered proposal. `objective` is the value the run maximises (the metric named by the
// run's objective key; NaN when the evaluator did not report it, which strategies rank last).
// A duplicate is a proposal whose canonical hash was evaluated before: it is answered from the
// cache, carries the id of the original evaluation and costs nothing.
struct Trial {
  int64_t id = -1;
  Arch arch;
  std::string hash;
  Metrics metrics;
  double objective = kMissing;
  double wall_seconds = 0.0;
  bool duplicate = false;
};

// A bound on one metric of every answer (hardware-aware search): an architecture whose
// `metric` is above `max`, or missing, costs its query but can never be the best. The Runner
// applies it by giving such trials a NaN objective, so every strategy searches under it alike.
struct Constraint {
  std::string metric;  // "" = no constraint (a benchmark column: latency_pixel3_ms, params, ...)
  double max = 0.0;

  template <class V>
  void fields(V& v) {
    v("metric", metric, "metric every answer must keep at or below constraint.max (empty: none)");
    v("max", max, "the bound on constraint.metric");
  }
  bool active() const { return !metric.empty(); }
  // Whether m meets the bound (always, without a constraint).
  bool met(const Metrics& m) const;
  // nas::Error naming the key for a negative or non-finite bound, or a bound without a metric.
  void validate() const;
};

// What a run maximises, as the Runner tells its strategy before the first ask.
struct Goal {
  std::string objective = "val_acc";
  Constraint constraint;
};

// Ask/tell search strategy. Given the same seed and the same sequence of tells, a strategy must
// make the same proposals (the Runner's resume replays it from scratch).
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // Up to n proposals (at least one while the strategy has anything left to propose; an empty
  // answer ends the run). Every proposal must be valid in the space.
  virtual std::vector<Arch> ask(int n) = 0;
  // The answers to the last ask, in the order asked (proposals dropped because the budget ran
  // out are left off the end).
  virtual void tell(const std::vector<Trial>& trials) = 0;
  // The strategy's resolved config section (every field, defaults included).
  virtual YAML::Node config() const { return YAML::Node(YAML::NodeType::Map); }
  // A directory where the strategy may keep checkpoints of expensive internal state (a trained
  // model). Resume still replays the strategy from scratch; a strategy uses its checkpoints to
  // skip recomputing what the replay would recompute identically. Called before the first ask
  // when the run has a directory; strategies without such state ignore it.
  virtual void set_checkpoint_dir(const std::string& dir) {}
  // The run's objective and constraint (a Trial's objective already carries both: NaN when the
  // constraint is not met); strategies that model the constrained metric themselves read it.
  virtual void set_goal(const Goal& goal) {}
};

// The pattern of the model-based generators (NAO, NAG): propose `seed_archs` distinct random
// architectures, then serve proposals from a queue that the subclass refills (train its model
// on what was answered, generate) whenever it runs empty. The hashes of everything proposed or
// answered are kept in known_, so a subclass can skip what is known.
class SeededQueueStrategy : public Strategy {
 public:
  std::vector<Arch> ask(int n) override;

 protected:
  // The subclass sets seed_archs_ from its config.
  SeededQueueStrategy(std::shared_ptr<const SearchSpace> space, uint64_t seed);
  // Called when the seeds are out and the queue is empty; fills queue_.
  virtual void refill() = 0;
  // Adds the trials' hashes to known_ (a subclass's tell calls it).
  void remember(const std::vector<Trial>& trials);
  // Appends random architectures not in known_ (adding them) until queue_ holds `target`, with
  // at most 1000 draws; returns how many it appended.
  int64_t top_up_random(size_t target);
  // The architectures one change away from `arch` (the space's neighbors) not in known_, each
  // once, in random order; none is added to known_.
  std::vector<Arch> unknown_neighbors(const Arch& arch);
  // The local step's pool: unknown_neighbors of the best of `answers` (by objective, first
  // answered first among equals) that still has any, so the step moves on to the next best once
  // every neighbour of the best is known. Empty when no answer has an unknown neighbour. With
  // `centre`, it is set to the answer the pool is around (nullptr when the pool is empty).
  std::vector<Arch> unknown_neighbors_of_best(
      const std::vector<std::pair<const Arch*, double>>& answers, const Arch** centre = nullptr);
  // One random proposal (known or not) when queue_ is empty, so a run that only repeats itself
  // still gets an answer and the Runner can stop it; returns how many it appended (0 or 1).
  int64_t ensure_proposal();

  std::shared_ptr<const SearchSpace> space_;
  Rng rng_;
  std::unordered_set<std::string> known_;  // hashes proposed or answered
  std::vector<Arch> queue_;                // generated proposals not yet asked
  int64_t seed_archs_ = 0;

 private:
  int64_t seeded_ = 0;
};

// Builds a strategy from its config section (a map; null = defaults). Each strategy decodes the
// section itself and rejects unknown keys.
using StrategyFactory = std::function<std::unique_ptr<Strategy>(
    const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed)>;

// Adds a strategy to the registry (generators call this for theirs); replaces a same-named one.
void register_strategy(const std::string& name, const std::string& description,
                       StrategyFactory factory);

// The strategy `name` configured by `cfg`, over `space`, seeded by `seed`. Unknown names give
// nas::Error listing the known ones.
std::unique_ptr<Strategy> make_strategy(const std::string& name, const YAML::Node& cfg,
                                        std::shared_ptr<const SearchSpace> space, uint64_t seed);
// Registered names, sorted.
std::vector<std::string> strategy_names();
// One-line description of a registered strategy ("" when unknown).
std::string strategy_description(const std::string& name);
bool is_strategy(const std::string& name);

// Objective ordering shared by strategies: true when a is strictly better than b (NaN is worst).
bool better_objective(double a, double b);

}  // namespace nas
