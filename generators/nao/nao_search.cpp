#include "generators/nao/nao_search.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "libnas/train/trainer.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"

namespace nas::nao {

void NaoSearchConfig::validate() const {
  NAS_CHECK(seed_archs >= 2, "config key nao.seed_archs: expected at least 2, found {}", seed_archs);
  NAS_CHECK(ensemble >= 1, "config key nao.ensemble: expected at least 1, found {}", ensemble);
  NAS_CHECK(generation.explore == 0 || ensemble > 1,
            "config key nao.explore: {} needs nao.ensemble above 1 (it weighs the members' "
            "disagreement)",
            generation.explore);
  NAS_CHECK(targets == "minmax" || targets == "rank",
            "config key nao.targets: expected minmax or rank, found '{}'", targets);
  generation.validate("nao");
  controller.validate("nao.controller");
}

NaoSearch::NaoSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                     uint64_t seed)
    : SeededQueueStrategy(std::move(space), seed), seed_(seed) {
  decode_config(cfg, cfg_, "nao");
  cfg_.validate();
  seed_archs_ = cfg_.seed_archs;
  NAS_CHECK(space_->has_sequence_view(),
            "strategy nao: space {} has no sequence view (nao reads architectures as token "
            "sequences)",
            space_->name());
  spec_ = space_->sequence_spec();
  // The initial weights come from the seed alone, not from whatever ran before.
  for (int64_t m = 0; m < cfg_.ensemble; ++m) {
    torch::manual_seed(mix64(seed_ + 0x6e616f + static_cast<uint64_t>(m)));
    controllers_.push_back(Controller(spec_, cfg_.controller));
  }
}

YAML::Node NaoSearch::config() const { return encode_config(cfg_); }

void NaoSearch::tell(const std::vector<Trial>& trials) {
  remember(trials);
  for (const Trial& t : trials) {
    if (t.duplicate) continue;
    evaluated_.push_back({space_->to_tokens(t.arch), t.objective,
                          static_cast<int64_t>(evaluated_.size())});
  }
}

namespace {

// A missing objective ranks below every present one and trains as the minimum.
double rank_value(double v) { return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v; }

}  // namespace

void NaoSearch::train_controller(size_t member, const std::vector<std::vector<int>>& seqs,
                                 const std::vector<double>& targets) {
  Controller& controller = controllers_[member];
  // What the update depends on, so a replayed update may be read back instead of recomputed.
  std::string data = fmt::format("seed {}\nconfig {}\n", seed_, YAML::Dump(encode_config(cfg_)));
  for (size_t i = 0; i < seqs.size(); ++i)
    data += fmt::format("{} {:.17g}\n", fmt::join(seqs[i], ","), targets[i]);
  const std::string path =
      checkpoint_dir_.empty()
          ? std::string()
          : fmt::format("{}/nao_controller_{:03d}{}.pt", checkpoint_dir_, last_round_.round,
                        member == 0 ? std::string() : fmt::format("_{}", member));
  if (!path.empty() && file_exists(path)) {
    try {
      Json meta = read_checkpoint_meta(path);
      if (meta.value("data", std::string()) == data) {
        load_checkpoint(path, *controller);
        if (member == 0) {
          last_round_.loaded = true;
          ++rounds_read_back_;
          last_round_.fit.loss = meta.value("loss", 0.0);
          last_round_.fit.mse = meta.value("mse", 0.0);
          last_round_.fit.nll = meta.value("nll", 0.0);
        }
        return;
      }
      spdlog::warn("nao: {} was trained on other data; training again", path);
    } catch (const Error& e) {
      spdlog::warn("nao: ignoring checkpoint {}: {}", path, e.what());
    }
  }
  // Dropout draws from LibTorch's generator, the batch order and the swaps from an Rng of
  // (seed, round): a round's fit does not depend on anything before it but the data.
  const auto round = static_cast<uint64_t>(last_round_.round);
  torch::manual_seed(mix64(seed_ ^ mix64(round)) + member);
  Rng fit_rng(mix64(seed_ + 0x9e3779b97f4a7c15ULL * round) + member);
  const FitStats fit = fit_controller(controller, seqs, targets, fit_rng);
  if (member == 0) last_round_.fit = fit;
  if (!path.empty()) {
    Json meta;
    meta["kind"] = "nao_controller";
    meta["data"] = data;
    meta["loss"] = fit.loss;
    meta["mse"] = fit.mse;
    meta["nll"] = fit.nll;
    save_checkpoint(path, *controller, meta);
  }
}

