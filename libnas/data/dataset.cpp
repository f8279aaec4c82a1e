#include "libnas/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "libnas/data/cifar.h"
#include "libnas/data/fashion_mnist.h"
#include "libnas/data/imagenet.h"
#include "libnas/data/synthetic.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

// Checks a batch's indices against the source size (a bad index would otherwise be a crash or
// an opaque error from inside the prefetch thread).
void checked_index(const std::vector<int64_t>& indices, int64_t size, const std::string& source) {
  for (int64_t i : indices) {
    NAS_CHECK(i >= 0 && i < size, "data set {}: sample index {} is outside [0, {})", source, i,
              size);
  }
}

}  // namespace

std::string canonical_image_source_name(const std::string& name) {
  const std::string n = to_lower(trim(name));
  if (n == "cifar10" || n == "cifar-10") return "cifar10";
  if (n == "cifar100" || n == "cifar-100") return "cifar100";
  if (n == "fashion-mnist" || n == "fashion_mnist" || n == "fmnist" || n == "fashionmnist")
    return "fashion-mnist";
  if (n == "imagenet") return "imagenet";
  if (n == "synthetic") return "synthetic";
  fail("data set {}: unknown; expected one of {}", quote(name), join(image_source_names(), ", "));
}

// ---- TensorImageSource ---------------------------------------------------------------------

TensorImageSource::TensorImageSource(std::string name, torch::Tensor images, torch::Tensor labels,
                                     int64_t num_classes, std::vector<double> mean,
                                     std::vector<double> stddev)
    : name_(std::move(name)),
      images_(std::move(images)),
      labels_(std::move(labels)),
      num_classes_(num_classes),
      mean_(std::move(mean)),
      stddev_(std::move(stddev)) {
  NAS_CHECK(images_.defined() && images_.dim() == 4 && images_.scalar_type() == torch::kUInt8,
            "data set {}: expected uint8 images [N, C, H, W], found {}", name_,
            images_.defined() ? std::string(c10::toString(images_.scalar_type())) + " of rank " +
                                    std::to_string(images_.dim())
                              : std::string("none"));
  NAS_CHECK(labels_.defined() && labels_.dim() == 1 && labels_.size(0) == images_.size(0),
            "data set {}: expected {} labels, found {}", name_, images_.size(0),
            labels_.defined() ? labels_.numel() : 0);
  labels_ = labels_.to(torch::kInt64).contiguous();
  images_ = images_.contiguous();
  NAS_CHECK(num_classes_ > 0, "data set {}: expected at least one class, found {}", name_,
            num_classes_);
  if (labels_.numel() > 0) {
    const int64_t lo = labels_.min().item<int64_t>();
    const int64_t hi = labels_.max().item<int64_t>();
    NAS_CHECK(lo >= 0 && hi < num_classes_, "data set {}: labels must lie in [0, {}), found {}",
              name_, num_classes_, lo < 0 ? lo : hi);
  }
  const size_t c = static_cast<size_t>(images_.size(1));
  NAS_CHECK(mean_.size() == c && stddev_.size() == c,
            "data set {}: expected {} channel means and stds, found {} and {}", name_, c,
            mean_.size(), stddev_.size());
  for (double s : stddev_) NAS_CHECK(s > 0, "data set {}: channel std must be > 0, found {}", name_, s);
}

std::vector<int64_t> TensorImageSource::image_shape() const {
  return {images_.size(1), images_.size(2), images_.size(3)};
}

void TensorImageSource::get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                                  torch::Tensor& labels) const {
  checked_index(indices, size(), name_);
  // A plain row copy: index_select would hand these few hundred kilobytes to the intra-op
  // thread pool, whose start-up costs more than the copy (and stalls on a busy machine).
  const int64_t b = static_cast<int64_t>(indices.size());
  const int64_t row = images_.numel() / std::max<int64_t>(1, images_.size(0));
  images = torch::empty({b, images_.size(1), images_.size(2), images_.size(3)}, torch::kUInt8);
  labels = torch::empty({b}, torch::kInt64);
  const uint8_t* src = images_.data_ptr<uint8_t>();
  const int64_t* src_labels = labels_.data_ptr<int64_t>();
  uint8_t* dst = images.data_ptr<uint8_t>();
  int64_t* dst_labels = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    const int64_t k = indices[static_cast<size_t>(i)];
    std::memcpy(dst + i * row, src + k * row, static_cast<size_t>(row));
    dst_labels[i] = src_labels[k];
  }
}

// ---- SubsetSource --------------------------------------------------------------------------

SubsetSource::SubsetSource(std::shared_ptr<const ImageSource> parent, std::vector<int64_t> indices)
    : parent_(std::move(parent)), indices_(std::move(indices)) {
  NAS_CHECK(parent_ != nullptr, "subset: needs a data set to take samples from");
  const int64_t n = parent_->size();
  for (int64_t i : indices_) {
    NAS_CHECK(i >= 0 && i < n, "subset of {}: sample index {} is outside [0, {})", parent_->name(),
              i, n);
  }
}

