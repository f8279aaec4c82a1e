#include "generators/agnet/agnet_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "libnas/train/trainer.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "predictors/features.h"
#include "predictors/ranking.h"
#include "predictors/xgboost.h"

namespace nas::agnet {

AgNetSearchConfig AgNetSearchConfig::xgboost_defaults() {
  AgNetSearchConfig c;
  c.surrogate = "xgboost";
  c.steer = false;
  c.epochs = 1;
  // Tuned on NB201 CIFAR-10 at 100 queries, seeds 0-19 (README): more candidates, a bagged
  // ensemble ranking optimistically, rounds of 8, and a local step with one rare change.
  c.new_archs = 8;
  c.candidates = 300;
  c.ensemble = 5;
  c.explore = 1.0;
  c.local_archs = 3;
  c.local_rare = 1;
  return c;
}

AgNetSearchConfig AgNetSearchConfig::hardware_defaults() {
  // agnet-xgb's search with a second set of trees for the constrained metric; the paper's
  // variant (the MLP predicting both, alpha 0.95) ranked below REA on NB201 under a latency
  // bound (README).
  AgNetSearchConfig c = xgboost_defaults();
  c.cost_aware = true;
  return c;
}

void AgNetSearchConfig::validate(const std::string& where) const {
  auto at_least = [&](int64_t v, int64_t lo, const char* key) {
    NAS_CHECK(v >= lo, "config key {}.{}: expected at least {}, found {}", where, key, lo, v);
  };
  at_least(seed_archs, 2, "seed_archs");
  at_least(new_archs, 1, "new_archs");
  at_least(candidates, 1, "candidates");
  at_least(max_generated, 1, "max_generated");
  at_least(epochs, 0, "epochs");
  at_least(batch_size, 1, "batch_size");
  at_least(surrogate_layers, 1, "surrogate_layers");
  NAS_CHECK(weight_factor > 0, "config key {}.weight_factor: expected a positive factor, found {}",
            where, weight_factor);
  NAS_CHECK(alpha >= 0 && alpha <= 1, "config key {}.alpha: expected a value in [0, 1], found {}",
            where, alpha);
  NAS_CHECK(lr > 0, "config key {}.lr: expected a positive rate, found {}", where, lr);
  NAS_CHECK(noise_bound > 0, "config key {}.noise_bound: expected a positive bound, found {}",
            where, noise_bound);
  NAS_CHECK(surrogate == "mlp" || surrogate == "xgboost",
            "config key {}.surrogate: expected mlp or xgboost, found '{}'", where, surrogate);
  NAS_CHECK(steer || surrogate != "mlp",
            "config key {}.steer: the mlp surrogate is trained with the generator; steer false "
            "needs surrogate xgboost",
            where);
  at_least(local_archs, 0, "local_archs");
  at_least(ensemble, 1, "ensemble");
  NAS_CHECK(ensemble == 1 || surrogate == "xgboost",
            "config key {}.ensemble: needs surrogate xgboost", where);
  NAS_CHECK(explore >= 0, "config key {}.explore: expected a value of at least 0, found {}", where,
            explore);
  at_least(local_rare, 0, "local_rare");
  NAS_CHECK(local_rare <= local_archs,
            "config key {}.local_rare: expected at most local_archs ({}), found {}", where,
            local_archs, local_rare);
  NAS_CHECK(local_archs <= new_archs,
            "config key {}.local_archs: expected at most new_archs ({}), found {}", where, new_archs,
            local_archs);
  NAS_CHECK(penalty >= 1, "config key {}.penalty: expected at least 1, found {}", where, penalty);
  generator.validate(where + ".generator");
  pretrain.validate(where + ".pretrain");
}

AgNetModelImpl::AgNetModelImpl(Generator g, int64_t surrogate_layers, int64_t surrogate_outputs) {
  generator = register_module("generator", std::move(g));
  surrogate = register_module("surrogate", MlpRegressor(generator->flat_size(), generator->flat_size(),
                                                        surrogate_layers, surrogate_outputs));
}

namespace {

// 1-based ranks, best first (ties in order of appearance); NaN ranks last.
std::vector<double> ranks(const std::vector<double>& values, bool higher_is_better) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return higher_is_better ? better_objective(values[a], values[b])
                            : better_objective(-values[a], -values[b]);
  });
  std::vector<double> r(values.size());
  for (size_t k = 0; k < order.size(); ++k) r[order[k]] = static_cast<double>(k + 1);
  return r;
}

