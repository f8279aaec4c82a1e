// CIFAR-10 and CIFAR-100 in their binary version (cifar-10-binary.tar.gz and
// cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html).
//
// CIFAR-10: data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin; each record is one
// label byte then 3072 pixel bytes (1024 red, 1024 green, 1024 blue, rows top to bottom).
// CIFAR-100: train.bin and test.bin; each record is a coarse and a fine label byte, then the
// same 3072 pixel bytes. nasgen uses the fine labels (100 classes).
#pragma once

#include <memory>
#include <string>

#include "libnas/data/dataset.h"

namespace nas {

// Loads the training (50000 images) or test (10000) split. `dir` is the extracted folder
// (cifar-10-batches-bin) or its parent. nas::Error naming the file on a missing directory or
// file, a size that is not a whole number of records, or a label out of range.
std::shared_ptr<TensorImageSource> load_cifar10(const std::string& dir, bool train);
// The same for CIFAR-100 (folder cifar-100-binary), fine labels.
std::shared_ptr<TensorImageSource> load_cifar100(const std::string& dir, bool train);

// Normalisation statistics of the training sets (as the NAO recipe uses them).
const std::vector<double>& cifar10_mean();
const std::vector<double>& cifar10_std();
const std::vector<double>& cifar100_mean();
const std::vector<double>& cifar100_std();

}  // namespace nas
