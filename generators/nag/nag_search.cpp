#include "generators/nag/nag_search.h"

#include <algorithm>
#include <cmath>

#include "generators/nag/generate.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/log.h"
#include "libnas/util/strings.h"
#include "predictors/predictor.h"

namespace nas::nag {

void NagSearchConfig::validate() const {
  NAS_CHECK(seed_archs >= 3, "config key nag.seed_archs: expected at least 3, found {}", seed_archs);
  NAS_CHECK(new_archs >= 1, "config key nag.new_archs: expected at least 1, found {}", new_archs);
  NAS_CHECK(iterations >= 1, "config key nag.iterations: expected at least 1, found {}", iterations);
  NAS_CHECK(samples >= 1, "config key nag.samples: expected at least 1, found {}", samples);
  NAS_CHECK(local_archs >= 0 && local_archs <= new_archs,
            "config key nag.local_archs: expected 0 to new_archs ({}), found {}", new_archs,
            local_archs);
  const std::vector<std::string> known = predictor_names();
  NAS_CHECK(std::find(known.begin(), known.end(), predictor) != known.end(),
            "config key nag.predictor: expected one of {}, found '{}'", join(known, ", "), predictor);
  gan.validate();
  NAS_CHECK(gan.conditions.size() == 1,
            "config key nag.gan.conditions: a search conditions on the objective only ([acc])");
}

NagSearch::NagSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed)
    : SeededQueueStrategy(std::move(space), seed), seed_(seed) {
  decode_config(cfg, cfg_, "nag");
  cfg_.validate();
  seed_archs_ = cfg_.seed_archs;
  GraphShape::of(*space_);  // a graph view the generator can use, or a clear error now
}

YAML::Node NagSearch::config() const { return encode_config(cfg_); }

void NagSearch::tell(const std::vector<Trial>& trials) {
  remember(trials);
  for (const Trial& t : trials) {
    if (t.duplicate || std::isnan(t.objective)) continue;
    NasRecord r;
    r.arch = t.arch;
    r.acc = t.objective;
    r.params = t.metrics.params;
    evaluated_.push_back(std::move(r));
  }
}

void NagSearch::refill() {
  const int64_t round = last_round_.round + 1;
  last_round_ = RoundInfo{};
  last_round_.round = round;
  last_round_.trained_on = static_cast<int64_t>(evaluated_.size());
  std::vector<Candidate> fresh;
  if (static_cast<int64_t>(evaluated_.size()) >= cfg_.gan.classes) {
    GanConfig gc = cfg_.gan;
    gc.seed = static_cast<int64_t>(mix64(seed_ + 0x6e6167 * static_cast<uint64_t>(round)) >> 2);
    const int64_t per_epoch =
        std::max<int64_t>(1, static_cast<int64_t>(evaluated_.size()) / std::min<int64_t>(gc.train.batch_size, static_cast<int64_t>(evaluated_.size())));
    gc.train.epochs = (cfg_.iterations + per_epoch - 1) / per_epoch;
    NagGan gan(space_, gc, NagGan::fit_scales(gc, evaluated_), torch::kCPU);
    gan.set_data(evaluated_);
    EpochStats s;
    for (int64_t e = 1; e <= gc.train.epochs; ++e) s = gan.train_epoch(e);
    last_round_.d_loss = s.d_loss;
    last_round_.g_loss = s.g_loss;
    Generated g = gan.sample({gc.classes - 1}, cfg_.samples, mix64(static_cast<uint64_t>(gc.seed) + 1));
    std::unordered_set<std::string> seen;
    for (auto& a : g.archs) {
      if (!a) continue;
      ++last_round_.valid;
      std::string h = space_->hash(*a);
      if (known_.count(h) || !seen.insert(h).second) continue;
      Candidate c;
      c.arch = std::move(*a);
      c.hash = std::move(h);
      fresh.push_back(std::move(c));
    }
    rank_by_predicted_accuracy(*space_, evaluated_, fresh, cfg_.predictor);
  }
  last_round_.unique_new = static_cast<int64_t>(fresh.size());
  if (cfg_.local_archs > 0 && !evaluated_.empty()) {
    std::vector<std::pair<const Arch*, double>> answers;
    for (const NasRecord& r : evaluated_) answers.emplace_back(&r.arch, r.acc);
    std::vector<Candidate> local;
    for (Arch& a : unknown_neighbors_of_best(answers)) {
      Candidate c;
      c.hash = space_->hash(a);
      c.arch = std::move(a);
      local.push_back(std::move(c));
    }
    rank_by_predicted_accuracy(*space_, evaluated_, local, cfg_.predictor);
    for (auto& c : local) {
      if (last_round_.local >= cfg_.local_archs) break;
      known_.insert(c.hash);
      queue_.push_back(std::move(c.arch));
      ++last_round_.local;
    }
  }
  for (auto& c : fresh) {
    if (static_cast<int64_t>(queue_.size()) >= cfg_.new_archs) break;
    if (!known_.insert(c.hash).second) continue;
    queue_.push_back(std::move(c.arch));
  }
  last_round_.random_fill += top_up_random(static_cast<size_t>(cfg_.new_archs));
  last_round_.random_fill += ensure_proposal();
  spdlog::debug(
      "nag: round {}: GAN on {} archs (d {:.4f}, g {:.4f}); {} valid samples, {} new, {} local, "
      "{} random",
      round, last_round_.trained_on, last_round_.d_loss, last_round_.g_loss, last_round_.valid,
      last_round_.unique_new, last_round_.local, last_round_.random_fill);
}

void register_nag_strategy() {
  register_strategy("nag",
                    "NAG: a conditional GAN over cell graphs trained on the answers, sampled from "
                    "the top accuracy class (spaces with a graph view)",
                    [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                       uint64_t seed) -> std::unique_ptr<Strategy> {
                      return std::make_unique<NagSearch>(c, std::move(s), seed);
                    });
}

}  // namespace nas::nag
