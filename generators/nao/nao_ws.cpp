#include "generators/nao/nao_ws.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "libnas/data/dataset.h"
#include "libnas/models/nao_supernet.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"
#include "libnas/util/rng.h"
#include "libnas/util/strings.h"

namespace nas::nao {

namespace fs = std::filesystem;

void NaoWsConfig::validate() const {
  NAS_CHECK(valid_fraction > 0 && valid_fraction < 1,
            "config key valid_fraction: expected a value in (0, 1), found {}", valid_fraction);
  NAS_CHECK(seed >= 0, "config key seed: expected a seed >= 0, found {}", seed);
  NAS_CHECK(train_subset >= 0, "config key train_subset: expected >= 0, found {}", train_subset);
  NAS_CHECK(!network.auxiliary, "config key network.auxiliary: the supernet has no auxiliary head");
  train.validate();
  augment.validate();
  NAS_CHECK(search.pool_size >= 2, "config key search.pool_size: expected at least 2, found {}",
            search.pool_size);
  NAS_CHECK(search.score_batch >= 1, "config key search.score_batch: expected at least 1, found {}",
            search.score_batch);
  search.generation.validate("search");
  NAS_CHECK(search.generation.explore == 0,
            "config key search.explore: expected 0, found {} (it weighs the spread of an ensemble "
            "of controllers; nao_ws trains one)",
            search.generation.explore);
  NAS_CHECK(search.generation.new_archs < search.pool_size,
            "config key search.new_archs: expected fewer than search.pool_size ({}), found {}",
            search.pool_size, search.generation.new_archs);
  search.controller.validate("search.controller");
  NAS_CHECK(final.top >= 1 && final.top <= search.pool_size,
            "config key final.top: expected 1..search.pool_size ({}), found {}", search.pool_size,
            final.top);
  NAS_CHECK(final.epochs >= 0, "config key final.epochs: expected >= 0, found {}", final.epochs);
  NAS_CHECK(final.dropout >= 0 && final.dropout < 1,
            "config key final.dropout: expected a value in [0, 1), found {}", final.dropout);
  NAS_CHECK(final.drop_path_keep > 0 && final.drop_path_keep <= 1,
            "config key final.drop_path_keep: expected a value in (0, 1], found {}",
            final.drop_path_keep);
}

TrainJobConfig NaoWsConfig::data_job() const {
  TrainJobConfig job;
  job.dataset = dataset;
  job.data_dir = data_dir;
  job.train_subset = train_subset;
  job.synthetic_size = synthetic_size;
  job.seed = seed;
  job.augment = augment;
  job.network = network;
  return job;
}

NaoWsConfig nao_ws_recipe(const std::string& dataset) {
  NaoWsConfig c;
  c.dataset = canonical_image_source_name(dataset);
  c.network.layers = 3;
  c.network.channels = 20;
  c.network.dropout = 0.0;
  c.network.drop_path_keep = 0.9;
  c.network.auxiliary = false;
  c.train.epochs = 150;
  c.train.batch_size = 64;
  c.train.eval_batch_size = 500;
  c.train.lr.lr = 0.025;
  c.train.lr.lr_min = 0.001;
  c.train.sgd = SgdConfig{0.9, false, 3e-4};
  c.train.grad_clip = 5.0;
  c.train.eval_every = 30;
  c.augment = default_augment(c.dataset, 0);
  c.search.generation.top = 100;
  c.search.generation.new_archs = 300;
  return c;
}

namespace {

// The Trainer's view of the supernet: one pool architecture per batch (see nao_ws.h).
class PoolSupernetImpl : public NetworkImpl {
 public:
  explicit PoolSupernetImpl(NaoSupernet net) : net_(register_module("supernet", std::move(net))) {}
  NetworkOutput forward(const torch::Tensor& x) override {
    NAS_CHECK(!pool_.empty(), "nao-ws: the pool is empty");
    size_t i = 0;
    if (is_training())
      i = static_cast<size_t>(torch::randint(static_cast<int64_t>(pool_.size()), {1}, torch::kLong)
                                  .item<int64_t>());
    return {net_->forward(x, pool_[i]), torch::Tensor()};
  }
  void set_progress(double fraction) override { net_->set_progress(fraction); }
  void set_pool(std::vector<std::vector<int>> pool) { pool_ = std::move(pool); }
  NaoSupernet& supernet() { return net_; }

