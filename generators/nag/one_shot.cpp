#include "generators/nag/one_shot.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <utility>

#include "libnas/data/dataset.h"
#include "libnas/models/nag_supernet.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"
#include "libnas/util/rng.h"

namespace nas::nag {

OneShotConfig::OneShotConfig() {
  network.layers = 3;
  network.channels = 20;
  network.dropout = 0.0;
  network.drop_path_keep = 0.9;
  network.auxiliary = true;
  train.epochs = 150;
  train.batch_size = 128;
  train.eval_batch_size = 500;
  train.lr.lr = 0.025;
  train.lr.lr_min = 0.001;
  train.sgd = SgdConfig{0.9, false, 3e-4};
  train.grad_clip = 5.0;
  train.aux_weight = 0.4;
  augment = default_augment(dataset, 0);
}

void OneShotConfig::validate() const {
  NAS_CHECK(valid_fraction > 0 && valid_fraction < 1,
            "config key valid_fraction: expected a value in (0, 1), found {}", valid_fraction);
  NAS_CHECK(seed >= 0, "config key seed: expected a seed >= 0, found {}", seed);
  NAS_CHECK(train_subset >= 0, "config key train_subset: expected >= 0, found {}", train_subset);
  NAS_CHECK(synthetic_size >= 0, "config key synthetic_size: expected >= 0, found {}",
            synthetic_size);
  NAS_CHECK(!network.imagenet,
            "config key network.imagenet: the supernet has the CIFAR stem only; expected false");
  train.validate();
  augment.validate();
  NAS_CHECK(score_batch >= 1, "config key score_batch: expected at least 1, found {}", score_batch);
  NAS_CHECK(average_last >= 1, "config key average_last: expected at least 1, found {}",
            average_last);
}

TrainJobConfig OneShotConfig::data_job() const {
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

OneShotConfig one_shot_recipe(const std::string& dataset) {
  OneShotConfig c;
  c.dataset = canonical_image_source_name(dataset);
  c.augment = default_augment(c.dataset, 16);
  return c;
}

namespace {

constexpr const char* kWhat = "nag one-shot";

// The Trainer's view of the supernet: one pool architecture per training batch, drawn with
// LibTorch's generator, which the Trainer reseeds per step (so a resumed run draws the same).
class PoolSupernetImpl : public NetworkImpl {
 public:
  PoolSupernetImpl(NagSupernet net, std::vector<NagSupernetPath> pool)
      : net_(register_module("supernet", std::move(net))), pool_(std::move(pool)) {}
  NetworkOutput forward(const torch::Tensor& x) override {
    size_t i = 0;
    if (is_training())
      i = static_cast<size_t>(
          torch::randint(static_cast<int64_t>(pool_.size()), {1}, torch::kLong).item<int64_t>());
    return net_->forward_with_aux(x, pool_[i]);
  }
  void set_progress(double fraction) override { net_->set_progress(fraction); }

 private:
  NagSupernet net_;
  std::vector<NagSupernetPath> pool_;
};
TORCH_MODULE(PoolSupernet);

std::string pool_file(const std::string& dir) { return dir + "/one_shot/pool.json"; }
std::string scores_file(const std::string& dir, int64_t epoch) {
  return fmt::format("{}/one_shot/scores_{:04d}.json", dir, epoch);
}

// Accuracy in percent of each pool architecture on its own random batch of held-out images.
// The supernet normalises with batch statistics, so eval mode only turns drop-path, dropout
// and the auxiliary head off.
std::vector<double> score_pool(NagSupernet& net, const std::vector<NagSupernetPath>& paths,
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
  scores.reserve(paths.size());
  Progress progress(fmt::format("one-shot scores, epoch {}", epoch),
                    static_cast<int64_t>(paths.size()), "archs");
  double best = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    // A fresh partial shuffle per architecture (the reference draws each one a new iterator
    // over the held-out split).
    Rng rng(mix64(seed ^ mix64(static_cast<uint64_t>(epoch) * 1000003ULL + i)));
    for (int64_t k = 0; k < n; ++k) all[static_cast<size_t>(k)] = k;
    for (int64_t k = 0; k < b; ++k)
      std::swap(all[static_cast<size_t>(k)], all[static_cast<size_t>(rng.uniform_int(k, n - 1))]);
    std::vector<int64_t> idx(all.begin(), all.begin() + b);
    torch::Tensor images, labels;
    heldout.get_batch(idx, images, labels);
    torch::Tensor x = eval_aug.eval(images.to(device));
    if (channels_last) x = to_channels_last(x);
    torch::Tensor logits = net->forward(x, paths[i]);
    const double acc = 100.0 * logits.argmax(1).eq(labels.to(device)).sum().item<double>() /
                       static_cast<double>(b);
    scores.push_back(acc);
    best = std::max(best, acc);
    if (i % 10 == 0 || i + 1 == paths.size()) progress.update(static_cast<int64_t>(i + 1), best);
  }
  progress.finish();
  net->train(was_training);
  return scores;
}

void save_scores(const std::string& dir, int64_t epoch, const std::vector<double>& scores) {
  Json j;
  j["epoch"] = epoch;
  j["scores"] = scores;
  write_file_atomic(scores_file(dir, epoch), j.dump() + "\n");
}

std::vector<double> load_scores(const std::string& dir, int64_t epoch, size_t pool_size) {
  const std::string path = scores_file(dir, epoch);
  NAS_CHECK(file_exists(path),
            "{}: the run directory has the supernet past epoch {} but no scores file {}; start "
            "a new run directory",
            kWhat, epoch, path);
  Json j = parse_json(read_file(path), path);
  std::vector<double> scores = j.at("scores").get<std::vector<double>>();
  NAS_CHECK(scores.size() == pool_size, "{}: {} holds {} scores, expected one per pool arch ({})",
            kWhat, path, scores.size(), pool_size);
  return scores;
}

// Writes the pool at the start of a run; a resumed run must bring the same pool.
void check_or_save_pool(const std::string& dir, bool resumed, const std::vector<std::string>& texts) {
  const std::string path = pool_file(dir);
  if (resumed && file_exists(path)) {
    Json j = parse_json(read_file(path), path);
    const auto saved = j.at("archs").get<std::vector<std::string>>();
    NAS_CHECK(saved.size() == texts.size(),
              "{}: the run directory was started with a pool of {} archs ({}), found {}", kWhat,
              saved.size(), path, texts.size());
    for (size_t i = 0; i < texts.size(); ++i)
      NAS_CHECK(saved[i] == texts[i],
                "{}: the run directory was started with another pool: arch {} is {} in {}, "
                "found {}",
                kWhat, i, saved[i], path, texts[i]);
    return;
  }
  make_dirs(dir + "/one_shot");
  Json j;
  j["archs"] = texts;
  write_file_atomic(path, j.dump(1) + "\n");
}

}  // namespace

std::vector<double> score_one_shot(const OneShotConfig& cfg, const std::vector<Arch>& pool,
                                   torch::Device device, const RunDir& run_dir,
                                   const OneShotEpochHook& after_epoch) {
  cfg.validate();
  NAS_CHECK(!pool.empty(), "{}: expected at least one architecture to score, found none", kWhat);
  const auto t0 = std::chrono::steady_clock::now();
  const NagCellSpace space;
  const uint64_t seed = static_cast<uint64_t>(cfg.seed);
  const std::string dir = run_dir.path();
  std::vector<NagSupernetPath> paths;
  std::vector<std::string> texts;
  paths.reserve(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    try {
      paths.push_back(nag_supernet_path(pool[i]));
    } catch (const Error& e) {
      fail("{}: pool arch {}: {}", kWhat, i, e.what());
    }
    texts.push_back(space.format(pool[i]));
  }

  // Data: the training split, divided into the supernet's training part and the held-out part.
  TrainJobConfig job = cfg.data_job();
  auto all_train = open_job_data(job, /*train=*/true);
  const int64_t heldout_size = std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(cfg.valid_fraction * all_train->size())));
  NAS_CHECK(all_train->size() - heldout_size >= cfg.train.batch_size,
            "data set {}: {} training images leave too few for batches of {} after holding out {}",
            cfg.dataset, all_train->size(), cfg.train.batch_size, heldout_size);
  auto split = split_source(all_train, all_train->size() - heldout_size, mix64(seed + 17));
  std::shared_ptr<const ImageSource> train_part = split.first, heldout = split.second;
  const NetworkConfig net_cfg = job_network_config(job, all_train.get());
  Augmenter train_aug(cfg.augment, all_train->mean(), all_train->stddev(), device);
  Augmenter eval_aug(cfg.augment, all_train->mean(), all_train->stddev(), device);

  check_or_save_pool(dir, run_dir.resumed(), texts);

  torch::manual_seed(seed);  // the initial weights
  NagSupernet supernet(net_cfg);
  PoolSupernet pooled(supernet, paths);
  int64_t params = 0;
  for (const auto& p : supernet->parameters()) params += p.numel();
  spdlog::info(
      "{}: supernet N={} C={} ({:.3f} M params) on {} ({} training, {} held-out images), pool "
      "{}, {} epochs, scores on {} images averaged over the last {} epochs, run directory {}",
      kWhat, net_cfg.layers, net_cfg.channels, static_cast<double>(params) / 1e6, cfg.dataset,
      train_part->size(), heldout->size(), pool.size(), cfg.train.epochs, cfg.score_batch,
      cfg.average_last, dir);

  Trainer trainer(pooled.ptr(), cfg.train, device, seed);
  const bool channels_last = cfg.train.channels_last(device);
  const int64_t first_averaged = std::max<int64_t>(1, cfg.train.epochs - cfg.average_last + 1);
  trainer.on_epoch_end([&](int64_t epoch) {
    if (cfg.score_averaged_only && epoch < first_averaged) {
      if (after_epoch) after_epoch(epoch);
      return;
    }
    const auto ts = std::chrono::steady_clock::now();
    const std::vector<double> scores = score_pool(supernet, paths, *heldout, eval_aug,
                                                  cfg.score_batch, seed, epoch, device,
                                                  channels_last);
    save_scores(dir, epoch, scores);
    double mean = 0;
    for (double s : scores) mean += s / static_cast<double>(scores.size());
    spdlog::info("{}: epoch {}: {} archs scored in {:.1f} s: best {:.2f}%, mean {:.2f}%", kWhat,
                 epoch, scores.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count(),
                 *std::max_element(scores.begin(), scores.end()), mean);
    if (after_epoch) after_epoch(epoch);
  });
  Json meta;
  meta["kind"] = "nag_one_shot_supernet";
  meta["network"] = {{"layers", net_cfg.layers},
                     {"channels", net_cfg.channels},
                     {"auxiliary", net_cfg.auxiliary},
                     {"drop_path_keep", net_cfg.drop_path_keep}};
  meta["dataset"] = cfg.dataset;
  meta["pool_size"] = pool.size();
  // No test source: the held-out part is used by the per-epoch scores only.
  trainer.fit(train_part, nullptr, train_aug, eval_aug, dir, run_dir.resumed(), meta);

  // The mean of each arch's scores over the last average_last epochs, read back from the files
  // so that epochs scored before a resume count as well.
  const int64_t last = cfg.train.epochs;
  const int64_t first = first_averaged;
  std::vector<double> result(pool.size(), 0.0);
  for (int64_t e = first; e <= last; ++e) {
    const std::vector<double> s = load_scores(dir, e, pool.size());
    for (size_t i = 0; i < pool.size(); ++i) result[i] += s[i];
  }
  for (double& r : result) r /= static_cast<double>(last - first + 1);
  Json out;
  out["archs"] = texts;
  out["scores"] = result;
  out["epochs"] = {first, last};
  write_file_atomic(dir + "/one_shot/final.json", out.dump(1) + "\n");
  spdlog::info("{}: {} archs scored (mean of epochs {}..{}) in {}", kWhat, pool.size(), first,
               last,
               format_duration(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  return result;
}

}  // namespace nas::nag
