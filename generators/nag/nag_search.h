// NAG as a search strategy on a query budget (`search --strategy nag`): propose `seed_archs`
// random architectures; then, per round, fit the class boundaries to the objectives answered so
// far, train a fresh conditional GAN on every answered architecture for about `iterations`
// iterations (whole epochs), generate `samples` architectures of the top class, drop those
// already proposed and rank the rest by a predictor fitted to the answers (`predictor`,
// generate.h). A round proposes `local_archs` unqueried neighbours of the best answer that has
// any (ranked by the same predictor), then the best-ranked generated ones up to `new_archs` (topped up with
// random ones when too few are new). The local step and the boosted trees go beyond the paper
// (README: they bring NAG level with REA); `local_archs 0` and `predictor ridge` search as
// before.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "generators/nag/nag_gan.h"
#include "libnas/search/strategy.h"

namespace nas::nag {

struct NagSearchConfig {
  int64_t seed_archs = 20;
  int64_t new_archs = 10;
  int64_t iterations = 300;  // GAN iterations per round
  int64_t samples = 500;     // generated per round
  std::string predictor = "xgboost";  // ranks the generated architectures
  int64_t local_archs = 3;            // proposals per round from the best answer's neighbours
  GanConfig gan;

  NagSearchConfig() {
    gan.model.g_node_size = 64;
    gan.model.g_graph_size = 32;
    gan.model.d_node_size = 64;
    gan.model.d_graph_size = 32;
    gan.train.batch_size = 32;
    gan.train.quality_samples = 0;
  }

  template <class V>
  void fields(V& v) {
    v("seed_archs", seed_archs, "random architectures evaluated before the first GAN");
    v("new_archs", new_archs, "architectures proposed per round");
    v("iterations", iterations, "GAN training iterations per round");
    v("samples", samples, "architectures generated per round (top accuracy class)");
    v("predictor", predictor, "what ranks the generated architectures: ridge or xgboost");
    v("local_archs", local_archs,
      "of the new_archs proposed per round, this many are unqueried neighbours of the best answer "
      "(one change away; of the next best once all of the best's are queried), ranked by the "
      "predictor: a local step the paper has not (0: none, the paper's search)");
    v("gan", gan, "the GAN (train.epochs is ignored: see iterations)");
  }
  void validate() const;
};

class NagSearch : public SeededQueueStrategy {
 public:
  NagSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "nag"; }
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;

  struct RoundInfo {
    int64_t round = 0;
    int64_t trained_on = 0;
    int64_t valid = 0, unique_new = 0, local = 0, random_fill = 0;
    double d_loss = 0, g_loss = 0;
  };
  const RoundInfo& last_round() const { return last_round_; }

 private:
  void refill() override;

  NagSearchConfig cfg_;
  uint64_t seed_;
  std::vector<NasRecord> evaluated_;
  RoundInfo last_round_;
};

void register_nag_strategy();

}  // namespace nas::nag
