#include "generators/nag/train_gan.h"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "libnas/train/trainer.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"

namespace nas::nag {

TrainGanResult run_train_gan(const TrainGanConfig& cfg, torch::Device device, const RunDir& run_dir) {
  const auto start = std::chrono::steady_clock::now();
  const std::string data_copy = run_dir.file("nas_dataset.jsonl");
  const std::string ckpt = run_dir.checkpoints() + "/gan.pt";
  const bool resuming = run_dir.resumed() && file_exists(ckpt);
  NasDataset data;
  if (resuming) {
    data = read_nas_dataset(data_copy);
  } else {
    NAS_CHECK(!cfg.dataset.empty(),
              "no NAS dataset: set `dataset` in the config or pass --dataset FILE (build one with "
              "build_nas_dataset)");
    data = read_nas_dataset(cfg.dataset);
    write_nas_dataset(data, data_copy);
  }
  std::shared_ptr<const SearchSpace> space = make_space(data.space);
  NAS_CHECK(static_cast<int64_t>(data.records.size()) >= cfg.gan.classes,
            "NAS dataset: {} records cannot be split into {} classes", data.records.size(),
            cfg.gan.classes);
  NagGan gan(space, cfg.gan, NagGan::fit_scales(cfg.gan, data.records), device);
  Json history = Json::array();
  if (resuming) {
    // Only the epoch count may change on resume; anything else would not continue this run.
    GanConfig same = cfg.gan;
    GanConfig saved;
    Json meta = read_checkpoint_meta(ckpt);
    decode_config(parse_yaml(meta.value("config", ""), ckpt + " config"), saved);
    same.train.epochs = saved.train.epochs;
    NAS_CHECK(YAML::Dump(encode_config(same)) == YAML::Dump(encode_config(saved)),
              "--resume: the config differs from the run's own (only train.epochs may change); "
              "resume without --config, --set or --seed, or start a new run");
    meta = gan.load(ckpt);
    history = meta.value("history", Json::array());
    spdlog::info("train_gan: resuming after epoch {} of {}", gan.epochs_done(), cfg.gan.train.epochs);
  }
  gan.set_data(data.records);
  for (const auto& s : gan.scales()) {
    for (int64_t k : s.empty_classes())
      spdlog::warn("train_gan: {} class {} is empty (many records share the value {:.6g}); the "
                   "generator learns nothing for it",
                   s.name, k, s.bounds[static_cast<size_t>(k - 1)]);
    std::string ranges;
    for (int64_t k = 0; k < s.classes(); ++k) {
      auto [lo, hi] = s.range(k);
      ranges += fmt::format("{}{}: {:.6g}..{:.6g}", k ? ", " : "", k, lo, hi);
    }
    spdlog::info("train_gan: {} records of space {}; {} classes: {}", data.records.size(),
                 data.space, s.name, ranges);
  }
  auto write_history = [&] {
    std::string text;
    for (const auto& h : history) text += h.dump() + "\n";
    write_file_atomic(run_dir.file("history.jsonl"), text);
  };
  write_history();
  Progress progress("train_gan", cfg.gan.train.epochs, "epochs");
  EpochStats last;
  for (int64_t e = gan.epochs_done() + 1; e <= cfg.gan.train.epochs; ++e) {
    last = gan.train_epoch(e);
    history.push_back(last.to_json());
    write_history();
    Json meta;
    meta["history"] = history;
    gan.save(ckpt, meta);
    spdlog::info("train_gan: epoch {}/{}: d_loss {:.4f} g_loss {:.4f}; samples valid {:.0f} %, "
                 "unique {:.0f} %, novel {:.0f} % ({:.1f} s)",
                 e, cfg.gan.train.epochs, last.d_loss, last.g_loss, 100 * last.validity,
                 100 * last.uniqueness, 100 * last.novelty, last.seconds);
    progress.update(e, Progress::kNoBest,
                    fmt::format("d {:.3f} g {:.3f} valid {:.0f}%", last.d_loss, last.g_loss,
                                100 * last.validity));
  }
  progress.finish();
  Json meta;
  meta["history"] = history;
  meta["dataset"] = {{"space", data.space}, {"records", data.records.size()}, {"source", data.source}};
  gan.save(run_dir.file("gan.pt"), meta);
  TrainGanResult r;
  if (!history.empty()) {
    const Json& h = history.back();
    r.last.epoch = h.value("epoch", int64_t{0});
    r.last.d_loss = h.value("d_loss", 0.0);
    r.last.g_loss = h.value("g_loss", 0.0);
    r.last.validity = h.value("validity", 0.0);
    r.last.uniqueness = h.value("uniqueness", 0.0);
    r.last.novelty = h.value("novelty", 0.0);
  }
  r.records = static_cast<int64_t>(data.records.size());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

TrainedGan load_trained_gan(const std::string& run_dir, torch::Device device) {
  const std::string gan_file = run_dir + "/gan.pt";
  NAS_CHECK(std::filesystem::is_directory(run_dir), "--run {}: no such directory (train a generator with train_gan first)",
            run_dir);
  NAS_CHECK(file_exists(gan_file) || !file_exists(run_dir + "/checkpoints/gan.pt"),
            "--run {}: no trained generator yet (gan.pt); train_gan has not finished there "
            "(continue it with train_gan --out {} --resume)",
            run_dir, run_dir);
  NAS_CHECK(file_exists(gan_file), "--run {}: not a train_gan run directory (it has no generator, gan.pt)",
            run_dir);
  TrainedGan t;
  t.data = read_nas_dataset(run_dir + "/nas_dataset.jsonl");
  Json meta = read_checkpoint_meta(gan_file);
  NAS_CHECK(meta.value("kind", "") == "nag_gan", "{}: not a NAG GAN (kind '{}')", gan_file,
            meta.value("kind", ""));
  GanConfig cfg;
  decode_config(parse_yaml(meta.value("config", ""), gan_file + " config"), cfg);
  t.gan = std::make_unique<NagGan>(make_space(t.data.space), cfg, NagGan::read_scales(meta), device);
  t.gan->set_data(t.data.records);
  t.gan->load(gan_file);
  return t;
}

}  // namespace nas::nag
