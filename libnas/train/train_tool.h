// The command line of train_cifar and train_imagenet: one table of options over a recipe, then
// --summary (parameters and FLOPs as JSON, no data needed), --eval CHECKPOINT (accuracy of a
// saved model on its data set's test split) or training into a run directory.
//
//   int main(int argc, char** argv) {
//     return nas::run_train_tool(argc, argv, nas::cifar_train_tool());
//   }
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "libnas/train/job.h"

namespace nas {

struct TrainToolSpec {
  std::string name;
  std::string description;
  std::string default_dataset;
  std::vector<std::string> datasets;  // what --dataset accepts
  // The recipe's defaults for a data set (config file, --set and flags go on top).
  std::function<TrainJobConfig(const std::string& dataset)> recipe;
  std::vector<std::pair<std::string, std::string>> examples;  // command line, what it does
};

TrainToolSpec cifar_train_tool();
TrainToolSpec imagenet_train_tool();

// The shipped config (a path relative to the source tree) of a short recipe for `space` on
// `dataset` that finishes in minutes on a CPU: "configs/train_fmnist_nag.yaml" for nag cells on
// fashion-mnist; "" where none is shipped.
std::string short_recipe_config(const std::string& space, const std::string& dataset);

// Parses argv and runs the tool; returns the exit status (2 for bad usage or input).
int run_train_tool(int argc, char** argv, const TrainToolSpec& spec);

}  // namespace nas
