// Baseline strategies that work over any SearchSpace: random search, regularized evolution and
// local search. Their config sections have defaults tuned on the tabular benchmarks.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "libnas/search/strategy.h"
#include "libnas/util/rng.h"

namespace nas {

// random: uniform samples from the space (no section keys).
struct RandomSearchConfig {
  template <class V>
  void fields(V&) {}
};

class RandomSearch : public Strategy {
 public:
  RandomSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "random"; }
  std::vector<Arch> ask(int n) override;
  void tell(const std::vector<Trial>&) override {}
  YAML::Node config() const override;

 private:
  std::shared_ptr<const SearchSpace> space_;
  Rng rng_;
};

// rea: regularized evolution (Real et al., 2019). Section keys below.
struct ReaConfig {
  int64_t population = 10;
  int64_t sample_size = 5;
  template <class V>
  void fields(V& v) {
    v("population", population, "individuals kept alive; the first ones are random samples");
    v("sample_size", sample_size, "tournament size: the best of this many random members is mutated");
  }
};

class RegularizedEvolution : public Strategy {
 public:
  RegularizedEvolution(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                       uint64_t seed);
  std::string name() const override { return "rea"; }
  std::vector<Arch> ask(int n) override;
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;

 private:
  struct Member {
    Arch arch;
    double objective;
  };
  ReaConfig cfg_;
  std::shared_ptr<const SearchSpace> space_;
  Rng rng_;
  std::deque<Member> population_;  // oldest first
};

// local: local search. Starts at a random arch, evaluates all its neighbours in random order,
// moves to the best one when it improves on the current arch, and restarts from a random arch
// at a local optimum. Neighbours already answered are not asked again.
struct LocalSearchConfig {
  template <class V>
  void fields(V&) {}
};

class LocalSearch : public Strategy {
 public:
  LocalSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "local"; }
  std::vector<Arch> ask(int n) override;
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;

 private:
  void start_sweep();
  void finish_sweep();
  void consider(const Arch& arch, double score);

  std::shared_ptr<const SearchSpace> space_;
  Rng rng_;
  std::unordered_map<std::string, double> seen_;  // canonical hash -> objective
  bool has_current_ = false;
  bool awaiting_start_ = false;  // a random start was asked; its answer sets the current arch
  int64_t start_index_ = -1;     // position of that start in the last ask
  Arch current_;
  double current_score_ = kMissing;
  std::deque<Arch> queue_;  // neighbours of the current arch not yet asked
  int64_t outstanding_ = 0;  // neighbours asked but not yet told
  bool have_best_neighbor_ = false;
  Arch best_neighbor_;
  double best_neighbor_score_ = kMissing;
};

}  // namespace nas
