// ImageNet (or any image classification set) as class folders of JPEG files:
// root/train/<class>/*.JPEG and root/val/<class>/*.JPEG, classes sorted by folder name.
// Images are decoded when a batch is loaded, resized (shorter side) and centre-cropped to a
// fixed square, so every batch is one uint8 tensor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libnas/data/dataset.h"

namespace nas {

class ImageFolderSource : public ImageSource {
 public:
  // Lists split_dir/<class>/*.{jpg,jpeg} (any case). `classes` fixes the label of each folder
  // (label = position); empty = the sorted folder names of split_dir. A folder of split_dir not
  // in `classes`, an empty class folder or a missing directory is a nas::Error. Images are
  // resized so the shorter side is `resize`, then centre-cropped to `crop` x `crop`.
  ImageFolderSource(const std::string& split_dir, std::vector<std::string> classes,
                    int64_t resize, int64_t crop, std::string name = "imagenet");

  std::string name() const override { return name_; }
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  std::vector<int64_t> image_shape() const override { return {3, crop_, crop_}; }
  // The ImageNet statistics (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225).
  std::vector<double> mean() const override;
  std::vector<double> stddev() const override;
  // Reads and decodes the files; a corrupt or truncated JPEG is a nas::Error naming the file.
  void get_batch(const std::vector<int64_t>& indices, torch::Tensor& images,
                 torch::Tensor& labels) const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& file(int64_t i) const { return files_.at(static_cast<size_t>(i)); }
  int64_t label(int64_t i) const { return labels_.at(static_cast<size_t>(i)); }

 private:
  std::string name_;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  int64_t resize_;
  int64_t crop_;
};

// The class folder names of a split directory, sorted. nas::Error when it is missing.
std::vector<std::string> list_class_folders(const std::string& split_dir);

// Opens root/train or root/val with the classes of root/train (so both splits label alike),
// or those of the split itself when root/train is absent.
std::shared_ptr<ImageFolderSource> load_image_folders(const std::string& root, bool train,
                                                      int64_t resize, int64_t crop);

}  // namespace nas