// The cost-aware score of each entry (lower is better): objective rank (+ cost rank when joint),
// times the penalty over the bound.
std::vector<double> cost_aware_scores(const std::vector<double>& objectives,
                                      const std::vector<double>& costs, double max, bool joint,
                                      double penalty) {
  const std::vector<double> by_objective = ranks(objectives, true);
  const std::vector<double> by_cost = ranks(costs, false);
  std::vector<double> score(objectives.size());
  for (size_t i = 0; i < score.size(); ++i) {
    score[i] = by_objective[i] + (joint ? by_cost[i] : 0.0);
    if (!(costs[i] <= max)) score[i] *= penalty;
  }
  return score;
}

// Reorders items by ascending priority (priority[i] belongs to items[i]), ties in their order.
template <class T>
void sort_by_priority(std::vector<T>& items, const std::vector<double>& priority) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return priority[a] < priority[b]; });
  std::vector<T> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
}

// Min-max scaling of values to [0, 1] (0.5 when they are all equal), and its inverse.
struct MinMax {
  double lo = 0, hi = 0;
  explicit MinMax(const std::vector<double>& v)
      : lo(*std::min_element(v.begin(), v.end())), hi(*std::max_element(v.begin(), v.end())) {}
  float scale(double v) const { return hi > lo ? static_cast<float>((v - lo) / (hi - lo)) : 0.5f; }
  double unscale(double s) const { return hi > lo ? lo + s * (hi - lo) : lo; }
};

}  // namespace

std::vector<double> AgNetSearch::rank_weights(const std::vector<double>& objectives,
                                              double factor) {
  const size_t n = objectives.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return better_objective(objectives[a], objectives[b]); });
  std::vector<double> w(n);
  for (size_t r = 0; r < n; ++r)
    w[order[r]] = 1.0 / (factor * static_cast<double>(n) + static_cast<double>(r));
  return w;
}

std::vector<double> AgNetSearch::cost_aware_weights(const std::vector<double>& objectives,
                                                    const std::vector<double>& costs, double max,
                                                    bool joint, double penalty, double factor) {
  std::vector<double> score = cost_aware_scores(objectives, costs, max, joint, penalty);
  for (double& v : score) v = -v;  // rank_weights puts the highest first
  return rank_weights(score, factor);
}

AgNetSearch::AgNetSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                         uint64_t seed, const std::string& name, AgNetSearchConfig defaults)
    : SeededQueueStrategy(std::move(space), seed), name_(name), cfg_(std::move(defaults)), seed_(seed) {
  decode_config(cfg, cfg_, name_);
  cfg_.validate(name_);
  seed_archs_ = cfg_.seed_archs;
  GraphShape::of(*space_);  // a graph view the generator can use, or a clear error now
  generator_file_ = cfg_.generator_file.empty()
                        ? cache_path(cfg_.cache_dir.empty() ? default_cache_dir() : cfg_.cache_dir,
                                     *space_, cfg_.generator, cfg_.pretrain)
                        : cfg_.generator_file;
  check_pretrained_file(*space_, cfg_.generator, cfg_.pretrain, generator_file_);
  if (cfg_.surrogate == "xgboost") {
    XgboostConfig xc;
    xc.seed = seed_;
    trees_ = std::make_unique<XgboostPredictor>(xc);
    if (cfg_.cost_aware) cost_trees_ = std::make_unique<XgboostPredictor>(xc);
  }
}

void AgNetSearch::ensure_model() {
  if (model_) return;
  Generator gen =
      pretrained_generator(*space_, cfg_.generator, cfg_.pretrain, generator_file_, &pretrained_);
  // The surrogate's initial weights come from the seed alone.
  torch::manual_seed(mix64(seed_ + 0x73757272));
  model_ = AgNetModel(gen, cfg_.surrogate_layers, cfg_.cost_aware ? 2 : 1);
  adam_ = std::make_unique<FlatAdam>(model_->parameters(), AdamConfig{cfg_.lr, 0.5, 0.999, 1e-8, 0.0});
}

YAML::Node AgNetSearch::config() const { return encode_config(cfg_); }

void AgNetSearch::set_goal(const Goal& goal) {
  NAS_CHECK(!cfg_.cost_aware || goal.constraint.active(),
            "strategy {}: a cost-aware search needs a constraint: set constraint.metric and "
            "constraint.max (e.g. --set constraint.metric=latency_pixel3_ms --set "
            "constraint.max=5)",
            name_);
  goal_ = goal;
}

