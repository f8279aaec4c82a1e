#include "generators/nag/build_dataset.h"

#include <fmt/format.h>

#include <unordered_set>

#include "libnas/models/network.h"
#include "libnas/train/job.h"
#include "libnas/util/error.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"

namespace nas::nag {

void BuildNasDatasetConfig::validate() const {
  NAS_CHECK(mode == "one-shot" || mode == "benchmark",
            "config key mode: expected one-shot or benchmark, found '{}'", mode);
  NAS_CHECK(records >= 3, "config key records: expected at least 3, found {}", records);
  NAS_CHECK(seed >= 0, "config key seed: expected >= 0, found {}", seed);
  if (mode == "benchmark")
    NAS_CHECK(!benchmark.empty(), "config key benchmark: benchmark mode needs a benchmark name ({})",
              fmt::join(benchmark_names(), ", "));
  else
    one_shot.validate();
}

NasDataset build_nas_dataset(const BuildNasDatasetConfig& cfg, torch::Device device,
                             const RunDir& run_dir) {
  cfg.validate();
  NasDataset data;
  if (cfg.mode == "benchmark") {
    auto bench = open_benchmark(cfg.benchmark);
    data = nas_dataset_from_benchmark(*bench, cfg.records, static_cast<uint64_t>(cfg.seed), cfg.by);
  } else {
    auto space = make_space("nag");
    Rng rng(static_cast<uint64_t>(cfg.seed));
    std::vector<Arch> pool;
    std::unordered_set<std::string> seen;
    while (static_cast<int64_t>(pool.size()) < cfg.records) {
      Arch a = space->sample(rng);
      if (seen.insert(space->hash(a)).second) pool.push_back(std::move(a));
    }
    // The stand-alone network on the data set's images.
    NetworkConfig net = cfg.network;
    TrainJobConfig job = cfg.one_shot.data_job();
    job.network = net;
    net = job_network_config(job, nullptr);
    std::vector<double> acc = score_one_shot(cfg.one_shot, pool, device, run_dir);
    data.space = "nag";
    data.network = net;
    data.image_dataset = cfg.one_shot.dataset;
    data.source = fmt::format("one-shot accuracy on {} (supernet C {} N {}, {} epochs; mean of the "
                              "last {} epochs' scores on {} held-out images)",
                              cfg.one_shot.dataset, cfg.one_shot.network.channels,
                              cfg.one_shot.network.layers, cfg.one_shot.train.epochs,
                              cfg.one_shot.average_last, cfg.one_shot.score_batch);
    // Parameters from the closed form; FLOPs still from a forward pass of the built network.
    Progress progress("parameters", cfg.records, "archs");
    for (size_t i = 0; i < pool.size(); ++i) {
      const double params = static_cast<double>(param_count(*space, pool[i], net));
      const ModelStats st = model_stats(*space, pool[i], net);
      data.records.push_back({pool[i], acc[i], params, st.flops});
      progress.update(static_cast<int64_t>(i) + 1);
    }
    progress.finish();
  }
  write_nas_dataset(data, run_dir.file("nas_dataset.jsonl"));
  return data;
}

}  // namespace nas::nag
