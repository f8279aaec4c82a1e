// The data loader: every sample exactly once per epoch, images matching their labels, the
// order a function of (seed, epoch) only (so resuming at an epoch or batch repeats it), several
// workers delivering in order, source errors surfacing at their batch, and clean shutdown in the
// middle of an epoch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "libnas/data/dataset.h"
#include "libnas/data/loader.h"
#include "libnas/util/error.h"

namespace nas {
namespace {

// Sample i: label i, every pixel i mod 251 (so images can be matched to labels).
std::shared_ptr<TensorImageSource> indexed_source(int64_t n) {
  torch::Tensor labels = torch::arange(n, torch::kInt64);
  torch::Tensor images = (labels % 251).to(torch::kUInt8).view({n, 1, 1, 1}).expand({n, 1, 4, 4}).contiguous();
  return std::make_shared<TensorImageSource>("indexed", images, labels, n, std::vector<double>{0.5},
                                             std::vector<double>{0.25});
}

// A source that is slow and can fail at one sample, to exercise the background threads.
class SlowSource : public ImageSource {
 public:
  SlowSource(std::shared_ptr<TensorImageSource> inner, int delay_ms, int64_t bad = -1)
      : inner_(std::move(inner)), delay_ms_(delay_ms), bad_(bad) {}
  std::string name() const override { return "slow"; }
  int64_t size() const override { return inner_->size(); }
  int64_t num_classes() const override { return inner_->num_classes(); }
  std::vector<int64_t> image_shape() const override { return inner_->image_shape(); }
  std::vector<double> mean() const override { return inner_->mean(); }
  std::vector<double> stddev() const override { return inner_->stddev(); }
  void get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                 torch::Tensor& labels) const override {
    calls_++;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    for (int64_t i : indices)
      if (i == bad_) fail("slow: sample {} is corrupt", i);
    inner_->get_batch(indices, images, labels);
  }
  mutable std::atomic<int> calls_{0};

 private:
  std::shared_ptr<TensorImageSource> inner_;
  int delay_ms_;
  int64_t bad_;
};

LoaderConfig config(int64_t batch, bool shuffle, bool drop_last, uint64_t seed, int64_t prefetch,
                    int64_t workers = 1) {
  LoaderConfig c;
  c.batch_size = batch;
  c.shuffle = shuffle;
  c.drop_last = drop_last;
  c.seed = seed;
  c.prefetch = prefetch;
  c.workers = workers;
  return c;
}

// All labels of one epoch in delivery order, checking batch indices and image/label agreement.
std::vector<int64_t> run_epoch(DataLoader& loader, int64_t epoch, int64_t first_batch = 0) {
  loader.start_epoch(epoch, first_batch);
  std::vector<int64_t> seen;
  Batch b;
  int64_t expected_index = first_batch;
  while (loader.next(b)) {
    EXPECT_EQ(b.index, expected_index++);
    EXPECT_EQ(b.epoch, epoch);
    EXPECT_EQ(b.images.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(torch::equal(b.images.select(1, 0).select(1, 2).select(1, 3).to(torch::kInt64),
                             b.labels % 251));
    for (int64_t i = 0; i < b.labels.numel(); ++i) seen.push_back(b.labels[i].item<int64_t>());
  }
  return seen;
}

TEST(DataLoader, EverySampleOncePerEpoch) {
  auto src = indexed_source(1000);
  for (int64_t prefetch : {0, 3}) {
    DataLoader loader(src, config(64, true, false, 1, prefetch), torch::kCPU);
    EXPECT_EQ(loader.batches_per_epoch(), 16);
    EXPECT_EQ(loader.samples_per_epoch(), 1000);
    std::vector<int64_t> seen = run_epoch(loader, 0);
    ASSERT_EQ(seen.size(), 1000u);
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
    EXPECT_EQ(seen, loader.epoch_order(0));
    // Shuffled: not the identity.
    EXPECT_NE(seen[0] * 1000 + seen[1], 1);
  }
  // drop_last: 15 full batches of distinct samples.
  DataLoader dropping(src, config(64, true, true, 1, 2), torch::kCPU);
  EXPECT_EQ(dropping.batches_per_epoch(), 15);
  std::vector<int64_t> seen = run_epoch(dropping, 2);
  EXPECT_EQ(seen.size(), 960u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 960u);
  // No shuffle: source order.
  DataLoader ordered(src, config(100, false, false, 1, 2), torch::kCPU);
  seen = run_epoch(ordered, 5);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], i);
  // next() before any epoch, and after the end.
  DataLoader idle(src, config(10, true, false, 0, 1), torch::kCPU);
  Batch b;
  EXPECT_FALSE(idle.next(b));
  run_epoch(idle, 0);
  EXPECT_FALSE(idle.next(b));
}

