// AG-Net as a search strategy (`search --strategy agnet`; specs/agnet.md §3.2), for any space
// with a graph view:
//
//   1. load the generator pre-trained on random architectures of the space (cached, see
//      pretrain.h) at the first round, and add a fresh MLP surrogate that reads its logits;
//   2. propose `seed_archs` random architectures;
//   3. per round, fine-tune generator and surrogate together on everything answered, with
//      rank weights w = 1 / (weight_factor * n + rank) (rank 0 the best): each epoch draws n
//      answers with replacement in proportion to w, and each drawn answer's loss is also
//      multiplied by w; loss = (1 - alpha) * reconstruction + alpha * (surrogate(logits of fresh
//      noise) - target)^2, the target being the objective scaled to [0, 1] over the answers.
//      Generator, surrogate and optimiser carry over from round to round;
//   4. generate from noise U[-3, 3] in growing batches (100, 200, ...) until `candidates` new
//      valid architectures are found (none already proposed or answered), each scored by the
//      surrogate on the logits it was sampled from, and propose the `new_archs` scored best
//      (topped up with random ones when the generator finds too few).
//
// Variants, registered under their own names with their own defaults:
//   - `agnet-xgb` (§3.3): gradient-boosted trees refitted each round on the answers' graph view
//     rank the candidates (surrogate xgboost); the generator fine-tunes on reconstruction alone
//     (steer false), one epoch a round. Its defaults go beyond the paper (tuned on NB201, see
//     README): 300 candidates, ranked by a bagged ensemble of 5 optimistically (mean + std), and
//     3 of the 16 proposals a round taken from the best answer's unqueried neighbours;
//   - `agnet-hw` (§3.5): cost_aware; the surrogate predicts the run's constrained metric too,
//     and answers and candidates over the bound rank `penalty` times lower (with `joint`, the
//     cost rank is added to the objective rank).
//
// The reference's bugs are not copied (specs/agnet.md §5): rank weights use 0.01 (its
// `10e-3`), the weighted sampler draws from every answer (its uniform ablation drew only the
// first batch), and the generator's batch mixing is fixed (generator.h).
//
// Resume: each round's fine-tuned state (generator, surrogate, optimiser) is checkpointed with
// the data it was trained on; the Runner's replay reads it back instead of training again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "generators/agnet/generator.h"
#include "generators/agnet/pretrain.h"
#include "libnas/search/strategy.h"
#include "libnas/train/adam.h"
#include "predictors/mlp.h"
#include "predictors/predictor.h"

namespace nas::agnet {

struct AgNetSearchConfig {
  int64_t seed_archs = 16;
  int64_t new_archs = 16;
  int64_t candidates = 100;
  int64_t max_generated = 4500;  // samples drawn per round at most
  int64_t epochs = 30;           // fine-tuning epochs per round (of n draws each)
  int64_t batch_size = 16;
  double weight_factor = 0.01;
  double alpha = 0.9;
  double lr = 1e-3;
  double noise_bound = 3.0;
  std::string surrogate = "mlp";  // ranks the candidates: mlp or xgboost
  bool steer = true;              // train the MLP surrogate with the generator (its gradient steers it)
  bool cost_aware = false;        // agnet-hw: model the constrained metric too
  bool joint = false;             // agnet-hw: rank by objective rank + cost rank
  double penalty = 1000.0;        // agnet-hw: rank multiplier over the bound
  int64_t surrogate_layers = 4;
  int64_t local_archs = 0;     // proposals per round from the best answer's neighbours
  int64_t local_rare = 0;      // of those, chosen for the rarest change among the answers
  int64_t ensemble = 1;        // xgboost: trees fitted on bootstrap resamples
  double explore = 0.0;        // xgboost ensemble: rank by mean + explore * std
  std::string cache_dir;       // "" = $NASGEN_CACHE or ~/.cache/nasgen
  std::string generator_file;  // "" = the cache file of the space and config
  GeneratorConfig generator;
  PretrainConfig pretrain;

