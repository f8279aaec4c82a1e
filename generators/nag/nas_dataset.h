// NAS datasets: (architecture, accuracy, parameter count, FLOPs) records that NAG's GAN trains
// on, and the class boundaries ("calibration") that turn accuracies and parameter counts into
// the GAN's condition labels and back.
//
// File format (JSON lines, one object per line):
//   line 1  {"kind": "nas_dataset", "version": 1, "space": "<space name>",
//            "source": "<how the accuracies were measured>", "benchmark": "<name or empty>",
//            "network": {<NetworkConfig the parameter counts are for> or null},
//            "image_dataset": "<the data set that network is for, e.g. fashion-mnist, or empty>"}
//   then    {"arch": "<the space's native text>", "acc": <accuracy in percent>,
//            "params": <exact parameter count>, "flops": <multiply-accumulates or null>}
// `benchmark` is set for records drawn from a tabular benchmark (accuracy = the benchmark's
// validation accuracy, params and FLOPs its columns); otherwise `network` says which network
// the parameter counts and FLOPs were measured on (build_network of the space with that config,
// auxiliary head excluded), and `source` how the accuracy was measured (e.g. one-shot on a
// supernet).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/models/network.h"
#include "libnas/util/json.h"
#include "libnas/util/rng.h"

namespace nas::nag {

struct NasRecord {
  Arch arch;
  double acc = kMissing;     // percent
  double params = kMissing;  // count
  double flops = kMissing;
};

struct NasDataset {
  std::string space;
  std::string source;
  std::string benchmark;                 // "" unless drawn from a tabular benchmark
  std::optional<NetworkConfig> network;  // what params/flops were counted on (non-benchmark)
  std::string image_dataset;             // the data set `network` is for (train_cifar --dataset)
  std::vector<NasRecord> records;
};

// Writes atomically; nas::Error when a record is not valid in the space.
void write_nas_dataset(const NasDataset& data, const std::string& path);
// Reads and validates every record; nas::Error naming the file and line for anything wrong
// (a missing field, an arch the space rejects, a non-numeric accuracy).
NasDataset read_nas_dataset(const std::string& path);
// The NAS dataset file `path` names: the file itself, or DIR/nas_dataset.jsonl for a run
// directory of build_nas_dataset (or train_gan, which keeps a copy). nas::Error naming the path
// and the working directory relative paths start from when there is none.
std::string resolve_nas_dataset(const std::string& path);

// `n` distinct records drawn uniformly from a tabular benchmark (seeded), accuracy = the
// record's `by` metric (val_acc by default). nas::Error when the benchmark has fewer than n
// records or a drawn record lacks `by` or params.
NasDataset nas_dataset_from_benchmark(const TabularBenchmark& bench, int64_t n, uint64_t seed,
                                      const std::string& by = "val_acc");

// The class boundaries of one condition: K classes split at the values at positions
// floor(N / K) * i (i = 1..K-1) of the sorted data (specs/nag.md §2.2: terciles for K = 3);
// a value belongs to the first class whose split it does not exceed, ties to the lower class.
struct ConditionScale {
  std::string name;            // "acc" (percent) or "params" (count)
  std::vector<double> bounds;  // K - 1 split points, ascending
  double min = 0, max = 0;     // of the data

  int64_t classes() const { return static_cast<int64_t>(bounds.size()) + 1; }
  int64_t label(double value) const;
  // The range [lo, hi] of class k in the data (lo of class 0 is min, hi of the last is max).
  std::pair<double, double> range(int64_t k) const;
  static ConditionScale fit(const std::string& name, std::vector<double> values, int64_t classes);
  // Classes no value of the data falls into: two equal bounds, or the top class when the last
  // bound is the maximum (many tied values in the data).
  std::vector<int64_t> empty_classes() const;
  Json to_json() const;
  static ConditionScale from_json(const Json& j);
};

// The value of condition `name` ("acc" or "params") of a record.
double condition_value(const NasRecord& r, const std::string& name);

}  // namespace nas::nag
