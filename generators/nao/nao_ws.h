// NAO-WS: NAO with a weight-sharing supernet over the NAO/ENAS cell space (specs/nao.md §5).
//
//   1. Split the training images into a training part and a held-out part (valid_fraction).
//   2. Start from a pool of `pool_size` random architectures.
//   3. Train the supernet (libnas/models/nao_supernet.h) with the Trainer, sampling one pool
//      architecture per batch.
//   4. Every train.eval_every epochs (a round) score every pool architecture on one random
//      batch of `score_batch` held-out images, sort the pool, write RUN_DIR/arch_pool.<epoch>
//      and arch_pool.perf.<epoch> (and arch_pool, arch_pool.perf); unless this is the last
//      epoch, train the controller on the pool (targets: min-max normalised scores), decode
//      `new_archs` new architectures from the best `top` and replace the pool's worst with them.
//   5. Final: the best final.top architectures, optionally each trained from scratch for
//      final.epochs and re-ranked on the held-out part, go to RUN_DIR/arch_pool.final (best
//      first, one 40-integer arch per line; `train_cifar --arch-file` reads the first) and
//      arch_pool.perf.final (accuracy in percent).
//
// Resume: the Trainer resumes the supernet at its last epoch; each round's pool, scores and
// controller are saved in RUN_DIR/rounds/, and the round that matches the supernet's epoch is
// read back, so a resumed search goes on exactly as an uninterrupted one.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "generators/nao/controller.h"
#include "generators/nao/generate.h"
#include "libnas/data/augment.h"
#include "libnas/models/network.h"
#include "libnas/train/job.h"
#include "libnas/train/trainer.h"
#include "libnas/util/run_dir.h"

namespace nas::nao {

struct NaoWsSearchConfig {
  int64_t pool_size = 600;
  int64_t score_batch = 500;  // held-out images per architecture and round
  GenerationConfig generation;
  ControllerConfig controller;

  template <class V>
  void fields(V& v) {
    v("pool_size", pool_size, "architectures in the pool (the initial ones are random)");
    v("score_batch", score_batch, "held-out images each architecture is scored on per round");
    generation.fields(v);
    v("controller", controller, "encoder-predictor-decoder settings");
  }
};

// The final re-ranking: the best `top` of the last round, each trained from scratch for
// `epochs` epochs (0 = keep the supernet's ranking) with the network settings below.
struct NaoWsFinalConfig {
  int64_t top = 5;
  int64_t epochs = 10;
  double dropout = 0.4;
  double drop_path_keep = 0.8;
  bool auxiliary = true;

  template <class V>
  void fields(V& v) {
    v("top", top, "architectures written to arch_pool.final");
    v("epochs", epochs, "epochs each is trained from scratch to re-rank them (0 = no retraining)");
    v("dropout", dropout, "dropout before the classifier when retraining");
    v("drop_path_keep", drop_path_keep, "drop-path keep probability when retraining");
    v("auxiliary", auxiliary, "auxiliary head when retraining");
  }
};

struct NaoWsConfig {
  std::string dataset = "cifar10";
  std::string data_dir;
  int64_t train_subset = 0;     // use a random subset of this many training images (0 = all)
  int64_t synthetic_size = 0;   // synthetic data set: training images (0 = 2048)
  double valid_fraction = 0.1;  // held out for scoring
  int64_t seed = 0;
  NetworkConfig network;        // the supernet (classes, channels and size come from the data)
  TrainConfig train;            // supernet training; eval_every = epochs per round
  AugmentConfig augment;
  NaoWsSearchConfig search;
  NaoWsFinalConfig final;

  template <class V>
  void fields(V& v) {
    v("dataset", dataset, "cifar10, cifar100, fashion-mnist or synthetic");
    v("data_dir", data_dir, "data set directory (default: the data set's usual place)");
    v("train_subset", train_subset, "use a random subset of this many training images (0 = all)");
    v("synthetic_size", synthetic_size, "synthetic data: training images (0 = 2048)");
    v("valid_fraction", valid_fraction, "fraction of the training images held out for scoring");
    v("seed", seed, "seed of the pool, the supernet, the controller and the data order");
    v("network", network, "supernet");
    v("train", train, "supernet training (eval_every = epochs per round)");
    v("augment", augment, "data augmentation");
    v("search", search, "pool and controller");
    v("final", final, "final re-ranking");
  }
  // nas::Error naming the key for a value out of range.
  void validate() const;
  // The data part as a training job (dataset, directory, subsets, seed, augmentation).
  TrainJobConfig data_job() const;
};

// The reference settings of specs/nao.md §5.1 for a CIFAR-like data set: N = 3, C = 20,
// drop-path keep 0.9, 150 epochs of batch 64, lr 0.025 cosine to 0.001, weight decay 3e-4,
// clip 5, rounds every 30 epochs, pool 600, 300 new from the top 100, 500 images per score,
// controller 1000 epochs; the final top 5 retrained for 10 epochs.
NaoWsConfig nao_ws_recipe(const std::string& dataset = "cifar10");

struct NaoWsResult {
  std::vector<std::pair<std::string, double>> final;  // (arch text, accuracy %) best first
  int64_t rounds = 0;
  double seconds = 0;
};

// Runs the search into `run_dir` (continuing it when the directory was opened for resume).
NaoWsResult run_nao_ws(const NaoWsConfig& cfg, torch::Device device, const RunDir& run_dir);

}  // namespace nas::nao
