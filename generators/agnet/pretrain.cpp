#include "generators/agnet/pretrain.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "libnas/train/adam.h"
#include "libnas/train/trainer.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"

namespace nas::agnet {

namespace {

// What a cached generator was made for; equal texts, interchangeable weights.
std::string cache_key(const SearchSpace& space, const GeneratorConfig& gen_cfg,
                      const PretrainConfig& cfg) {
  // Version 1: the generator of generator.h and the pre-training of this file.
  return fmt::format("agnet generator v1\nspace {}\ngenerator {}\npretrain {}\n", space.name(),
                     YAML::Dump(encode_config(gen_cfg)), YAML::Dump(encode_config(cfg)));
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace

void PretrainConfig::validate(const std::string& where) const {
  NAS_CHECK(steps >= 0, "config key {}.steps: expected 0 or more, found {}", where, steps);
  NAS_CHECK(batch_size >= 1, "config key {}.batch_size: expected at least 1, found {}", where,
            batch_size);
  NAS_CHECK(lr > 0, "config key {}.lr: expected a positive rate, found {}", where, lr);
}

void measure_samples(Generator& gen, const SearchSpace& space, int64_t n, PretrainStats& stats) {
  torch::NoGradGuard no_grad;
  const bool was_training = gen->is_training();
  gen->eval();
  GraphLogits logits = gen->forward(gen->noise(n, 3.0));
  std::unordered_set<std::string> seen;
  int64_t valid = 0;
  for (const auto& a : sample_archs(space, logits)) {
    if (!a) continue;
    ++valid;
    seen.insert(space.hash(*a));
  }
  stats.validity = static_cast<double>(valid) / static_cast<double>(n);
  stats.uniqueness = valid > 0 ? static_cast<double>(seen.size()) / static_cast<double>(valid) : 0;
  gen->train(was_training);
}

PretrainStats pretrain(Generator& gen, const SearchSpace& space, const PretrainConfig& cfg) {
  cfg.validate("agnet.pretrain");
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(mix64(cfg.seed + 0x70726574));
  Rng rng(mix64(cfg.seed + 0x61726368));
  gen->train();
  FlatAdam adam(gen->parameters(), {cfg.lr, 0.5, 0.999, 1e-8, 0.0});
  const torch::Device device = gen->parameters().front().device();
  PretrainStats stats;
  double tail_sum = 0;
  int64_t tail_count = 0;
  const int64_t tail_from = cfg.steps - std::max<int64_t>(1, cfg.steps / 10);
  Progress progress("agnet pre-training on " + space.name(), cfg.steps, "steps");
  for (int64_t step = 0; step < cfg.steps; ++step) {
    std::vector<Arch> batch;
    for (int64_t i = 0; i < cfg.batch_size; ++i) batch.push_back(space.sample(rng));
    GraphTargets targets = graph_targets(space, batch, device);
    GraphLogits logits = gen->forward(gen->noise(cfg.batch_size));
    torch::Tensor loss = reconstruction_loss(logits, targets).mean();
    adam.zero_grad();
    loss.backward();
    adam.step();
    if (step >= tail_from) {
      tail_sum += loss.item<double>();
      ++tail_count;
    }
    if ((step + 1) % 50 == 0 || step + 1 == cfg.steps)
      progress.update(step + 1, Progress::kNoBest,
                      tail_count ? fmt::format("loss {:.4f}", tail_sum / tail_count)
                                 : fmt::format("loss {:.4f}", loss.item<double>()));
  }
  progress.finish();
  stats.loss = tail_count ? tail_sum / static_cast<double>(tail_count) : 0.0;
  torch::manual_seed(mix64(cfg.seed + 0x6d656173));
  measure_samples(gen, space, 1000, stats);
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.source = "trained";
  return stats;
}

std::string default_cache_dir() {
  if (const char* env = std::getenv("NASGEN_CACHE"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/nasgen";
  return (std::filesystem::temp_directory_path() / "nasgen-cache").string();
}

std::string cache_path(const std::string& cache_dir, const SearchSpace& space,
                       const GeneratorConfig& gen_cfg, const PretrainConfig& cfg) {
  return fmt::format("{}/agnet/{}-{:016x}.pt", cache_dir, space.name(),
                     fnv1a(cache_key(space, gen_cfg, cfg)));
}

namespace {

// The checkpoint description of `file`; nullopt (with a warning) when it cannot be read.
std::optional<Json> readable_meta(const std::string& file) {
  try {
    return read_checkpoint_meta(file);
  } catch (const Error& e) {
    spdlog::warn("agnet: pre-trained generator {} is unreadable ({}); training it again", file,
                 e.what());
    return std::nullopt;
  }
}

void check_meta(const Json& meta, const SearchSpace& space, const std::string& key,
                const std::string& file) {
  NAS_CHECK(meta.value("kind", std::string()) == "agnet_generator",
            "agnet: {} is not a pre-trained AG-Net generator (it holds a {} checkpoint)", file,
            meta.value("kind", std::string("different")));
  const std::string other_space = meta.value("space", std::string());
  NAS_CHECK(other_space == space.name(),
            "agnet: pre-trained generator {} is for space {}, not {}; remove it or pass another "
            "file",
            file, other_space, space.name());
  NAS_CHECK(meta.value("key", std::string()) == key,
            "agnet: pre-trained generator {} was made with another generator or pre-training "
            "config; remove it or pass another file",
            file);
}

}  // namespace

void check_pretrained_file(const SearchSpace& space, const GeneratorConfig& gen_cfg,
                           const PretrainConfig& cfg, const std::string& file) {
  if (!file_exists(file)) return;
  Json meta;
  try {
    meta = read_checkpoint_meta(file);
  } catch (const Error&) {
    return;  // unreadable: trained again when it is needed
  }
  check_meta(meta, space, cache_key(space, gen_cfg, cfg), file);
}

Generator pretrained_generator(const SearchSpace& space, const GeneratorConfig& gen_cfg,
                               const PretrainConfig& cfg, const std::string& file,
                               PretrainStats* stats) {
  const std::string key = cache_key(space, gen_cfg, cfg);
  torch::manual_seed(mix64(cfg.seed + 0x696e6974));
  Generator gen(GraphShape::of(space), gen_cfg);
  if (file_exists(file)) {
    if (std::optional<Json> meta = readable_meta(file)) {
      check_meta(*meta, space, key, file);
      try {
        load_checkpoint(file, *gen);
        if (stats) {
          *stats = PretrainStats{};
          stats->loss = meta->value("loss", 0.0);
          stats->validity = meta->value("validity", 0.0);
          stats->uniqueness = meta->value("uniqueness", 0.0);
          stats->seconds = meta->value("seconds", 0.0);
          stats->source = file;
        }
        return gen;
      } catch (const Error& e) {
        spdlog::warn("agnet: pre-trained generator {} is unreadable ({}); training it again", file,
                     e.what());
        torch::manual_seed(mix64(cfg.seed + 0x696e6974));
        gen = Generator(GraphShape::of(space), gen_cfg);
      }
    }
  }
  spdlog::info("agnet: pre-training the generator for {} ({} steps of {}); it is cached in {}",
               space.name(), cfg.steps, cfg.batch_size, file);
  PretrainStats s = pretrain(gen, space, cfg);
  spdlog::info("agnet: pre-trained in {:.1f} s: reconstruction loss {:.4f}, {:.1f} % of samples "
               "valid, {:.1f} % of those distinct",
               s.seconds, s.loss, 100 * s.validity, 100 * s.uniqueness);
  Json meta;
  meta["kind"] = "agnet_generator";
  meta["space"] = space.name();
  meta["key"] = key;
  meta["loss"] = s.loss;
  meta["validity"] = s.validity;
  meta["uniqueness"] = s.uniqueness;
  meta["seconds"] = s.seconds;
  make_dirs(file.substr(0, file.find_last_of('/')));
  save_checkpoint(file, *gen, meta);
  if (stats) *stats = s;
  return gen;
}

}  // namespace nas::agnet
