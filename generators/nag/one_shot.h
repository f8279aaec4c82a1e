// NAG's one-shot scorer (specs/nag.md §4.3-4.4): the accuracy the NAS data set records for each
// architecture of a pool, measured with the weight-sharing supernet (libnas/models/nag_supernet.h).
//
//   1. Split the training images into a training part and a held-out part (valid_fraction).
//   2. Train the supernet with the Trainer, sampling one pool architecture uniformly per batch.
//   3. After every epoch (or, with score_averaged_only, after each of the last average_last
//      epochs) score every pool architecture on one random batch of `score_batch`
//      held-out images (the batch depends on seed, epoch and the architecture's position only;
//      eval mode, BN on batch statistics) and save the accuracies (percent) to
//      RUN_DIR/one_shot/scores_<epoch>.json.
//   4. The recorded accuracy of an architecture is the mean of its single-batch accuracies over
//      the last `average_last` epochs (fewer when training is shorter), written with the pool to
//      RUN_DIR/one_shot/final.json.
//
// Resume: the pool is saved to RUN_DIR/one_shot/pool.json at the start and a reopened run must
// bring the same pool; the Trainer resumes the supernet from its last checkpoint, and the scores
// of the epochs before it are read back, so a resumed run returns exactly what an uninterrupted
// one does.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "libnas/data/augment.h"
#include "libnas/encoding/cell_dag.h"
#include "libnas/models/network.h"
#include "libnas/train/job.h"
#include "libnas/train/trainer.h"
#include "libnas/util/run_dir.h"

namespace nas::nag {

// Defaults are the reference settings of specs/nag.md §4.2-4.4 (supernet N = 3, C = 20,
// auxiliary head 0.4, drop-path keep 0.9; 150 epochs of batch 128, SGD 0.9, lr 0.025 cosine to
// 0.001, weight decay 3e-4, clip 5; 500 images per score, mean over the last 10 epochs), on
// Fashion-MNIST.
struct OneShotConfig {
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  int64_t train_subset = 0;     // use a random subset of this many training images (0 = all)
  int64_t synthetic_size = 0;   // synthetic data set: training images (0 = 2048)
  double valid_fraction = 0.1;  // held out for scoring
  int64_t seed = 0;
  NetworkConfig network;        // the supernet (classes, channels and size come from the data)
  TrainConfig train;            // supernet training
  AugmentConfig augment;
  int64_t score_batch = 500;    // held-out images per architecture and epoch
  int64_t average_last = 10;    // epochs whose scores are averaged
  // Score only the last average_last epochs: the recorded accuracies are the same (scoring
  // changes no weight), the per-epoch scores of the earlier epochs are not written.
  bool score_averaged_only = false;

  OneShotConfig();

  template <class V>
  void fields(V& v) {
    v("dataset", dataset, "cifar10, cifar100, fashion-mnist or synthetic");
    v("data_dir", data_dir, "data set directory (default: the data set's usual place)");
    v("train_subset", train_subset, "use a random subset of this many training images (0 = all)");
    v("synthetic_size", synthetic_size, "synthetic data: training images (0 = 2048)");
    v("valid_fraction", valid_fraction, "fraction of the training images held out for scoring");
    v("seed", seed, "seed of the split, the supernet and the data order");
    v("network", network, "supernet");
    v("train", train, "supernet training");
    v("augment", augment, "data augmentation");
    v("score_batch", score_batch, "held-out images each architecture is scored on per epoch");
    v("average_last", average_last, "epochs whose scores are averaged into the recorded accuracy");
    v("score_averaged_only", score_averaged_only,
      "score only the last average_last epochs (same result, less time)");
  }
  // nas::Error naming the key for a value out of range.
  void validate() const;
  // The data part as a training job (dataset, directory, subsets, seed, augmentation).
  TrainJobConfig data_job() const;
};

// The reference settings (the defaults above) for `dataset`, with its augmentation: cutout 16
// on CIFAR (§4.3), none on Fashion-MNIST.
OneShotConfig one_shot_recipe(const std::string& dataset = "fashion-mnist");

// Called after an epoch's scores are saved, with the number of epochs done (before the
// supernet's checkpoint of that epoch is written; an exception stops the run, and a resumed run
// trains that epoch again).
using OneShotEpochHook = std::function<void(int64_t epochs_done)>;

// The one-shot accuracy (percent, in [0, 100]) of every architecture of `pool` (nag archs,
// validated), in pool order; trains into `run_dir`, continuing it when it was opened for
// resume. nas::Error for an invalid config or arch, or a resumed run directory of another pool.
std::vector<double> score_one_shot(const OneShotConfig& cfg, const std::vector<Arch>& pool,
                                   torch::Device device, const RunDir& run_dir,
                                   const OneShotEpochHook& after_epoch = {});

}  // namespace nas::nag
