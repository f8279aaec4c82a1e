#include "libnas/data/loader.h"

#include <algorithm>
#include <numeric>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {

DataLoader::DataLoader(std::shared_ptr<const ImageSource> source, LoaderConfig config,
                       torch::Device device)
    : source_(std::move(source)), config_(config), device_(device) {
  NAS_CHECK(source_ != nullptr, "data loader: needs a data set");
  NAS_CHECK(config_.batch_size >= 1, "data loader: batch_size must be >= 1, found {}",
            config_.batch_size);
  NAS_CHECK(config_.prefetch >= 0, "data loader: prefetch must be >= 0, found {}", config_.prefetch);
  NAS_CHECK(config_.workers >= 1 && config_.workers <= 64,
            "data loader: workers must be 1..64, found {}", config_.workers);
  NAS_CHECK(source_->size() > 0, "data loader: data set {} is empty", source_->name());
  NAS_CHECK(batches_per_epoch() > 0,
            "data loader: data set {} has {} samples, fewer than one batch of {} with drop_last",
            source_->name(), source_->size(), config_.batch_size);
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = source_->size();
  return config_.drop_last ? n / config_.batch_size
                           : (n + config_.batch_size - 1) / config_.batch_size;
}

int64_t DataLoader::samples_per_epoch() const {
  return config_.drop_last ? batches_per_epoch() * config_.batch_size : source_->size();
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(source_->size()));
  std::iota(order.begin(), order.end(), 0);
  if (config_.shuffle) {
    // Seeded from (seed, epoch) only, never from a stream carried across epochs, so a resumed
    // run needs nothing but the epoch number to reproduce the order.
    Rng rng(mix64(mix64(config_.seed) ^ mix64(0x0e90c4ULL + static_cast<uint64_t>(epoch))));
    rng.shuffle(order);
  }
  return order;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  NAS_CHECK(epoch >= 0, "data loader: epoch must be >= 0, found {}", epoch);
  const int64_t batches = batches_per_epoch();
  NAS_CHECK(first_batch >= 0 && first_batch <= batches,
            "data loader: first batch must be 0..{} (batches per epoch), found {}", batches,
            first_batch);
  stop();
  order_ = epoch_order(epoch);
  epoch_ = epoch;
  end_ = batches;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next_ = first_batch;
    ready_.clear();
    error_ = nullptr;
    error_batch_ = -1;
    cancel_ = false;
  }
  if (config_.prefetch == 0) return;
  const int64_t workers = std::min(config_.workers, std::max<int64_t>(1, end_ - first_batch));
  for (int64_t w = 0; w < workers; ++w) {
    threads_.emplace_back([this, w, first_batch, workers] {
      // Worker w prepares batches first+w, first+w+workers, ...; next() hands them out in order.
      torch::NoGradGuard no_grad;
      const int64_t window = std::max(config_.prefetch, workers);
      for (int64_t b = first_batch + w; b < end_; b += workers) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [&] { return cancel_ || b < next_ + window; });
          if (cancel_) return;
        }
        Batch batch;
        try {
          batch = load(b);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex_);
          if (!error_ || b < error_batch_) {
            error_ = std::current_exception();
            error_batch_ = b;
          }
          changed_.notify_all();
          return;
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (cancel_) return;
          ready_.emplace(b, std::move(batch));
        }
        changed_.notify_all();
      }
    });
  }
}

bool DataLoader::next(Batch& batch) {
  if (config_.prefetch == 0) {
    if (next_ >= end_) return false;
    batch = load(next_++);
    return true;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_ >= end_) return false;
  changed_.wait(lock, [&] { return ready_.count(next_) > 0 || (error_ && error_batch_ <= next_); });
  auto it = ready_.find(next_);
  if (it == ready_.end()) {
    std::exception_ptr error = error_;
    lock.unlock();
    stop();
    std::rethrow_exception(error);
  }
  batch = std::move(it->second);
  ready_.erase(it);
  ++next_;
  lock.unlock();
  changed_.notify_all();
  return true;
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  ready_.clear();
  next_ = end_;
}

Batch DataLoader::load(int64_t b) const {
  const int64_t n = static_cast<int64_t>(order_.size());
  const int64_t begin = b * config_.batch_size;
  const int64_t end = std::min(begin + config_.batch_size, n);
  std::vector<int64_t> indices(order_.begin() + begin, order_.begin() + end);
  Batch batch;
  batch.index = b;
  batch.epoch = epoch_;
  source_->get_batch(indices, batch.images, batch.labels);
  NAS_CHECK(batch.images.defined() && batch.images.dim() == 4 &&
                batch.images.size(0) == end - begin && batch.labels.defined() &&
                batch.labels.numel() == end - begin,
            "data set {}: get_batch returned the wrong number of images or labels for {} samples",
            source_->name(), end - begin);
  if (device_.is_cuda()) {
    // Pinned host memory lets the copy run asynchronously to the training stream.
    batch.images = batch.images.pin_memory().to(device_, /*non_blocking=*/true);
    batch.labels = batch.labels.pin_memory().to(device_, /*non_blocking=*/true);
  } else if (batch.images.device() != device_) {
    batch.images = batch.images.to(device_);
    batch.labels = batch.labels.to(device_);
  }
  return batch;
}

}  // namespace nas