 private:
  NaoSupernet net_;
  std::vector<std::vector<int>> pool_;  // 40-integer archs
};
TORCH_MODULE(PoolSupernet);

// The pool as the search keeps it between rounds.
struct Pool {
  std::vector<std::vector<int>> archs;  // 40 integers each
  std::vector<double> scores;           // of the last round (accuracy in [0, 1]); empty before
};

std::string arch_line(const std::vector<int>& ints) { return fmt::format("{}", fmt::join(ints, " ")); }

void write_pool_files(const std::string& dir, const std::string& suffix, const Pool& pool,
                      double scale) {
  std::string archs, perf;
  for (size_t i = 0; i < pool.archs.size(); ++i) {
    archs += arch_line(pool.archs[i]) + "\n";
    if (i < pool.scores.size()) perf += fmt::format("{:.6g}\n", pool.scores[i] * scale);
  }
  write_file_atomic(dir + "/arch_pool" + suffix, archs);
  if (!pool.scores.empty()) write_file_atomic(dir + "/arch_pool.perf" + suffix, perf);
}

// RUN_DIR/rounds/round_<epoch>.json (pool and scores after the round) and
// controller_<epoch>.pt (the controller after its update).
std::string round_file(const std::string& run_dir, int64_t epoch) {
  return fmt::format("{}/rounds/round_{:04d}.json", run_dir, epoch);
}
std::string controller_file(const std::string& run_dir, int64_t epoch) {
  return fmt::format("{}/rounds/controller_{:04d}.pt", run_dir, epoch);
}

void save_round(const std::string& run_dir, int64_t epoch, const Pool& pool,
                Controller& controller, bool with_controller) {
  Json j;
  j["epoch"] = epoch;
  j["archs"] = Json::array();
  for (const auto& a : pool.archs) j["archs"].push_back(arch_line(a));
  j["scores"] = pool.scores;
  j["controller"] = with_controller;
  if (with_controller) {
    Json meta;
    meta["kind"] = "nao_ws_controller";
    meta["epoch"] = epoch;
    save_checkpoint(controller_file(run_dir, epoch), *controller, meta);
  }
  write_file_atomic(round_file(run_dir, epoch), j.dump() + "\n");
}

Pool load_round(const std::string& run_dir, int64_t epoch, const NaoCellSpace& space,
                Controller& controller) {
  const std::string path = round_file(run_dir, epoch);
  Json j = parse_json(read_file(path), path);
  Pool pool;
  for (const auto& a : j.at("archs")) pool.archs.push_back(space.to_ints(space.parse(a.get<std::string>())));
  pool.scores = j.at("scores").get<std::vector<double>>();
  if (j.at("controller").get<bool>()) load_checkpoint(controller_file(run_dir, epoch), *controller);
  return pool;
}

// Accuracy in [0, 1] of each pool architecture on its own random batch of held-out images
// (the batch depends on seed, epoch and position only). The supernet normalises with batch
// statistics, so eval mode only turns drop-path off.
std::vector<double> score_pool(NaoSupernet& net, const std::vector<std::vector<int>>& archs,
                               const ImageSource& heldout, const Augmenter& eval_aug,
                               int64_t batch, uint64_t seed, int64_t epoch, torch::Device device,
                               bool channels_last) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  const int64_t n = heldout.size();
  const int64_t b = std::min(batch, n);
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::vector<double> scores;
  Progress progress(fmt::format("scoring epoch {}", epoch), static_cast<int64_t>(archs.size()), "archs");
  for (size_t i = 0; i < archs.size(); ++i) {
    Rng rng(mix64(seed ^ mix64(static_cast<uint64_t>(epoch) * 1000003ULL + i)));
    for (int64_t k = 0; k < n; ++k) all[static_cast<size_t>(k)] = k;
    for (int64_t k = 0; k < b; ++k)
      std::swap(all[static_cast<size_t>(k)], all[static_cast<size_t>(rng.uniform_int(k, n - 1))]);
    std::vector<int64_t> idx(all.begin(), all.begin() + b);
    torch::Tensor images, labels;
    heldout.get_batch(idx, images, labels);
    torch::Tensor x = eval_aug.eval(images.to(device));
    if (channels_last) x = to_channels_last(x);
    torch::Tensor logits = net->forward(x, archs[i]);
    scores.push_back(logits.argmax(1).eq(labels.to(device)).sum().item<double>() /
                     static_cast<double>(b));
    if (i % 10 == 0 || i + 1 == archs.size())
      progress.update(static_cast<int64_t>(i + 1), 100.0 * *std::max_element(scores.begin(), scores.end()));
  }
  progress.finish();
  net->train(was_training);
  return scores;
}

// Sorts the pool by score, best first (stable: the earlier one first on ties).
void sort_pool(Pool& pool) {
  std::vector<size_t> order(pool.archs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return pool.scores[a] > pool.scores[b]; });
  Pool sorted;
  for (size_t i : order) {
    sorted.archs.push_back(pool.archs[i]);
    sorted.scores.push_back(pool.scores[i]);
  }
  pool = std::move(sorted);
}

}  // namespace

