// train_gan: trains NAG's conditional GAN on a NAS dataset file into a run directory.
//
// RUN_DIR/ after a run: config.yaml; nas_dataset.jsonl (a copy of the training data, so the run
// is self-contained); history.jsonl (one line per epoch: losses, validity, uniqueness, novelty
// of generated samples, seconds); checkpoints/gan.pt (after every epoch); gan.pt (the trained
// GAN with its class boundaries, what generate_archs reads); summary.json; log.txt.
// Resume continues from checkpoints/gan.pt and ends with the same weights as an uninterrupted
// run.
#pragma once

#include <string>

#include "generators/nag/nag_gan.h"
#include "libnas/util/run_dir.h"

namespace nas::nag {

struct TrainGanConfig {
  std::string dataset;  // NAS dataset file (build_nas_dataset writes one)
  GanConfig gan;

  template <class V>
  void fields(V& v) {
    v("dataset", dataset,
      "NAS dataset: a build_nas_dataset run directory or its nas_dataset.jsonl");
    gan.fields(v);
  }
};

struct TrainGanResult {
  EpochStats last;
  int64_t records = 0;
  double seconds = 0;
};

TrainGanResult run_train_gan(const TrainGanConfig& cfg, torch::Device device, const RunDir& run_dir);

// The GAN of a train_gan run directory, ready to sample, and the data it was trained on.
// nas::Error naming what is missing when the directory holds no trained generator.
struct TrainedGan {
  std::unique_ptr<NagGan> gan;
  NasDataset data;
};
TrainedGan load_trained_gan(const std::string& run_dir, torch::Device device);

}  // namespace nas::nag