std::string SubsetSource::name() const {
  return parent_->name() + "[" + std::to_string(indices_.size()) + " of " +
         std::to_string(parent_->size()) + "]";
}

void SubsetSource::get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                             torch::Tensor& labels) const {
  std::vector<int64_t> mapped;
  mapped.reserve(indices.size());
  const int64_t n = size();
  for (int64_t i : indices) {
    NAS_CHECK(i >= 0 && i < n, "data set {}: sample index {} is outside [0, {})", name(), i, n);
    mapped.push_back(indices_[static_cast<size_t>(i)]);
  }
  parent_->get_batch(mapped, images, labels);
}

std::pair<std::shared_ptr<SubsetSource>, std::shared_ptr<SubsetSource>> split_source(
    std::shared_ptr<const ImageSource> source, int64_t first_size, uint64_t seed) {
  NAS_CHECK(source != nullptr, "split: needs a data set");
  const int64_t n = source->size();
  NAS_CHECK(first_size >= 0 && first_size <= n,
            "split of {}: first part must hold 0..{} samples, found {}", source->name(), n,
            first_size);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(mix64(seed ^ 0x5ca1ab1eULL));
  rng.shuffle(order);
  std::vector<int64_t> first(order.begin(), order.begin() + first_size);
  std::vector<int64_t> second(order.begin() + first_size, order.end());
  return {std::make_shared<SubsetSource>(source, std::move(first)),
          std::make_shared<SubsetSource>(source, std::move(second))};
}

void channel_stats(const torch::Tensor& images, std::vector<double>& mean,
                   std::vector<double>& stddev) {
  NAS_CHECK(images.dim() == 4 && images.size(0) > 0 && images.scalar_type() == torch::kUInt8,
            "channel statistics: expected a non-empty uint8 batch [N, C, H, W]");
  // Exact integer sums over the bytes: no float copy of the whole data set, no rounding.
  torch::Tensor x = images.to(torch::kCPU).contiguous();
  const int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3);
  const uint8_t* p = x.data_ptr<uint8_t>();
  std::vector<uint64_t> sum(static_cast<size_t>(c), 0), sq(static_cast<size_t>(c), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const uint8_t* q = p + (i * c + ch) * plane;
      uint64_t s = 0, s2 = 0;
      for (int64_t k = 0; k < plane; ++k) {
        s += q[k];
        s2 += uint64_t(q[k]) * q[k];
      }
      sum[static_cast<size_t>(ch)] += s;
      sq[static_cast<size_t>(ch)] += s2;
    }
  }
  const double count = static_cast<double>(n * plane);
  mean.assign(static_cast<size_t>(c), 0.0);
  stddev.assign(static_cast<size_t>(c), 1.0);
  for (size_t ch = 0; ch < static_cast<size_t>(c); ++ch) {
    const double m = static_cast<double>(sum[ch]) / count;
    const double var = static_cast<double>(sq[ch]) / count - m * m;
    mean[ch] = m / 255.0;
    const double s = std::sqrt(std::max(0.0, var)) / 255.0;
    stddev[ch] = s > 1e-6 ? s : 1.0;  // a constant channel: leave it unscaled
  }
}

// ---- registry ------------------------------------------------------------------------------

std::vector<std::string> image_source_names() {
  return {"cifar10", "cifar100", "fashion-mnist", "imagenet", "synthetic"};
}

std::string default_image_dir(const std::string& name) {
  const std::string n = canonical_image_source_name(name);
  if (n == "fashion-mnist") return kFashionMnistDebianDir;
  if (n == "synthetic") return "";
  std::string base = "datasets";
  if (const char* env = std::getenv("NASGEN_DATASETS")) {
    if (*env) base = env;
  }
  const char* folder = n == "cifar10" ? "cifar-10-batches-bin"
                       : n == "cifar100" ? "cifar-100-binary"
                                         : "imagenet";
  return (std::filesystem::path(base) / folder).string();
}

std::shared_ptr<ImageSource> open_image_source(const std::string& name, const std::string& dir,
                                               bool train, const SourceOptions& options) {
  const std::string n = canonical_image_source_name(name);
  const std::string where = dir.empty() ? default_image_dir(n) : dir;
  if (n == "cifar10") return load_cifar10(where, train);
  if (n == "cifar100") return load_cifar100(where, train);
  if (n == "fashion-mnist") return load_fashion_mnist(where, train);
  if (n == "imagenet") {
    NAS_CHECK(options.crop > 0 && options.crop <= options.resize,
              "imagenet: expected 0 < crop <= resize, found crop {} and resize {}", options.crop,
              options.resize);
    return load_image_folders(where, train, options.resize, train ? options.resize : options.crop);
  }
  SyntheticConfig cfg;
  cfg.size = options.synthetic_size > 0 ? options.synthetic_size : (train ? 2048 : 512);
  cfg.num_classes = options.synthetic_classes;
  cfg.shape = options.synthetic_shape;
  cfg.seed = options.synthetic_seed;
  return make_synthetic_source(cfg, train);
}

}  // namespace nas
