// Image data sets: a source of (image, label) pairs, in memory (CIFAR, Fashion-MNIST, synthetic)
// or read on demand (ImageNet class folders). Images are uint8 [C, H, W]; normalisation and
// augmentation happen later on batched tensors on the training device (augment.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nas {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual std::string name() const = 0;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  // Shape of one image: {C, H, W}.
  virtual std::vector<int64_t> image_shape() const = 0;
  // Per-channel mean and std of the pixel values scaled to [0, 1] (for normalisation).
  virtual std::vector<double> mean() const = 0;
  virtual std::vector<double> stddev() const = 0;
  // The images at `indices` as uint8 [B, C, H, W] and their labels int64 [B]. Thread-safe
  // (the loader calls it from its prefetch thread).
  virtual void get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                         torch::Tensor& labels) const = 0;
};

// A source held in memory as one uint8 tensor [N, C, H, W] and int64 labels [N] (CIFAR,
// Fashion-MNIST, synthetic). get_batch gathers rows; the tensors are never modified, so it is
// thread-safe.
class TensorImageSource : public ImageSource {
 public:
  // nas::Error when the shapes, dtypes or labels (0 <= label < num_classes) do not fit.
  TensorImageSource(std::string name, torch::Tensor images, torch::Tensor labels,
                    int64_t num_classes, std::vector<double> mean, std::vector<double> stddev);

  std::string name() const override { return name_; }
  int64_t size() const override { return images_.size(0); }
  int64_t num_classes() const override { return num_classes_; }
  std::vector<int64_t> image_shape() const override;
  std::vector<double> mean() const override { return mean_; }
  std::vector<double> stddev() const override { return stddev_; }
  void get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                 torch::Tensor& labels) const override;

  // All images uint8 [N, C, H, W] and labels int64 [N] (read-only views).
  const torch::Tensor& images() const { return images_; }
  const torch::Tensor& labels() const { return labels_; }

 private:
  std::string name_;
  torch::Tensor images_;
  torch::Tensor labels_;
  int64_t num_classes_;
  std::vector<double> mean_;
  std::vector<double> stddev_;
};

// A view of some samples of another source (a train/validation split, a smaller subset for a
// quick run). Sample i of the subset is sample indices[i] of the parent.
class SubsetSource : public ImageSource {
 public:
  // nas::Error when an index is outside the parent.
  SubsetSource(std::shared_ptr<const ImageSource> parent, std::vector<int64_t> indices);

  std::string name() const override;
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  int64_t num_classes() const override { return parent_->num_classes(); }
  std::vector<int64_t> image_shape() const override { return parent_->image_shape(); }
  // The parent's statistics, so a split is normalised like the whole set.
  std::vector<double> mean() const override { return parent_->mean(); }
  std::vector<double> stddev() const override { return parent_->stddev(); }
  void get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                 torch::Tensor& labels) const override;

  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const ImageSource> parent_;
  std::vector<int64_t> indices_;
};

// Splits a source at random into two disjoint subsets of `first_size` and size() - first_size
// samples (e.g. the 45k/5k train/valid split of a supernet); the split depends on `seed` only.
std::pair<std::shared_ptr<SubsetSource>, std::shared_ptr<SubsetSource>> split_source(
    std::shared_ptr<const ImageSource> source, int64_t first_size, uint64_t seed);

// Per-channel mean and std (pixels scaled to [0, 1]) of a uint8 tensor [N, C, H, W].
void channel_stats(const torch::Tensor& images, std::vector<double>& mean,
                   std::vector<double>& stddev);

// Options of open_image_source that only some sources read.
struct SourceOptions {
  // imagenet: the shorter side of every image is resized to `resize`, then the centre square of
  // side `crop` is kept (eval recipe: 256 then 224). Training splits keep the centre square of
  // side `resize` instead, so the random resized crop of the augmentation has the whole
  // square to choose from (see augment.h).
  int64_t resize = 256;
  int64_t crop = 224;
  // synthetic: number of samples (0: 2048 for train, 512 for test), classes and image shape.
  int64_t synthetic_size = 0;
  int64_t synthetic_classes = 10;
  std::vector<int64_t> synthetic_shape = {3, 32, 32};
  uint64_t synthetic_seed = 0;
};

// Opens a data set by name: cifar10, cifar100, fashion-mnist, imagenet, synthetic. `dir` is the
// data set's directory ("" = default_image_dir(name)); `train` picks the training or the test
// (ImageNet: val) split. nas::Error naming the file and what was expected (and, for a missing
// data set, where to get it).
std::shared_ptr<ImageSource> open_image_source(const std::string& name, const std::string& dir,
                                               bool train, const SourceOptions& options = {});
// The names open_image_source accepts (without aliases).
std::vector<std::string> image_source_names();
// The canonical name of a data set name or alias ("CIFAR-10" -> "cifar10", "fmnist" ->
// "fashion-mnist"); nas::Error listing the names when unknown.
std::string canonical_image_source_name(const std::string& name);
// The directory a data set is read from when none is given: fashion-mnist is where Debian's
// dataset-fashion-mnist package installs it; the others are folders under $NASGEN_DATASETS
// (default ./datasets): cifar-10-batches-bin, cifar-100-binary, imagenet. "" for synthetic.
std::string default_image_dir(const std::string& name);

}  // namespace nas