void AgNetSearch::tell(const std::vector<Trial>& trials) {
  remember(trials);
  for (const Trial& t : trials) {
    if (t.duplicate) continue;
    if (cfg_.cost_aware) {
      // Answers over the bound teach the surrogate too: their objective is read from the metrics.
      const double v = t.metrics.get(goal_.objective);
      const double c = t.metrics.get(goal_.constraint.metric);
      if (present(v) && present(c)) evaluated_.push_back({t.arch, v, c});
    } else if (present(t.objective)) {
      evaluated_.push_back({t.arch, t.objective, kMissing});
    }
  }
}

void AgNetSearch::fine_tune() {
  const int64_t round = last_round_.round;
  const auto n = static_cast<int64_t>(evaluated_.size());
  std::vector<double> objectives, costs;
  for (const auto& e : evaluated_) {
    objectives.push_back(e.objective);
    costs.push_back(e.cost);
  }
  // What the round's state depends on: the config, the seed, the bound and every answer so far
  // (earlier rounds trained on prefixes of the same list).
  std::string data = fmt::format("seed {}\nconfig {}\n", seed_, YAML::Dump(encode_config(cfg_)));
  if (cfg_.cost_aware)
    data += fmt::format("constraint {} <= {:.17g}\n", goal_.constraint.metric, goal_.constraint.max);
  for (const auto& e : evaluated_)
    data += fmt::format("{} {:.17g} {:.17g}\n", space_->hash(e.arch), e.objective, e.cost);
  const std::string path =
      checkpoint_dir_.empty() ? std::string()
                              : fmt::format("{}/agnet_round_{:03d}.pt", checkpoint_dir_, round);
  if (!path.empty() && file_exists(path)) {
    try {
      Json meta = read_checkpoint_meta(path);
      if (meta.value("data", std::string()) == data) {
        auto extra = load_checkpoint(path, *model_, {"adam/exp_avg", "adam/exp_avg_sq", "adam/steps"});
        adam_->load_state(extra, "adam/");
        last_round_.loaded = true;
        last_round_.loss = meta.value("loss", 0.0);
        ++rounds_read_back_;
        return;
      }
      spdlog::warn("agnet: {} was trained on other data; training again", path);
    } catch (const Error& e) {
      spdlog::warn("agnet: ignoring checkpoint {}: {}", path, e.what());
    }
  }

  // Surrogate targets: the objective (and the cost) scaled to [0, 1] over the answers.
  const MinMax objective_scale(objectives), cost_scale(costs);
  std::vector<float> targets;
  for (size_t i = 0; i < objectives.size(); ++i) {
    targets.push_back(objective_scale.scale(objectives[i]));
    if (cfg_.cost_aware) targets.push_back(cost_scale.scale(costs[i]));
  }
  const std::vector<double> weights =
      cfg_.cost_aware ? cost_aware_weights(objectives, costs, goal_.constraint.max, cfg_.joint,
                                           cfg_.penalty, cfg_.weight_factor)
                      : rank_weights(objectives, cfg_.weight_factor);
  const torch::Device device = model_->parameters().front().device();
  const GraphTargets all = graph_targets(*space_, answered_archs(), device);
  const torch::Tensor all_t = torch::tensor(targets).view({n, -1}).to(device);
  const torch::Tensor all_w = torch::tensor(std::vector<float>(weights.begin(), weights.end())).to(device);

  // Noise draws from LibTorch's generator, the weighted draws from an Rng of (seed, round): a
  // round depends on nothing before it but the state and the data.
  torch::manual_seed(mix64(seed_ ^ mix64(static_cast<uint64_t>(round) + 0x74756e65)));
  Rng rng(mix64(seed_ + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(round)));
  model_->train();
  double loss_sum = 0;
  int64_t batches = 0;
  for (int64_t epoch = 0; epoch < cfg_.epochs; ++epoch) {
    std::vector<int64_t> draws(static_cast<size_t>(n));
    for (auto& d : draws) d = static_cast<int64_t>(rng.weighted_index(weights));
    loss_sum = 0;
    batches = 0;
    for (int64_t begin = 0; begin < n; begin += cfg_.batch_size) {
      const int64_t b = std::min(cfg_.batch_size, n - begin);
      torch::Tensor idx = torch::tensor(std::vector<int64_t>(draws.begin() + begin, draws.begin() + begin + b))
                              .to(device);
      GraphTargets t{all.labels.index_select(0, idx), all.edges.index_select(0, idx)};
      GraphLogits logits = model_->generator->forward(model_->generator->noise(b));
      torch::Tensor per_sample = (1 - cfg_.alpha) * reconstruction_loss(logits, t);
      if (cfg_.steer) {
        torch::Tensor pred = model_->surrogate->forward(logits.flat());
        per_sample = per_sample + cfg_.alpha * (pred - all_t.index_select(0, idx)).pow(2).mean(1);
      }
      torch::Tensor loss = (all_w.index_select(0, idx) * per_sample).mean();
      adam_->zero_grad();
      loss.backward();
      adam_->step();
      loss_sum += loss.item<double>();
      ++batches;
    }
  }
  last_round_.loss = batches ? loss_sum / static_cast<double>(batches) : 0.0;
  if (!path.empty()) {
    Json meta;
    meta["kind"] = "agnet_round";
    meta["data"] = data;
    meta["loss"] = last_round_.loss;
    save_checkpoint(path, *model_, meta, adam_->state("adam/"));
  }
}

