// build_nas_dataset: the NAS dataset NAG's GAN trains on (nas_dataset.h), made one of two ways:
//   one-shot   sample `records` distinct architectures of the nag cell space (normal and
//              reduction cells drawn independently), train the weight-sharing supernet over the
//              pool and record each one's one-shot accuracy (one_shot.h), with its exact
//              parameter count and FLOPs on `network` (the stand-alone network it will be
//              trained as; the data set's image size, channels and classes are filled in);
//   benchmark  draw `records` distinct records uniformly from a tabular benchmark (accuracy =
//              its `by` metric, parameters and FLOPs its columns), so NAG runs on NB201,
//              NAS-Bench-Macro, Channel-Bench-Macro or NB101.
// Writes RUN_DIR/nas_dataset.jsonl.
#pragma once

#include <string>

#include "generators/nag/nas_dataset.h"
#include "generators/nag/one_shot.h"
#include "libnas/util/run_dir.h"

namespace nas::nag {

struct BuildNasDatasetConfig {
  std::string mode = "one-shot";
  int64_t records = 4000;
  int64_t seed = 0;
  std::string benchmark;       // benchmark mode
  std::string by = "val_acc";  // benchmark mode: the accuracy recorded
  NetworkConfig network;       // one-shot mode: what parameters and FLOPs are counted on
  OneShotConfig one_shot;

  template <class V>
  void fields(V& v) {
    v("mode", mode, "one-shot (supernet-scored nag architectures) or benchmark");
    v("records", records, "architectures in the dataset");
    v("seed", seed, "seed of the architecture sample");
    v("benchmark", benchmark, "benchmark mode: the tabular benchmark (nb201-cifar10, macro-cifar10, ...)");
    v("by", by, "benchmark mode: the metric recorded as accuracy");
    v("network", network,
      "one-shot mode: the stand-alone network whose parameters and FLOPs are recorded");
    v("one_shot", one_shot, "one-shot mode: the supernet and how architectures are scored");
  }
  void validate() const;
};

// Builds the dataset into run_dir (resumable in one-shot mode) and writes nas_dataset.jsonl.
NasDataset build_nas_dataset(const BuildNasDatasetConfig& cfg, torch::Device device,
                             const RunDir& run_dir);

}  // namespace nas::nag
