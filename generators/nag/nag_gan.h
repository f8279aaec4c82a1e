// NAG's GAN as one trainable object: generator, discriminator, their Adam optimisers, the
// condition scales (class boundaries in real units) and the real data, with the reference's
// training step (specs/nag.md §3.2), sampling with decoding and repair, sample-quality figures
// and checkpoints. train_gan, generate_archs and `search --strategy nag` all use it.
//
// One training iteration on a batch of real architectures with their class labels:
//   D: fakes from fresh noise and uniformly drawn labels (no gradient into G);
//      d_loss = (MSE(D(real, labels), 0) + MSE(D(fake, fake labels), 1)) / 2 (least squares,
//      real 0 / fake 1 as the reference); Adam step, gradient norm clipped when clip_norm > 0;
//   G: fresh noise and labels; g_loss = MSE(D(G(z, labels), labels), 0); Adam step, clipped.
// An epoch shuffles the data and runs floor(N / batch) iterations (one of N when N < batch).
// Determinism: the shuffle, noise and dropout of epoch e depend on (seed, e) only, so a run
// resumed from the checkpoint of epoch e goes on exactly as an uninterrupted one.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "generators/nag/gan.h"
#include "generators/nag/nas_dataset.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/json.h"

namespace nas::nag {

struct GanTrainConfig {
  int64_t epochs = 200;
  int64_t batch_size = 64;
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double clip_norm = 0.01;     // gradient-norm clip of both networks (0 = off)
  int64_t quality_samples = 100;  // generated per epoch for validity, uniqueness and novelty

  template <class V>
  void fields(V& v) {
    v("epochs", epochs, "passes over the NAS dataset");
    v("batch_size", batch_size, "architectures per iteration");
    v("lr", lr, "Adam learning rate of both networks");
    v("beta1", beta1, "Adam beta1");
    v("beta2", beta2, "Adam beta2");
    v("clip_norm", clip_norm, "gradient-norm clip of both networks (0 = off)");
    v("quality_samples", quality_samples,
      "architectures generated after each epoch to measure validity, uniqueness and novelty");
  }
  void validate(const std::string& where) const;
};

struct GanConfig {
  std::vector<std::string> conditions{"acc"};  // acc, or acc and params
  int64_t classes = 3;
  int64_t seed = 1997;
  bool sample_dropout = true;  // keep dropout on when sampling (the reference; more diversity)
  GanModelConfig model;
  GanTrainConfig train;

  template <class V>
  void fields(V& v) {
    v("conditions", conditions, "what the generator is conditioned on: [acc] or [acc, params]");
    v("classes", classes, "classes per condition (quantile bins of the data; 3 = terciles)");
    v("seed", seed, "seed of the weights, the data order, the noise and the dropout");
    v("sample_dropout", sample_dropout,
      "keep dropout on when sampling, as the reference (diversity beyond the noise)");
    v("model", model, "generator and discriminator sizes");
    v("train", train, "GAN training");
  }
  void validate() const;
};

struct EpochStats {
  int64_t epoch = 0;  // 1-based
  double d_loss = 0, g_loss = 0;
  double validity = 0, uniqueness = 0, novelty = 0;
  double seconds = 0;
  Json to_json() const;
};

// A batch of generated architectures, decoded.
struct Generated {
  std::vector<std::optional<Arch>> archs;  // one per sample; nullopt when invalid
  std::vector<bool> repaired;              // valid only after pruning dead vertices
  torch::Tensor fakeness;                  // D's score per sample for its labels (0 = real, 1 = fake)
};

// Decodes a soft batch (edges > 0.5, labels by argmax, each cell cut at its output) and checks
// each arch in the space. An invalid one is repaired where it can be: when `topology` holds a
// cell's fixed adjacency (every real architecture has the same edges there, as in NB201's line
// graph or a chain) and the cell has its vertex count, it takes that adjacency; otherwise the
// vertices off every input->output path are pruned (inputs kept). What is still invalid is
// nullopt.
std::vector<std::optional<Arch>> decode_generated(
    const SearchSpace& space, const GraphBatch& batch, std::vector<bool>* repaired = nullptr,
    const std::vector<std::optional<CellDag>>& topology = {});

class NagGan {
 public:
  // nas::Error when the space has no usable graph view or the config is out of range.
  NagGan(std::shared_ptr<const SearchSpace> space, const GanConfig& cfg,
         std::vector<ConditionScale> scales, torch::Device device);

  // One scale per condition of cfg, fitted to the records.
  static std::vector<ConditionScale> fit_scales(const GanConfig& cfg,
                                                const std::vector<NasRecord>& records);

  // The real data: the records' archs and their class labels under the scales. Their hashes
  // are what novelty is measured against.
  void set_data(const std::vector<NasRecord>& records);
  // Trains one epoch (number `epoch`, 1-based) and measures the sample quality.
  EpochStats train_epoch(int64_t epoch);

  // `n` samples, every one with class labels `labels` (one per condition), noise from `seed`.
  Generated sample(const std::vector<int64_t>& labels, int64_t n, uint64_t seed);
  // Validity, uniqueness and novelty of n samples with uniformly drawn labels.
  void measure_quality(int64_t n, uint64_t seed, EpochStats& stats);

  // Checkpoint: weights, optimiser states, and `meta` plus the scales and epochs done.
  void save(const std::string& path, Json meta) const;
  // Loads a checkpoint written by save (nas::Error naming the file when it does not fit);
  // returns its meta.
  Json load(const std::string& path);
  static std::vector<ConditionScale> read_scales(const Json& meta);

  const std::vector<ConditionScale>& scales() const { return scales_; }
  const GanConfig& config() const { return cfg_; }
  const SearchSpace& space() const { return *space_; }
  std::shared_ptr<const SearchSpace> space_ptr() const { return space_; }
  int64_t epochs_done() const { return epochs_done_; }
  Generator& generator() { return g_; }
  Discriminator& discriminator() { return d_; }

 private:
  struct Optimisers;
  std::shared_ptr<const SearchSpace> space_;
  GanConfig cfg_;
  std::vector<ConditionScale> scales_;
  torch::Device device_;
  GraphShape shape_;
  Generator g_{nullptr};
  Discriminator d_{nullptr};
  std::shared_ptr<Optimisers> opt_;
  GraphBatch real_;
  torch::Tensor real_labels_;
  std::unordered_set<std::string> real_hashes_;
  std::vector<std::optional<CellDag>> topology_;  // per cell: the adjacency all real archs share
  int64_t epochs_done_ = 0;
};

}  // namespace nas::nag
