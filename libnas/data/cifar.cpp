#include "libnas/data/cifar.h"

#include <cstring>
#include <filesystem>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

struct CifarFormat {
  const char* name;          // for messages
  const char* folder;        // the folder the archive extracts to
  const char* archive;       // the archive to download
  std::vector<std::string> train_files;
  std::vector<std::string> test_files;
  int64_t label_bytes;       // bytes before the pixels
  int64_t label_offset;      // which of them is the label used
  int64_t num_classes;
};

const CifarFormat& cifar10_format() {
  static const CifarFormat f{"CIFAR-10",
                             "cifar-10-batches-bin",
                             "cifar-10-binary.tar.gz",
                             {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                              "data_batch_4.bin", "data_batch_5.bin"},
                             {"test_batch.bin"},
                             1,
                             0,
                             10};
  return f;
}

const CifarFormat& cifar100_format() {
  static const CifarFormat f{"CIFAR-100", "cifar-100-binary", "cifar-100-binary.tar.gz",
                             {"train.bin"},  {"test.bin"},      2,
                             1,              100};
  return f;
}

std::string where_to_get(const CifarFormat& f) {
  return fmt::format("get the {} binary version ({} from https://www.cs.toronto.edu/~kriz/cifar.html) "
                     "and extract it, giving {}/",
                     f.name, f.archive, f.folder);
}

// The folder holding the files: `dir` itself or its `folder` child (the archive's layout).
std::string locate(const CifarFormat& f, const std::string& dir, bool train) {
  const std::string probe = train ? f.train_files.front() : f.test_files.front();
  std::error_code ec;
  NAS_CHECK(fs::is_directory(dir, ec), "{}: directory {} not found; {}", f.name, dir,
            where_to_get(f));
  if (fs::exists(fs::path(dir) / probe, ec)) return dir;
  fs::path child = fs::path(dir) / f.folder;
  if (fs::exists(child / probe, ec)) return child.string();
  return dir;  // the missing file is reported by name when it is read
}

std::shared_ptr<TensorImageSource> load_cifar(const CifarFormat& f, const std::string& dir,
                                              bool train) {
  const std::string root = locate(f, dir, train);
  const auto& files = train ? f.train_files : f.test_files;
  const int64_t record = f.label_bytes + kPixels;

  std::vector<std::string> contents;
  int64_t total = 0;
  for (const auto& name : files) {
    const std::string path = (fs::path(root) / name).string();
    NAS_CHECK(file_exists(path), "{}: file not found ({} {} split); {}", path, f.name,
              train ? "training" : "test", where_to_get(f));
    std::string bytes = read_file(path);
    const int64_t size = static_cast<int64_t>(bytes.size());
    NAS_CHECK(size > 0 && size % record == 0,
              "{}: expected a whole number of {}-byte {} records ({} label byte{} + 3072 pixels), "
              "found {} bytes (truncated or not the binary version?)",
              path, record, f.name, f.label_bytes, f.label_bytes > 1 ? "s" : "", size);
    const int64_t n = size / record;
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t b = 0; b < f.label_bytes; ++b) {
        const int64_t v = data[i * record + b];
        // CIFAR-100's first byte is the coarse label (20 superclasses).
        const int64_t limit = b == f.label_offset ? f.num_classes : 20;
        NAS_CHECK(v < limit, "{}: record {} has label byte {} = {}; expected 0..{}", path, i, b,
                  v, limit - 1);
      }
    }
    total += n;
    contents.push_back(std::move(bytes));
  }

  torch::Tensor images = torch::empty({total, 3, 32, 32}, torch::kUInt8);
  torch::Tensor labels = torch::empty({total}, torch::kInt64);
  uint8_t* img = images.data_ptr<uint8_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  int64_t at = 0;
  for (const auto& bytes : contents) {
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    const int64_t n = static_cast<int64_t>(bytes.size()) / record;
    for (int64_t i = 0; i < n; ++i, ++at) {
      const uint8_t* rec = data + i * record;
      lab[at] = rec[f.label_offset];
      // The record's pixel layout (planes R, G, B; rows top to bottom) is already [C, H, W].
      std::memcpy(img + at * kPixels, rec + f.label_bytes, kPixels);
    }
  }
  const bool ten = f.num_classes == 10;
  return std::make_shared<TensorImageSource>(
      std::string(ten ? "cifar10" : "cifar100") + (train ? "-train" : "-test"), images, labels,
      f.num_classes, ten ? cifar10_mean() : cifar100_mean(), ten ? cifar10_std() : cifar100_std());
}

}  // namespace

std::shared_ptr<TensorImageSource> load_cifar10(const std::string& dir, bool train) {
  return load_cifar(cifar10_format(), dir, train);
}

std::shared_ptr<TensorImageSource> load_cifar100(const std::string& dir, bool train) {
  return load_cifar(cifar100_format(), dir, train);
}

const std::vector<double>& cifar10_mean() {
  static const std::vector<double> v{0.49139968, 0.48215827, 0.44653124};
  return v;
}
const std::vector<double>& cifar10_std() {
  static const std::vector<double> v{0.24703233, 0.24348505, 0.26158768};
  return v;
}
const std::vector<double>& cifar100_mean() {
  static const std::vector<double> v{0.50707519, 0.48654887, 0.44091785};
  return v;
}
const std::vector<double>& cifar100_std() {
  static const std::vector<double> v{0.26733428, 0.25643846, 0.27615049};
  return v;
}

}  // namespace nas
