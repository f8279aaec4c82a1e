// Fashion-MNIST in the idx format, gzip-compressed: train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz. nasgen's
// embedded default data set: Debian's dataset-fashion-mnist package installs it offline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libnas/data/dataset.h"

namespace nas {

// Where the Debian package dataset-fashion-mnist installs the files.
inline constexpr const char* kFashionMnistDebianDir = "/usr/share/datasets/fashion-mnist";

// One idx array of unsigned bytes: its dimensions and the raw values (row-major).
struct IdxArray {
  std::vector<int64_t> dims;
  std::string data;
};

// Reads an idx file of unsigned bytes (type code 0x08), gzip-compressed or plain (zlib reads
// both). nas::Error naming the file on a bad magic number, a truncated or corrupt stream, or a
// size that does not match the header.
IdxArray read_idx_file(const std::string& path);

// Loads the training (60000 images) or test (10000) split as uint8 [N, 1, 28, 28], labels 0..9.
// `dir` = "" reads kFashionMnistDebianDir.
std::shared_ptr<TensorImageSource> load_fashion_mnist(const std::string& dir, bool train);

// Normalisation statistics of the training set.
const std::vector<double>& fashion_mnist_mean();
const std::vector<double>& fashion_mnist_std();

}  // namespace nas