TEST(DataLoader, OrderDependsOnSeedAndEpochOnly) {
  auto src = indexed_source(300);
  DataLoader a(src, config(32, true, false, 7, 2), torch::kCPU);
  DataLoader b(src, config(32, true, false, 7, 0), torch::kCPU);
  DataLoader other_seed(src, config(32, true, false, 8, 2), torch::kCPU);
  const auto e3 = run_epoch(a, 3);
  run_epoch(b, 0);  // b has a different history, yet epoch 3 is the same
  EXPECT_EQ(run_epoch(b, 3), e3);
  EXPECT_NE(run_epoch(a, 4), e3);
  EXPECT_NE(run_epoch(other_seed, 3), e3);
  // A different batch size slices the same order.
  DataLoader c(src, config(50, true, false, 7, 2), torch::kCPU);
  EXPECT_EQ(run_epoch(c, 3), e3);
  // Resuming at batch 4 of epoch 3 gives the tail of the same sequence.
  const auto tail = run_epoch(a, 3, 4);
  EXPECT_EQ(tail, std::vector<int64_t>(e3.begin() + 4 * 32, e3.end()));
  EXPECT_TRUE(run_epoch(a, 3, a.batches_per_epoch()).empty());
}

TEST(DataLoader, SeveralWorkersDeliverInOrder) {
  auto src = std::make_shared<SlowSource>(indexed_source(200), 2);
  DataLoader loader(src, config(16, true, false, 3, 4, 3), torch::kCPU);
  DataLoader reference(indexed_source(200), config(16, true, false, 3, 0), torch::kCPU);
  EXPECT_EQ(run_epoch(loader, 1), run_epoch(reference, 1));
  EXPECT_EQ(src->calls_.load(), 13);
}

TEST(DataLoader, StopsCleanlyMidEpoch) {
  auto src = std::make_shared<SlowSource>(indexed_source(400), 20);
  {
    DataLoader loader(src, config(10, true, false, 0, 3, 2), torch::kCPU);
    loader.start_epoch(0);
    Batch b;
    ASSERT_TRUE(loader.next(b));
    ASSERT_TRUE(loader.next(b));
    // Restarting mid-epoch abandons the old one.
    loader.start_epoch(1);
    ASSERT_TRUE(loader.next(b));
    EXPECT_EQ(b.index, 0);
    EXPECT_EQ(b.epoch, 1);
  }  // the destructor stops the workers while they are busy
  // Only the batches inside the prefetch windows were loaded, not the 40 of an epoch.
  EXPECT_LE(src->calls_.load(), 14);
}

TEST(DataLoader, SourceErrorsSurfaceAtTheirBatch) {
  // Sample 35 is corrupt: without shuffling it is in batch 3 (batch size 10).
  auto src = std::make_shared<SlowSource>(indexed_source(100), 0, 35);
  for (int64_t prefetch : {0, 4}) {
    DataLoader loader(src, config(10, false, false, 0, prefetch, 2), torch::kCPU);
    loader.start_epoch(0);
    Batch b;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(loader.next(b));
    try {
      loader.next(b);
      ADD_FAILURE() << "expected a nas::Error";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("sample 35 is corrupt"));
    }
    // The loader is usable again afterwards.
    loader.start_epoch(1, 4);
    ASSERT_TRUE(loader.next(b));
    EXPECT_EQ(b.index, 4);
  }
}

TEST(DataLoader, BadSettings) {
  auto src = indexed_source(10);
  EXPECT_THROW(DataLoader(src, config(0, true, false, 0, 1), torch::kCPU), Error);
  EXPECT_THROW(DataLoader(src, config(4, true, false, 0, -1), torch::kCPU), Error);
  EXPECT_THROW(DataLoader(src, config(4, true, false, 0, 1, 0), torch::kCPU), Error);
  EXPECT_THROW(DataLoader(src, config(11, true, true, 0, 1), torch::kCPU), Error);
  EXPECT_THROW(DataLoader(nullptr, config(4, true, false, 0, 1), torch::kCPU), Error);
  DataLoader loader(src, config(4, true, false, 0, 1), torch::kCPU);
  EXPECT_THROW(loader.start_epoch(-1), Error);
  EXPECT_THROW(loader.start_epoch(0, 4), Error);
}

}  // namespace
}  // namespace nas
