// Batches of an ImageSource for training and evaluation, prepared ahead by background threads.
//
//   LoaderConfig cfg;
//   cfg.batch_size = 128;
//   cfg.seed = run_seed;
//   DataLoader loader(source, cfg, device);
//   for (int64_t epoch = start; epoch < epochs; ++epoch) {
//     loader.start_epoch(epoch);
//     Batch b;
//     while (loader.next(b))
//       step(augmenter.train(b.images, augment_seed(run_seed, epoch, b.index)), b.labels);
//   }
//
// The sample order of epoch e is a permutation determined by (seed, e) only, so a run resumed
// at epoch e (or at batch k of it: start_epoch(e, k)) sees exactly the batches it would have.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "libnas/data/dataset.h"

namespace nas {

struct LoaderConfig {
  int64_t batch_size = 128;
  bool shuffle = true;     // false: samples in source order (evaluation)
  bool drop_last = false;  // drop the last, smaller batch of an epoch
  uint64_t seed = 0;       // with the epoch, fixes the sample order
  int64_t prefetch = 2;    // batches prepared ahead by the background threads (0 = none)
  int64_t workers = 1;     // background threads (more help sources that decode, e.g. JPEG)

  template <class V>
  void fields(V& v) {
    v("batch_size", batch_size, "samples per batch");
    v("shuffle", shuffle, "shuffle the samples every epoch (order fixed by seed and epoch)");
    v("drop_last", drop_last, "drop the last incomplete batch of an epoch");
    v("seed", seed, "seed of the sample order");
    v("prefetch", prefetch, "batches prepared ahead in the background (0 = load on demand)");
    v("workers", workers, "background threads preparing batches");
  }
};

// One batch: uint8 images [B, C, H, W] and int64 labels [B] on the loader's device, and the
// batch's position in its epoch.
struct Batch {
  torch::Tensor images;
  torch::Tensor labels;
  int64_t index = 0;
  int64_t epoch = 0;
};

class DataLoader {
 public:
  // nas::Error for a batch size < 1, prefetch < 0, workers < 1 or an empty source.
  DataLoader(std::shared_ptr<const ImageSource> source, LoaderConfig config,
             torch::Device device = torch::kCPU);
  // Stops the background threads, also in the middle of an epoch.
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  // Samples seen per epoch (size() less the dropped remainder with drop_last).
  int64_t samples_per_epoch() const;
  // The sample order of an epoch: source order without shuffle, else the permutation drawn
  // from (seed, epoch) alone.
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // Begins epoch `epoch` at batch `first_batch` (0 = from the start; > 0 resumes mid-epoch).
  // An epoch in progress is abandoned.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the current epoch; false when the epoch is done (or none was started).
  // An error of the source (e.g. a corrupt file) is rethrown here, at the batch it belongs to.
  bool next(Batch& batch);
  // Abandons the current epoch and joins the background threads.
  void stop();

  const ImageSource& source() const { return *source_; }
  const LoaderConfig& config() const { return config_; }
  torch::Device device() const { return device_; }

 private:
  Batch load(int64_t batch) const;
  void work(int64_t worker);

  std::shared_ptr<const ImageSource> source_;
  LoaderConfig config_;
  torch::Device device_;

  // The current epoch; written only while no background thread runs.
  std::vector<int64_t> order_;
  int64_t epoch_ = 0;
  int64_t end_ = 0;  // one past the last batch of the epoch

  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t next_ = 0;              // the batch next() hands out next
  std::map<int64_t, Batch> ready_;  // prepared batches, by index
  std::exception_ptr error_;
  int64_t error_batch_ = -1;
  bool cancel_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace nas