  template <class V>
  void fields(V& v) {
    v("seed_archs", seed_archs, "random architectures evaluated before the first round");
    v("new_archs", new_archs, "architectures proposed per round (the surrogate's top k)");
    v("candidates", candidates, "new valid architectures generated per round for the surrogate to rank");
    v("max_generated", max_generated, "samples drawn per round at most (fewer candidates when the generator repeats itself)");
    v("epochs", epochs, "fine-tuning epochs per round, each of as many weighted draws as answers");
    v("batch_size", batch_size, "fine-tuning batch size");
    v("weight_factor", weight_factor, "rank weights 1 / (weight_factor * n + rank)");
    v("alpha", alpha, "loss weight of the surrogate (1 - alpha: reconstruction)");
    v("lr", lr, "fine-tuning Adam learning rate (betas 0.5, 0.999)");
    v("noise_bound", noise_bound, "candidates are generated from noise uniform in [-bound, bound]");
    v("surrogate", surrogate,
      "what ranks the candidates: mlp, an MLP on the generator's logits trained with it; "
      "xgboost, gradient-boosted trees on the answered architectures' graph view, refitted each "
      "round");
    v("steer", steer,
      "train the MLP surrogate together with the generator, so its gradient steers the generator "
      "(always with surrogate mlp; with xgboost and steer false the generator fine-tunes on "
      "reconstruction alone)");
    v("cost_aware", cost_aware,
      "model the run's constrained metric (constraint.metric) too: the surrogate predicts it beside "
      "the objective (with xgboost: a second set of trees), answers and candidates over the bound "
      "rank `penalty` times lower (specs/agnet.md §3.5)");
    v("joint", joint,
      "with cost_aware: rank by objective rank plus cost rank (the paper's joint objective) "
      "instead of the objective alone");
    v("penalty", penalty, "with cost_aware: the rank multiplier of answers and candidates over the bound");
    v("surrogate_layers", surrogate_layers, "hidden layers of the MLP surrogate (width: its input size)");
    v("local_archs", local_archs,
      "of the new_archs proposed per round, this many are unqueried neighbours of the best answer "
      "(one change away; of the next best once all of the best's are queried), ranked by the "
      "trees with surrogate xgboost, else in random order: a local step the paper has not "
      "(0: none)");
    v("local_rare", local_rare,
      "of the local_archs, this many are the neighbours whose change the answers tried least "
      "(fewest answers sharing a graph-view feature value the neighbour changes), so a change "
      "the surrogate learned to avoid is still tried near the best (0: all ranked)");
    v("ensemble", ensemble,
      "with surrogate xgboost: this many boosted-tree models, each fitted on a bootstrap resample "
      "of the answers (1: one model on all of them)");
    v("explore", explore,
      "with an ensemble: candidates are ranked by the members' mean prediction plus explore x "
      "their standard deviation");
    v("cache_dir", cache_dir, "directory of pre-trained generators (empty: $NASGEN_CACHE, else ~/.cache/nasgen)");
    v("generator_file", generator_file, "pre-trained generator file to read or write (empty: the cache file for the space and config)");
    v("generator", generator, "generator sizes");
    v("pretrain", pretrain, "pre-training by reconstruction");
  }
  void validate(const std::string& where) const;
  // The defaults of `agnet-xgb`: the paper's (specs/agnet.md §3.3: the xgboost surrogate, no
  // steering, one epoch a round) with rounds of 8 (new_archs), 300 candidates, an ensemble of 5
  // (explore 1), local_archs 3 and local_rare 1.
  static AgNetSearchConfig xgboost_defaults();
  // The defaults of `agnet-hw`: xgboost_defaults with cost_aware (specs/agnet.md §3.5's ranking,
  // the metric predicted by trees). The paper's variant is `agnet` with cost_aware and alpha 0.95.
  static AgNetSearchConfig hardware_defaults();
};

// Generator and surrogate, trained together (one module for checkpoints and the optimiser).
class AgNetModelImpl : public torch::nn::Module {
 public:
  AgNetModelImpl(Generator generator, int64_t surrogate_layers, int64_t surrogate_outputs);
  Generator generator{nullptr};
  MlpRegressor surrogate{nullptr};
};
TORCH_MODULE(AgNetModel);

class AgNetSearch : public SeededQueueStrategy {
 public:
  // nas::Error for a config value out of range, a space without a usable graph view or a
  // pre-trained generator file made for another space or config.
  // `name` is the registered name the config section is read under, `defaults` its defaults.
  AgNetSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed,
              const std::string& name = "agnet", AgNetSearchConfig defaults = {});
  std::string name() const override { return name_; }
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;
  void set_checkpoint_dir(const std::string& dir) override { checkpoint_dir_ = dir; }
  // nas::Error for a cost-aware search without a constraint.
  void set_goal(const Goal& goal) override;