void NaoSearch::refill() {
  const int64_t round = last_round_.round + 1;
  last_round_ = RoundInfo{};
  last_round_.round = round;
  if (evaluated_.empty()) {
    // Nothing answered (every seed was a duplicate in a tiny space): keep sampling.
    for (int64_t i = 0; i < cfg_.generation.new_archs; ++i) queue_.push_back(space_->sample(rng_));
    last_round_.random_fill = cfg_.generation.new_archs;
    return;
  }
  // Targets: the objective normalised over everything evaluated.
  std::vector<std::vector<int>> seqs;
  std::vector<double> objectives;
  for (const auto& e : evaluated_) {
    seqs.push_back(e.tokens);
    objectives.push_back(e.objective);
  }
  const std::vector<double> targets =
      cfg_.targets == "rank" ? rank_targets(objectives) : normalise_targets(objectives);
  last_round_.trained_on = static_cast<int64_t>(seqs.size());
  for (size_t m = 0; m < controllers_.size(); ++m) train_controller(m, seqs, targets);
  last_round_.pairwise_accuracy =
      pairwise_accuracy(predict_sequences(controllers_, seqs), targets);

  // Seeds: the best first (the first evaluated first on ties).
  std::vector<const Evaluated*> ranked;
  for (const auto& e : evaluated_) ranked.push_back(&e);
  std::stable_sort(ranked.begin(), ranked.end(), [](const Evaluated* a, const Evaluated* b) {
    return rank_value(a->objective) > rank_value(b->objective);
  });
  std::vector<std::vector<int>> seeds;
  for (const auto* e : ranked) seeds.push_back(e->tokens);
  // Sampled decodings draw from LibTorch's generator: seeded per round, so a round read back
  // from checkpoints decodes the same.
  torch::manual_seed(mix64(seed_ ^ mix64(static_cast<uint64_t>(round) + 0x6465636f)));
  Generated g = generate_new_archs(controllers_, *space_, seeds, known_, cfg_.generation);
  last_round_.invalid = g.invalid;
  last_round_.last_step = g.last_step;
  last_round_.decoded_new = static_cast<int64_t>(g.archs.size());
  last_round_.candidates = g.decoded;
  for (auto& a : g.archs) queue_.push_back(std::move(a));
  if (cfg_.fill_random)
    last_round_.random_fill += top_up_random(static_cast<size_t>(cfg_.generation.new_archs));
  // Everything nearby is known and no random fill was allowed: one random proposal keeps the
  // run going.
  last_round_.random_fill += ensure_proposal();
  spdlog::debug(
      "nao: update {}: controller {} on {} archs (loss {:.4f}, mse {:.4f}, nll {:.4f}, pairwise "
      "accuracy {:.3f}, {:.1f} s); {} new archs along the gradient (of {} decoded, step up to {}), "
      "{} invalid, {} random",
      round, last_round_.loaded ? "read back" : "trained", last_round_.trained_on,
      last_round_.fit.loss, last_round_.fit.mse, last_round_.fit.nll,
      last_round_.pairwise_accuracy, last_round_.fit.seconds, last_round_.decoded_new,
      last_round_.candidates, last_round_.last_step, last_round_.invalid, last_round_.random_fill);
}

void register_nao_strategy() {
  register_strategy("nao",
                    "Neural Architecture Optimization: encoder-predictor-decoder, gradient steps "
                    "in the embedding (spaces with a sequence view)",
                    [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                       uint64_t seed) -> std::unique_ptr<Strategy> {
                      return std::make_unique<NaoSearch>(c, std::move(s), seed);
                    });
}

}  // namespace nas::nao
