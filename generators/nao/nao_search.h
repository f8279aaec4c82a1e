// The NAO search loop as a Strategy (specs/nao.md §4.6), for any space with a sequence view:
//
//   1. propose `seed_archs` random architectures;
//   2. once all are answered, train the controller on every evaluated architecture (targets:
//      the objective normalised over them, by rank or min-max; the controller persists across
//      updates, the optimiser is fresh each time);
//   3. encode the `top` best, move their encodings along the predictor's gradient with step
//      sizes step_start, step_start + step_increment, ... up to max_step, decode, and keep each
//      decoded architecture that is new (not evaluated, not kept already) until `new_archs`
//      are found, or, with `candidates` set, until that many are found, of which the
//      `new_archs` the predictor rates best are kept;
//   4. propose them (topped up with random samples when `fill_random` and fewer were found),
//      and go to 2 when they are answered.
//
// The reference NAO-WS keeps a fixed pool of 600 and replaces its bottom half each round; on a
// query budget every evaluated architecture is worth training on, so the pool here is all of
// them. The defaults are for budgets of 100-500 queries and were chosen on NAS-Bench-201
// CIFAR-10 at 100 queries (seeds 0-7): small rounds (5 new architectures) so the controller
// sees every answer soon, rank targets (min-max squashes the good architectures together when
// a few bad ones stretch the range), candidates ranked by the predictor, and a loss that
// weighs the prediction more (trade_off 0.95; the reference's 0.8 ranked worse here, though
// 0.8 did better on the additive test landscape of nao_search_test.cpp).
//
// Resume: each controller update is checkpointed in the run's checkpoint directory together
// with the data it was trained on; the Runner's replay then loads it instead of retraining.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "generators/nao/controller.h"
#include "generators/nao/generate.h"
#include "libnas/search/strategy.h"

namespace nas::nao {

struct NaoSearchConfig {
  int64_t seed_archs = 15;
  std::string targets = "rank";  // controller targets: minmax or rank normalised objectives
  GenerationConfig generation;
  bool fill_random = true;
  ControllerConfig controller;

  NaoSearchConfig() {
    generation.top = 100;
    generation.new_archs = 5;
    generation.candidates = 100;
    controller.epochs = 50;
    controller.trade_off = 0.95;
  }

  template <class V>
  void fields(V& v) {
    v("seed_archs", seed_archs, "random architectures evaluated before the first controller update");
    v("targets", targets,
      "controller targets: minmax (the objective scaled to [0, 1], as NAO) or rank (evenly "
      "spaced by rank)");
    generation.fields(v);
    v("fill_random", fill_random, "top a short round up with random samples");
    v("controller", controller, "encoder-predictor-decoder settings");
  }
  void validate() const;
};

class NaoSearch : public SeededQueueStrategy {
 public:
  // nas::Error when the space has no sequence view or a config value is out of range.
  NaoSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "nao"; }
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;
  void set_checkpoint_dir(const std::string& dir) override { checkpoint_dir_ = dir; }

  // Counters of the last controller update, for logs and tests.
  struct RoundInfo {
    int64_t round = 0;          // 1-based
    int64_t trained_on = 0;
    FitStats fit;
    bool loaded = false;        // read from a checkpoint instead of trained
    int64_t decoded_new = 0;    // new architectures found along the gradient and proposed
    int64_t candidates = 0;     // new architectures decoded (>= decoded_new; see candidates)
    int64_t invalid = 0;        // decoded sequences the space rejected
    double last_step = 0.0;     // largest step size used
    int64_t random_fill = 0;
    double pairwise_accuracy = 0.0;  // on the training data
  };
  const RoundInfo& last_round() const { return last_round_; }
  // Controller updates read back from checkpoints instead of trained (on resume).
  int64_t rounds_read_back() const { return rounds_read_back_; }
  Controller& controller() { return controller_; }

 private:
  void refill() override;
  void train_controller(const std::vector<std::vector<int>>& seqs,
                        const std::vector<double>& targets);

  struct Evaluated {
    std::vector<int> tokens;
    double objective;
    int64_t order;
  };
  NaoSearchConfig cfg_;
  SequenceSpec spec_;
  uint64_t seed_;
  Controller controller_{nullptr};
  std::string checkpoint_dir_;
  std::vector<Evaluated> evaluated_;
  RoundInfo last_round_;
  int64_t rounds_read_back_ = 0;
};

// Adds "nao" to the strategy registry.
void register_nao_strategy();

}  // namespace nas::nao