NaoWsResult run_nao_ws(const NaoWsConfig& cfg, torch::Device device, const RunDir& run_dir) {
  cfg.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const NaoCellSpace space(NaoCellSpace::OpSet::Five);
  const uint64_t seed = static_cast<uint64_t>(cfg.seed);
  const std::string dir = run_dir.path();

  // Data: the training split, divided into the supernet's training part and the held-out part.
  TrainJobConfig job = cfg.data_job();
  auto all_train = open_job_data(job, /*train=*/true);
  const int64_t heldout_size =
      std::max<int64_t>(1, static_cast<int64_t>(std::llround(cfg.valid_fraction * all_train->size())));
  NAS_CHECK(all_train->size() - heldout_size >= cfg.train.batch_size,
            "data set {}: {} training images leave too few for batches of {} after holding out {}",
            cfg.dataset, all_train->size(), cfg.train.batch_size, heldout_size);
  auto split = split_source(all_train, all_train->size() - heldout_size, mix64(seed + 17));
  std::shared_ptr<const ImageSource> train_part = split.first, heldout = split.second;
  NetworkConfig net_cfg = job_network_config(job, all_train.get());
  Augmenter train_aug(cfg.augment, all_train->mean(), all_train->stddev(), device);
  Augmenter eval_aug(cfg.augment, all_train->mean(), all_train->stddev(), device);

  torch::manual_seed(seed);  // the initial weights
  NaoSupernet supernet(net_cfg);
  PoolSupernet pooled(supernet);
  torch::manual_seed(mix64(seed + 1));
  Controller controller(space.sequence_spec(), cfg.search.controller);
  controller->to(device);

  int64_t params = 0;
  for (const auto& p : supernet->parameters()) params += p.numel();
  spdlog::info("nao-ws: supernet N={} C={} ({:.3f} M params) on {} ({} training, {} held-out "
               "images), pool {}, {} epochs, a round every {}, run directory {}",
               net_cfg.layers, net_cfg.channels, static_cast<double>(params) / 1e6, cfg.dataset,
               train_part->size(), heldout->size(), cfg.search.pool_size, cfg.train.epochs,
               cfg.train.eval_every, dir);

  // The pool: random, or the one of the last round the supernet's checkpoint has passed.
  Pool pool;
  int64_t resumed_epoch = 0;
  const std::string last = dir + "/checkpoints/last.pt";
  if (run_dir.resumed() && file_exists(last))
    resumed_epoch = read_checkpoint_meta(last).at("state").at("epoch").get<int64_t>();
  int64_t round_epoch = -1;
  for (int64_t e = resumed_epoch; e >= 0 && round_epoch < 0; --e)
    if (file_exists(round_file(dir, e))) round_epoch = e;
  if (round_epoch >= 0) {
    pool = load_round(dir, round_epoch, space, controller);
    spdlog::info("nao-ws: resuming at epoch {} with the pool of epoch {}", resumed_epoch, round_epoch);
  } else {
    Rng rng(mix64(seed + 2));
    for (int64_t i = 0; i < cfg.search.pool_size; ++i) pool.archs.push_back(space.to_ints(space.sample(rng)));
    make_dirs(dir + "/rounds");
    save_round(dir, 0, pool, controller, false);
    write_pool_files(dir, "", pool, 1.0);
  }
  pooled->set_pool(pool.archs);

  Trainer trainer(pooled.ptr(), cfg.train, device, seed);
  const bool channels_last = cfg.train.channels_last(device);
  trainer.on_epoch_end([&](int64_t epoch) {
    if (epoch % cfg.train.eval_every != 0 && epoch != cfg.train.epochs) return;
    const auto tr = std::chrono::steady_clock::now();
    pool.scores = score_pool(supernet, pool.archs, *heldout, eval_aug, cfg.search.score_batch,
                             seed, epoch, device, channels_last);
    sort_pool(pool);
    write_pool_files(dir, fmt::format(".{}", epoch), pool, 1.0);
    write_pool_files(dir, "", pool, 1.0);
    double mean = 0;
    for (double s : pool.scores) mean += s / static_cast<double>(pool.scores.size());
    const double score_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tr).count();
    if (epoch == cfg.train.epochs) {
      save_round(dir, epoch, pool, controller, false);
      pooled->set_pool(pool.archs);
      spdlog::info("nao-ws: epoch {}: pool scored in {:.0f} s: best {:.2f}%, mean {:.2f}%", epoch,
                   score_seconds, 100 * pool.scores[0], 100 * mean);
      return;
    }
    std::vector<std::vector<int>> seqs;
    for (const auto& a : pool.archs) seqs.push_back(space.to_tokens(space.from_ints(a)));
    const std::vector<double> targets = normalise_targets(pool.scores);
    torch::manual_seed(mix64(seed ^ mix64(static_cast<uint64_t>(epoch) + 7)));
    Rng fit_rng(mix64(seed + 0x51ed27ULL * static_cast<uint64_t>(epoch)));
    FitStats fit = fit_controller(controller, seqs, targets, fit_rng);
    const double pairwise = pairwise_accuracy(predict_sequences(controller, seqs), targets);
    std::unordered_set<std::string> known;
    for (const auto& a : pool.archs) known.insert(space.hash(space.from_ints(a)));
    Generated g = generate_new_archs(controller, space, seqs, known, cfg.search.generation);
    // The new pool: the old one without its worst, then the new architectures.
    Pool next;
    const size_t keep = pool.archs.size() - g.archs.size();
    next.archs.assign(pool.archs.begin(), pool.archs.begin() + static_cast<std::ptrdiff_t>(keep));
    next.scores.assign(pool.scores.begin(), pool.scores.begin() + static_cast<std::ptrdiff_t>(keep));
    for (const auto& a : g.archs) {
      next.archs.push_back(space.to_ints(a));
      next.scores.push_back(0.0);
    }
    pool = std::move(next);
    save_round(dir, epoch, pool, controller, true);
    pooled->set_pool(pool.archs);
    spdlog::info(
        "nao-ws: epoch {}: pool scored in {:.0f} s: best {:.2f}%, mean {:.2f}%; controller "
        "{:.0f} s (mse {:.4f}, nll {:.4f}, pairwise accuracy {:.3f}); {} new archs (step up to "
        "{}, {} invalid)",
        epoch, score_seconds, 100 * pool.scores[0], 100 * mean, fit.seconds, fit.mse, fit.nll,
        pairwise, g.archs.size(), g.last_step, g.invalid);
  });
  Json meta;
  meta["kind"] = "nao_ws_supernet";
  meta["network"] = {{"layers", net_cfg.layers}, {"channels", net_cfg.channels}};
  meta["dataset"] = cfg.dataset;
  trainer.fit(train_part, heldout, train_aug, eval_aug, dir, run_dir.resumed(), meta);

  // The last round's pool is sorted by score; its best final.top are the candidates.
  NaoWsResult result;
  result.rounds = cfg.train.epochs / cfg.train.eval_every +
                  (cfg.train.epochs % cfg.train.eval_every != 0 ? 1 : 0);
  const size_t k = std::min(pool.archs.size(), static_cast<size_t>(cfg.final.top));
  for (size_t i = 0; i < k; ++i) result.final.push_back({arch_line(pool.archs[i]), 100.0 * pool.scores[i]});
  if (cfg.final.epochs > 0) {
    for (size_t i = 0; i < k; ++i) {
      TrainJobConfig fj = cfg.data_job();
      fj.arch = result.final[i].first;
      fj.space = space.name();
      fj.network = net_cfg;
      fj.network.dropout = cfg.final.dropout;
      fj.network.drop_path_keep = cfg.final.drop_path_keep;
      fj.network.auxiliary = cfg.final.auxiliary;
      fj.train = cfg.train;
      fj.train.epochs = cfg.final.epochs;
      fj.train.eval_every = cfg.final.epochs;
      const std::string fdir = fmt::format("{}/final/rank_{}", dir, i + 1);
      make_dirs(fdir);
      const std::string summary = fdir + "/summary.json";
      if (file_exists(summary)) {
        result.final[i].second = parse_json(read_file(summary), summary).at("heldout_acc").get<double>();
        continue;
      }
      ResolvedArch ra = resolve_arch(fj.arch, fj.space);
      torch::manual_seed(seed);
      auto net = build_network(*ra.space, ra.arch, fj.network);
      const Json fmeta = describe_network(ra, fj, fj.network, all_train->mean(), all_train->stddev());
      spdlog::info("nao-ws: final {}/{}: training {} from scratch for {} epochs", i + 1, k,
                   fj.arch, fj.train.epochs);
      Trainer ft(net, fj.train, device, seed);
      TrainResult tr = ft.fit(train_part, heldout, train_aug, eval_aug, fdir, run_dir.resumed(), fmeta);
      result.final[i].second = tr.test.acc;
      Json s;
      s["arch"] = fj.arch;
      s["heldout_acc"] = tr.test.acc;
      write_file_atomic(summary, s.dump(2) + "\n");
    }
    std::stable_sort(result.final.begin(), result.final.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  std::string archs, perf;
  for (const auto& f : result.final) {
    archs += f.first + "\n";
    perf += fmt::format("{:.4f}\n", f.second);
  }
  write_file_atomic(dir + "/arch_pool.final", archs);
  write_file_atomic(dir + "/arch_pool.perf.final", perf);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace nas::nao