void AgNetSearch::refill() {
  const auto start = std::chrono::steady_clock::now();
  const int64_t round = last_round_.round + 1;
  last_round_ = RoundInfo{};
  last_round_.round = round;
  last_round_.trained_on = static_cast<int64_t>(evaluated_.size());
  struct Scored {
    Arch arch;
    std::string hash;
    double predicted;  // the surrogate's objective (scaled), or the trees'
    double cost;       // the surrogate's cost (cost-aware), in the metric's units
  };
  std::vector<Scored> found;
  std::vector<Arch> local;  // the local step's candidates, best first
  if (!evaluated_.empty()) {
    ensure_model();
    fine_tune();
    torch::NoGradGuard no_grad;
    model_->eval();
    torch::manual_seed(mix64(seed_ ^ mix64(static_cast<uint64_t>(round) + 0x67656e65)));
    std::vector<double> costs;
    for (const auto& e : evaluated_) costs.push_back(e.cost);
    const MinMax cost_scale(costs);  // read only when cost-aware
    std::unordered_set<std::string> seen;
    for (int64_t size = 100; static_cast<int64_t>(found.size()) < cfg_.candidates &&
                             last_round_.generated < cfg_.max_generated;
         size += 100) {
      const int64_t b = std::min(size, cfg_.max_generated - last_round_.generated);
      GraphLogits logits = model_->generator->forward(model_->generator->noise(b, cfg_.noise_bound));
      torch::Tensor pred = model_->surrogate->forward(logits.flat()).to(torch::kCPU).contiguous();
      auto p = pred.accessor<float, 2>();
      std::vector<std::optional<Arch>> archs = sample_archs(*space_, logits);
      last_round_.generated += b;
      for (size_t i = 0; i < archs.size(); ++i) {
        if (!archs[i]) continue;
        ++last_round_.valid;
        std::string h = space_->hash(*archs[i]);
        if (known_.count(h) || !seen.insert(h).second) continue;
        const auto row = static_cast<int64_t>(i);
        found.push_back({std::move(*archs[i]), std::move(h), p[row][0],
                         cfg_.cost_aware ? cost_scale.unscale(p[row][1]) : kMissing});
      }
    }
    // More than asked: a random `candidates` of them, as the reference.
    if (static_cast<int64_t>(found.size()) > cfg_.candidates) {
      rng_.shuffle(found);
      found.resize(static_cast<size_t>(cfg_.candidates));
    }
    const Arch* centre = nullptr;
    local = local_candidates(&centre);
    if (trees_ && !(found.empty() && local.empty())) {
      // One fit scores the generated candidates and the local ones.
      std::vector<Arch> archs;
      for (const auto& f : found) archs.push_back(f.arch);
      archs.insert(archs.end(), local.begin(), local.end());
      const std::vector<double> scores = xgboost_scores(archs);
      const std::vector<double> costs = cost_trees_ ? cost_tree_predictions(archs)
                                                    : std::vector<double>(archs.size(), kMissing);
      for (size_t i = 0; i < found.size(); ++i) {
        found[i].predicted = scores[i];
        found[i].cost = costs[i];
      }
      const std::vector<double> local_scores(scores.begin() + static_cast<std::ptrdiff_t>(found.size()),
                                             scores.end());
      std::vector<double> local_priority;
      if (cost_trees_) {
        local_priority = cost_aware_scores(
            local_scores,
            std::vector<double>(costs.begin() + static_cast<std::ptrdiff_t>(found.size()), costs.end()),
            goal_.constraint.max, cfg_.joint, cfg_.penalty);
      } else {
        for (double v : local_scores) local_priority.push_back(-v);
      }
      sort_by_priority(local, local_priority);
    }
    if (centre && cfg_.local_rare > 0)
      promote_rare_changes(*space_, answered_archs(), *centre,
                           static_cast<size_t>(cfg_.local_archs - cfg_.local_rare), local);
    // Best first: by the predicted objective, or (cost-aware) by the lowest cost-aware score.
    std::vector<double> priority;
    if (cfg_.cost_aware) {
      std::vector<double> pred_objective, pred_cost;
      for (const auto& f : found) {
        pred_objective.push_back(f.predicted);
        pred_cost.push_back(f.cost);
      }
      priority = cost_aware_scores(pred_objective, pred_cost, goal_.constraint.max, cfg_.joint,
                                   cfg_.penalty);
    } else {
      for (const auto& f : found) priority.push_back(-f.predicted);
    }
    sort_by_priority(found, priority);
  }
  last_round_.candidates = static_cast<int64_t>(found.size());
  for (Arch& a : local) {
    if (last_round_.local >= cfg_.local_archs) break;
    known_.insert(space_->hash(a));
    queue_.push_back(std::move(a));
    ++last_round_.local;
  }
  for (auto& s : found) {
    if (static_cast<int64_t>(queue_.size()) >= cfg_.new_archs) break;
    if (!known_.insert(s.hash).second) continue;
    queue_.push_back(std::move(s.arch));
  }
  last_round_.random_fill += top_up_random(static_cast<size_t>(cfg_.new_archs));
  last_round_.random_fill += ensure_proposal();
  last_round_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::debug(
      "agnet: round {}: {} on {} archs (loss {:.4f}); {} sampled, {} valid, {} new candidates, "
      "{} local, {} random; {:.1f} s",
      round, last_round_.loaded ? "read back" : "fine-tuned", last_round_.trained_on,
      last_round_.loss, last_round_.generated, last_round_.valid, last_round_.candidates,
      last_round_.local, last_round_.random_fill, last_round_.seconds);
}

