#include "libnas/data/imagenet.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "libnas/data/jpeg.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

const char* kLayout =
    "expected class folders of JPEG files: <root>/train/<class>/*.JPEG and <root>/val/<class>/*.JPEG "
    "(ImageNet's ILSVRC2012 train and val archives, val images sorted into class folders)";

bool is_jpeg_name(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  return ext == ".jpeg" || ext == ".jpg";
}

}  // namespace

std::vector<std::string> list_class_folders(const std::string& split_dir) {
  std::error_code ec;
  NAS_CHECK(fs::is_directory(split_dir, ec), "image folders: directory {} not found; {}", split_dir,
            kLayout);
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(split_dir, ec)) {
    if (entry.is_directory(ec)) classes.push_back(entry.path().filename().string());
  }
  NAS_CHECK(!ec, "image folders: cannot list {}: {}", split_dir, ec.message());
  std::sort(classes.begin(), classes.end());
  return classes;
}

ImageFolderSource::ImageFolderSource(const std::string& split_dir, std::vector<std::string> classes,
                                     int64_t resize, int64_t crop, std::string name)
    : name_(std::move(name)), classes_(std::move(classes)), resize_(resize), crop_(crop) {
  NAS_CHECK(crop_ >= 1 && crop_ <= resize_ && resize_ <= 4096,
            "image folders {}: expected 1 <= crop <= resize <= 4096, found crop {} and resize {}",
            split_dir, crop_, resize_);
  const std::vector<std::string> found = list_class_folders(split_dir);
  if (classes_.empty()) classes_ = found;
  NAS_CHECK(!classes_.empty(), "image folders: {} has no class folders; {}", split_dir, kLayout);
  const std::set<std::string> known(classes_.begin(), classes_.end());
  for (const auto& c : found) {
    NAS_CHECK(known.count(c), "image folders: {} is not one of the {} classes of the training split",
              (fs::path(split_dir) / c).string(), classes_.size());
  }
  const std::set<std::string> present(found.begin(), found.end());
  for (size_t label = 0; label < classes_.size(); ++label) {
    const fs::path dir = fs::path(split_dir) / classes_[label];
    if (!present.count(classes_[label])) continue;  // a split may lack some classes
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec) && is_jpeg_name(entry.path())) files.push_back(entry.path().string());
    }
    NAS_CHECK(!ec, "image folders: cannot list {}: {}", dir.string(), ec.message());
    NAS_CHECK(!files.empty(), "image folders: class folder {} holds no .JPEG/.jpg files; expected at "
              "least one image per class", dir.string());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      files_.push_back(std::move(f));
      labels_.push_back(static_cast<int64_t>(label));
    }
  }
  NAS_CHECK(!files_.empty(), "image folders: {} holds no images; {}", split_dir, kLayout);
}

std::vector<double> ImageFolderSource::mean() const { return {0.485, 0.456, 0.406}; }
std::vector<double> ImageFolderSource::stddev() const { return {0.229, 0.224, 0.225}; }

void ImageFolderSource::get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                                  torch::Tensor& labels) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  images = torch::empty({b, 3, crop_, crop_}, torch::kUInt8);
  labels = torch::empty({b}, torch::kInt64);
  uint8_t* img = images.data_ptr<uint8_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  const int64_t per_image = 3 * crop_ * crop_;
  for (int64_t i = 0; i < b; ++i) {
    const int64_t k = indices[static_cast<size_t>(i)];
    NAS_CHECK(k >= 0 && k < size(), "data set {}: sample index {} is outside [0, {})", name_, k, size());
    const std::string& path = files_[static_cast<size_t>(k)];
    const RgbImage decoded = decode_jpeg(read_file(path), path, resize_);
    resize_center_crop(decoded, resize_, crop_, img + i * per_image);
    lab[i] = labels_[static_cast<size_t>(k)];
  }
}

std::shared_ptr<ImageFolderSource> load_image_folders(const std::string& root, bool train,
                                                      int64_t resize, int64_t crop) {
  std::error_code ec;
  NAS_CHECK(fs::is_directory(root, ec), "imagenet: directory {} not found; {}", root, kLayout);
  const fs::path train_dir = fs::path(root) / "train";
  const fs::path split = fs::path(root) / (train ? "train" : "val");
  NAS_CHECK(fs::is_directory(split, ec), "imagenet: directory {} not found; {}", split.string(), kLayout);
  std::vector<std::string> classes;
  if (!train && fs::is_directory(train_dir, ec)) classes = list_class_folders(train_dir.string());
  return std::make_shared<ImageFolderSource>(split.string(), std::move(classes), resize, crop,
                                             std::string("imagenet-") + (train ? "train" : "val"));
}

}  // namespace nas
