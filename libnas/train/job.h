// A training job as train_cifar and train_imagenet run it: an architecture of any space with a
// network, a data set, the network's width and depth, and a training recipe; plus loading a
// trained model back from its model.pt alone.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libnas/data/augment.h"
#include "libnas/data/dataset.h"
#include "libnas/models/network.h"
#include "libnas/spaces/search_space.h"
#include "libnas/train/trainer.h"
#include "libnas/util/json.h"

namespace nas {

struct TrainJobConfig {
  std::string arch;        // a name (NAONet-A, DARTS-V2, RS-NAG, ...) or the space's text form
  std::string arch_file;   // a file whose first non-empty, non-comment line is the arch
  std::string space;       // "" = inferred from the arch text
  std::string dataset = "cifar10";
  std::string data_dir;    // "" = the data set's default directory
  int64_t train_subset = 0;  // train on a random subset of this many images (0 = all)
  int64_t test_subset = 0;   // evaluate on the first this many test images (0 = all)
  int64_t synthetic_size = 0;  // synthetic data set: training images (0 = 2048)
  int64_t seed = 0;        // sample order, augmentation, drop-path and dropout
  NetworkConfig network;   // num_classes, in_channels, image_size and imagenet come from the data
  TrainConfig train;
  AugmentConfig augment;

  template <class V>
  void fields(V& v) {
    v("arch", arch, "architecture: a name or the space's text form");
    v("arch_file", arch_file, "file holding the architecture (first line)");
    v("space", space, "search space of the arch (default: inferred)");
    v("dataset", dataset, "cifar10, cifar100, fashion-mnist, imagenet or synthetic");
    v("data_dir", data_dir, "data set directory (default: the data set's usual place)");
    v("train_subset", train_subset, "train on a random subset of this many images (0 = all)");
    v("test_subset", test_subset, "evaluate on the first this many test images (0 = all)");
    v("synthetic_size", synthetic_size, "synthetic data: training images (0 = 2048)");
    v("seed", seed, "seed of the sample order, augmentation, drop-path and dropout");
    v("network", network, "network");
    v("train", train, "training recipe");
    v("augment", augment, "data augmentation");
  }
};

// The CIFAR recipe of the NAO scripts (specs/nao.md §3.1): N = 6, C = 36, 600 epochs, batch
// 128, SGD 0.9, lr 0.025 cosine to 0 stepped at epoch starts, weight decay 3e-4, clip 5,
// auxiliary head 0.4, drop-path keep 0.8, dropout 0.4, cutout 16; for any CIFAR-like data set
// (cifar10, cifar100, fashion-mnist: no cutout; synthetic).
TrainJobConfig cifar_recipe(const std::string& dataset = "cifar10");
// The ImageNet recipe (§3.3): N = 4, C = 42, 250 epochs, batch 128, lr 0.1 decayed x0.97 per
// epoch, weight decay 3e-5, label smoothing 0.1, clip 5, auxiliary 0.4, no drop-path or dropout,
// random resized crop 224 + flip + colour jitter.
TrainJobConfig imagenet_recipe();

struct ResolvedArch {
  std::shared_ptr<SearchSpace> space;
  Arch arch;
  std::string text;  // the space's native form
};

// The arch of `text` (a name or a text form) in `space_name`, or, with space_name empty, in the
// first space that reads it (nao/nao-11 by op ids, then darts, nag, nb201, macro, channel-resnet,
// nb101). `random:SEED` draws a random architecture of `space_name` (which it needs) with the
// space's sampler. nas::Error with the space's own message, or naming the spaces tried.
ResolvedArch resolve_arch(const std::string& text, const std::string& space_name = "");
// The arch of a TrainJobConfig (arch or arch_file; exactly one must be set).
ResolvedArch resolve_job_arch(const TrainJobConfig& job);

// Opens the job's training and test splits (subsets applied).
std::shared_ptr<const ImageSource> open_job_data(const TrainJobConfig& job, bool train);
// The network config with the data's classes, channels and image size filled in; with `data`
// null, those of the data set's usual files (cifar10 10 x 3x32x32, cifar100 100 x 3x32x32,
// fashion-mnist 10 x 1x28x28, imagenet 1000 x 3x224x224, synthetic 10 x 3x32x32), which is what
// --summary reports without reading any data.
NetworkConfig job_network_config(const TrainJobConfig& job, const ImageSource* data);

// The network keys a job takes from its data, never from the config.
const std::vector<std::string>& data_network_keys();

// What a trained model file says about its network (stored in every checkpoint): space, arch
// text, the job's data set (name, synthetic size, test subset), NetworkConfig and the
// normalisation the network was trained with.
Json describe_network(const ResolvedArch& arch, const TrainJobConfig& job,
                      const NetworkConfig& cfg, const std::vector<double>& mean,
                      const std::vector<double>& stddev);

struct LoadedModel {
  std::shared_ptr<NetworkImpl> net;
  ResolvedArch arch;
  std::string dataset;
  int64_t synthetic_size = 0, test_subset = 0;  // as the job had them
  NetworkConfig network;
  std::vector<double> mean, stddev;  // input normalisation of training
  Json meta;  // the whole description of the file
};
// Rebuilds the network described by a model.pt or checkpoint and loads its weights (eval mode,
// channels-last where the device prefers it).
// nas::Error naming the file when it is missing, truncated or not a nasgen model.
LoadedModel load_trained_model(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace nas