  struct RoundInfo {
    int64_t round = 0;       // 1-based
    int64_t trained_on = 0;
    bool loaded = false;     // read back from a checkpoint instead of trained
    double loss = 0;         // mean weighted loss of the last epoch
    int64_t generated = 0;   // samples drawn
    int64_t valid = 0;
    int64_t candidates = 0;  // new valid architectures ranked
    int64_t local = 0;       // neighbours of the best answer proposed (local_archs)
    int64_t random_fill = 0;
    double seconds = 0;
  };
  const RoundInfo& last_round() const { return last_round_; }
  int64_t rounds_read_back() const { return rounds_read_back_; }
  // The pre-training's figures (after the first round).
  const PretrainStats& pretrained() const { return pretrained_; }

  // The rank weights of objectives (NaN ranks last): 1 / (factor * n + rank), rank 0 the best,
  // ties in order of appearance.
  static std::vector<double> rank_weights(const std::vector<double>& objectives, double factor);
  // The cost-aware rank weights (specs/agnet.md §3.5): score = objective rank (1 = best) +
  // (joint: cost rank, 1 = cheapest), times `penalty` when the cost is over `max`; then
  // 1 / (factor * n + rank of the score), lowest score first.
  static std::vector<double> cost_aware_weights(const std::vector<double>& objectives,
                                                const std::vector<double>& costs, double max,
                                                bool joint, double penalty, double factor);

 private:
  void refill() override;
  // Loads (or pre-trains) the generator and builds the model at the first round, so a run
  // rejected for its config or goal does not pre-train first.
  void ensure_model();
  void fine_tune();

  struct Evaluated {
    Arch arch;
    double objective;  // the objective metric (cost-aware: also over the bound)
    double cost;       // the constrained metric (cost-aware only)
  };
  // Candidates' surrogate scores: the MLP's on the logits they were sampled from, or the
  // boosted trees' on their graph view.
  std::vector<double> xgboost_scores(const std::vector<Arch>& archs);
  // The architectures of evaluated_, in order.
  std::vector<Arch> answered_archs() const;
  // Cost-aware with the trees: the constrained metric of `archs` as predicted by boosted trees
  // refitted on every answer's graph view.
  std::vector<double> cost_tree_predictions(const std::vector<Arch>& archs);
  // The local step's candidates (local_archs > 0): the unqueried neighbours of the best answer
  // that has any (cost-aware: within the bound), in random order; `centre` is set to that answer.
  std::vector<Arch> local_candidates(const Arch** centre);

  std::string name_;
  AgNetSearchConfig cfg_;
  uint64_t seed_;
  std::unique_ptr<Predictor> trees_;       // the xgboost surrogate, fitted each round
  std::unique_ptr<Predictor> cost_trees_;  // cost-aware with xgboost: the metric's trees
  Goal goal_;
  std::string checkpoint_dir_;
  std::string generator_file_;
  std::vector<Evaluated> evaluated_;
  AgNetModel model_{nullptr};
  std::unique_ptr<FlatAdam> adam_;
  PretrainStats pretrained_;
  RoundInfo last_round_;
  int64_t rounds_read_back_ = 0;
};

// Adds "agnet", "agnet-xgb" and "agnet-hw" to the strategy registry.
void register_agnet_strategy();

}  // namespace nas::agnet
