// Pre-training AG-Net's generator by reconstruction (specs/agnet.md §2.3): batches of random
// architectures of the space against fresh standard-normal noise (unpaired), loss = label
// cross-entropy + edge binary cross-entropy, Adam 2e-4 (0.5, 0.999). The weights are cached per
// space and config, so a second search does not pre-train again.
#pragma once

#include <cstdint>
#include <string>

#include "generators/agnet/generator.h"

namespace nas::agnet {

struct PretrainConfig {
  int64_t steps = 4000;
  int64_t batch_size = 32;
  double lr = 2e-4;
  uint64_t seed = 0;  // of the architectures drawn and the generator's initial weights

  template <class V>
  void fields(V& v) {
    v("steps", steps, "reconstruction steps (the reference ran up to 78,000 batches of 32 on NB201)");
    v("batch_size", batch_size, "architectures per step");
    v("lr", lr, "Adam learning rate (betas 0.5, 0.999)");
    v("seed", seed, "seed of the architectures drawn and the initial weights");
  }
  void validate(const std::string& where) const;
};

struct PretrainStats {
  double loss = 0;        // mean reconstruction loss of the last 10 % of the steps
  double validity = 0;    // fraction of 1000 samples (noise U[-3, 3]) the space accepts
  double uniqueness = 0;  // distinct canonical hashes among the valid ones, as a fraction
  double seconds = 0;
  std::string source;     // "trained", or the cache file it was read from
};

// Trains `gen` in place and measures it. Draws from LibTorch's generator (seeded from cfg.seed).
PretrainStats pretrain(Generator& gen, const SearchSpace& space, const PretrainConfig& cfg);

// Validity and uniqueness of n samples of `gen` with noise U[-3, 3] (no grad).
void measure_samples(Generator& gen, const SearchSpace& space, int64_t n, PretrainStats& stats);

// The cache directory: $NASGEN_CACHE, else ~/.cache/nasgen (without HOME: nasgen-cache in the
// system's temporary directory).
std::string default_cache_dir();

// The cache file of (space, generator config, pre-training config) under `cache_dir`:
// agnet/<space>-<16 hex digits of a hash of the three>.pt.
std::string cache_path(const std::string& cache_dir, const SearchSpace& space,
                       const GeneratorConfig& gen_cfg, const PretrainConfig& cfg);

// nas::Error when `file` is a readable checkpoint made for another space or config (what
// pretrained_generator would refuse); nothing when it is absent, unreadable or fits.
void check_pretrained_file(const SearchSpace& space, const GeneratorConfig& gen_cfg,
                           const PretrainConfig& cfg, const std::string& file);

// A pre-trained generator: read from `file` when it holds one for this space and config,
// otherwise trained and written there (atomically). A file that cannot be read (truncated,
// not a checkpoint) is reported, trained again and replaced; a readable file made for another
// space or config is nas::Error naming what differs (it is not overwritten).
Generator pretrained_generator(const SearchSpace& space, const GeneratorConfig& gen_cfg,
                               const PretrainConfig& cfg, const std::string& file,
                               PretrainStats* stats = nullptr);

}  // namespace nas::agnet