std::vector<Arch> AgNetSearch::local_candidates(const Arch** centre) {
  *centre = nullptr;
  if (cfg_.local_archs == 0 || evaluated_.empty()) return {};
  // Around the best answer (cost-aware: the best within the bound) with unqueried neighbours.
  std::vector<std::pair<const Arch*, double>> answers;
  for (const auto& e : evaluated_) {
    if (cfg_.cost_aware && !(e.cost <= goal_.constraint.max)) continue;
    answers.emplace_back(&e.arch, e.objective);
  }
  return unknown_neighbors_of_best(answers, centre);
}

std::vector<Arch> AgNetSearch::answered_archs() const {
  std::vector<Arch> out;
  for (const auto& e : evaluated_) out.push_back(e.arch);
  return out;
}

std::vector<double> AgNetSearch::cost_tree_predictions(const std::vector<Arch>& archs) {
  std::vector<double> cost;
  for (const auto& e : evaluated_) cost.push_back(e.cost);
  cost_trees_->fit(graph_features(*space_, answered_archs()), cost);
  return cost_trees_->predict(graph_features(*space_, archs));
}

std::vector<double> AgNetSearch::xgboost_scores(const std::vector<Arch>& archs) {
  // Refitted from scratch on everything answered, targets standardised (specs/agnet.md §3.3).
  std::vector<double> y;
  for (const auto& e : evaluated_) y.push_back(e.objective);
  return bagged_scores(*trees_, graph_features(*space_, answered_archs()), standardized(std::move(y)),
                       graph_features(*space_, archs), cfg_.ensemble, cfg_.explore, seed_);
}

namespace {

// Registers AgNetSearch under `name` with the given defaults for its section.
void register_variant(const std::string& name, const std::string& description,
                      AgNetSearchConfig (*defaults)()) {
  register_strategy(name, description,
                    [name, defaults](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                                     uint64_t seed) -> std::unique_ptr<Strategy> {
                      return std::make_unique<AgNetSearch>(c, std::move(s), seed, name, defaults());
                    });
}

AgNetSearchConfig paper_defaults() { return {}; }

}  // namespace

void register_agnet_strategy() {
  register_variant("agnet",
                   "AG-Net: a graph generator pre-trained by reconstruction, steered by weighted "
                   "retraining with a jointly trained MLP surrogate (spaces with a graph view)",
                   paper_defaults);
  register_variant("agnet-xgb",
                   "AG-Net with gradient-boosted trees (XGBoost) as the surrogate, refitted each "
                   "round on the answers' graph view (spaces with a graph view)",
                   AgNetSearchConfig::xgboost_defaults);
  register_variant("agnet-hw",
                   "hardware-aware AG-Net: agnet-xgb with a second set of trees predicting the "
                   "run's constrained metric (constraint.metric); over-the-bound candidates rank "
                   "last",
                   AgNetSearchConfig::hardware_defaults);
}

}  // namespace nas::agnet
