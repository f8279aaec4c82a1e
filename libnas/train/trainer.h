// Training of a network built from an architecture: SGD with a learning-rate schedule, the
// auxiliary head's loss, drop-path ramp, gradient clipping, label smoothing, evaluation after
// epochs, metrics in RUN_DIR/history.jsonl, atomic checkpoints and bit-for-bit resume.
//
//   Trainer trainer(net, cfg, device, seed);
//   TrainResult r = trainer.fit(train_source, test_source, train_aug, eval_aug, run_dir_path,
//                               resume, meta);
//
// Reproducibility: the sample order depends on (seed, epoch), the augmentation on (seed, epoch,
// batch), and LibTorch's generator (drop-path, dropout) is reseeded from (seed, global step)
// before each step. A checkpoint holds the weights, BN statistics, the momentum buffer, the step
// and the metrics of a partial epoch, so a run resumed from it ends with exactly the weights and
// history of an uninterrupted run (same machine, same threads).
//
// Checkpoints: RUN_DIR/checkpoints/last.pt after every epoch (and every checkpoint_batches
// batches when > 0), written to a temporary file and renamed. A non-finite loss stops training
// with nas::Error (runtime); no checkpoint is written after it, so last.pt stays the last good
// state. The final weights go to RUN_DIR/model.pt with `meta` (what the network is), so
// load_trained_model() can rebuild and evaluate it from that file alone.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libnas/data/augment.h"
#include "libnas/data/dataset.h"
#include "libnas/models/network.h"
#include "libnas/train/schedule.h"
#include "libnas/train/sgd.h"
#include "libnas/util/json.h"

namespace nas {

struct TrainConfig {
  int64_t epochs = 600;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 500;
  LrSchedule lr;
  SgdConfig sgd;
  double grad_clip = 5.0;         // global L2 norm (0 = off)
  double aux_weight = 0.4;        // weight of the auxiliary head's loss (with network.auxiliary)
  double label_smoothing = 0.0;   // training loss only (ImageNet: 0.1)
  int64_t eval_every = 1;         // evaluate every k epochs (and always after the last)
  int64_t checkpoint_batches = 0; // also checkpoint every k batches within an epoch (0 = off)
  int64_t workers = 1;            // loader threads
  int64_t prefetch = 2;           // batches prepared ahead
  // auto (channels-last on the CPU, NCHW on CUDA; see prefers_channels_last), channels_last or
  // contiguous: the layout of the network's weights and inputs.
  std::string memory_format = "auto";

  template <class V>
  void fields(V& v) {
    v("epochs", epochs, "training epochs");
    v("batch_size", batch_size, "training batch size");
    v("eval_batch_size", eval_batch_size, "evaluation batch size");
    v("lr", lr, "learning-rate schedule");
    v("sgd", sgd, "optimizer");
    v("grad_clip", grad_clip, "clip the global gradient norm to this (0 = off)");
    v("aux_weight", aux_weight, "auxiliary loss weight");
    v("label_smoothing", label_smoothing, "label smoothing of the training loss");
    v("eval_every", eval_every, "evaluate every k epochs (and after the last)");
    v("checkpoint_batches", checkpoint_batches, "also checkpoint every k batches (0 = epochs only)");
    v("workers", workers, "data loader threads");
    v("prefetch", prefetch, "batches prepared ahead");
    v("memory_format", memory_format, "auto, channels_last or contiguous");
  }
  // nas::Error naming the key for a value out of range.
  void validate() const;
  // Whether training on `device` uses channels-last tensors.
  bool channels_last(torch::Device device) const;
};

struct EvalResult {
  double loss = 0;
  double acc = 0;   // top-1, percent
  double top5 = 0;  // percent
  int64_t samples = 0;
};

struct TrainResult {
  int64_t epochs_run = 0;   // epochs trained by this call (0 when resumed after the end)
  double train_loss = 0, train_acc = 0;
  EvalResult test;          // after the last epoch
  double best_test_acc = 0;
  double seconds = 0;       // wall time of this call
  std::string model_path;   // RUN_DIR/model.pt
};

class Trainer {
 public:
  // The network's parameters are packed for FlatSgd; train it through this object only.
  Trainer(std::shared_ptr<NetworkImpl> net, TrainConfig config, torch::Device device,
          uint64_t seed);

  // Trains for config.epochs epochs, continuing from RUN_DIR/checkpoints/last.pt when `resume`
  // (nas::Error when it was written for another setup). `meta` describes the network and is
  // stored in every checkpoint and in model.pt.
  TrainResult fit(std::shared_ptr<const ImageSource> train, std::shared_ptr<const ImageSource> test,
                  const Augmenter& train_aug, const Augmenter& eval_aug,
                  const std::string& run_dir, bool resume, const Json& meta);

  // Loss and accuracy of the network on a source (eval mode, no augmentation but
  // normalisation).
  EvalResult evaluate(std::shared_ptr<const ImageSource> source, const Augmenter& eval_aug);

  // Called with the number of epochs done after each epoch's training, evaluation and history
  // line, before its checkpoint is written: a hook that keeps state of its own (the pool of a
  // supernet search) saves it there, and when it throws, the epoch is trained again on resume.
  void on_epoch_end(std::function<void(int64_t epochs_done)> hook) { on_epoch_end_ = std::move(hook); }

  NetworkImpl& network() { return *net_; }
  FlatSgd& optimizer() { return sgd_; }

 private:
  std::shared_ptr<NetworkImpl> net_;
  TrainConfig config_;
  torch::Device device_;
  uint64_t seed_;
  bool channels_last_;
  FlatSgd sgd_;
  std::function<void(int64_t)> on_epoch_end_;
};

// Evaluates a network outside a Trainer (same as Trainer::evaluate); `channels_last` feeds it
// channels-last input (as the Trainer does where it trains so).
EvalResult evaluate_network(NetworkImpl& net, std::shared_ptr<const ImageSource> source,
                            const Augmenter& eval_aug, int64_t batch_size, torch::Device device,
                            bool channels_last);

// ---- Checkpoint files ------------------------------------------------------------------------

// Writes the network's parameters and buffers, extra named tensors and a JSON document to
// `path` atomically (temporary file, then rename).
void save_checkpoint(const std::string& path, torch::nn::Module& net, const Json& meta,
                     const std::vector<std::pair<std::string, torch::Tensor>>& extra = {});
// The JSON document of a checkpoint; nas::Error naming the file when it is not one of ours.
Json read_checkpoint_meta(const std::string& path);
// Copies a checkpoint's parameters and buffers into `net` (nas::Error naming the first missing
// or mis-shaped tensor) and returns the extra tensors by name.
std::vector<std::pair<std::string, torch::Tensor>> load_checkpoint(
    const std::string& path, torch::nn::Module& net, const std::vector<std::string>& extra_names = {});

}  // namespace nas
