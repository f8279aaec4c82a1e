// `search --strategy predictor`: a predictor fitted on every answer ranks unqueried
// architectures (the whole space when it is small enough to enumerate, else a random sample of
// it) and its best are asked, with a local step around the best answer as AG-Net's trees use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libnas/search/strategy.h"
#include "predictors/predictor.h"

namespace nas {

struct PredictorSearchConfig {
  int64_t seed_archs = 16;
  int64_t new_archs = 8;
  std::string model = "xgboost";
  std::string features = "graph";
  int64_t max_enumerate = 20000;
  int64_t samples = 10000;
  int64_t ensemble = 1;
  double explore = 1.0;
  int64_t local_archs = 3;
  int64_t local_rare = 1;

  template <class V>
  void fields(V& v) {
    v("seed_archs", seed_archs, "random architectures evaluated before the first fit");
    v("new_archs", new_archs, "architectures proposed per round");
    v("model", model, "the predictor that ranks the architectures (predictors: ridge, xgboost)");
    v("features", features, "the feature set it reads: graph (the graph view, flattened)");
    v("max_enumerate", max_enumerate,
      "spaces of at most this many architectures are ranked whole each round");
    v("samples", samples, "larger spaces: distinct unqueried random architectures ranked per round");
    v("ensemble", ensemble,
      "this many fits of the model, each on a bootstrap resample of the answers (1: one fit on all)");
    v("explore", explore,
      "with an ensemble: architectures are ranked by the fits' mean prediction plus explore x their "
      "standard deviation");
    v("local_archs", local_archs,
      "of the new_archs, this many are unqueried neighbours of the best answer (of the next best "
      "once all of the best's are queried), ranked by the model");
    v("local_rare", local_rare,
      "of the local_archs, this many are the neighbours whose change the answers tried least");
  }
  // nas::Error naming the key for a value out of range, an unknown model or feature set.
  void validate() const;
};

class PredictorSearch : public SeededQueueStrategy {
 public:
  PredictorSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "predictor"; }
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;

  struct RoundInfo {
    int64_t round = 0;
    int64_t trained_on = 0;
    int64_t ranked = 0;  // unqueried architectures the model scored
    int64_t local = 0;   // neighbours of the best answer proposed
    int64_t random_fill = 0;
  };
  const RoundInfo& last_round() const { return last_round_; }
  // Whether rounds rank the whole space (else a random sample).
  bool ranks_whole_space() const;

 private:
  void refill() override;
  // The round's unqueried architectures to rank: the whole space less what is known, or samples.
  std::vector<Arch> pool();

  PredictorSearchConfig cfg_;
  uint64_t seed_;
  std::unique_ptr<Predictor> model_;
  std::vector<Arch> answered_;
  std::vector<double> objectives_;
  std::vector<Arch> space_archs_;         // the enumerated space, distinct (whole-space ranking)
  std::vector<std::string> space_hashes_;
  RoundInfo last_round_;
};

void register_predictor_strategy();

}  // namespace nas
