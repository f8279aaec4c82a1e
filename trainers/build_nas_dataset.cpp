// build_nas_dataset: the (architecture, accuracy, parameters, FLOPs) records NAG trains on.
#include <cstdio>

#include "generators/nag/build_dataset.h"
#include "libnas/util/cli.h"
#include "libnas/util/config.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/log.h"
#include "libnas/util/run_dir.h"

int main(int argc, char** argv) {
  nas::Tool tool("build_nas_dataset",
                 "Builds a NAS dataset for NAG (RUN_DIR/nas_dataset.jsonl: one JSON record per "
                 "architecture with its accuracy in percent, exact parameter count and FLOPs). "
                 "one-shot mode samples architectures of the nag cell space, trains a "
                 "weight-sharing supernet over them and records each one's one-shot accuracy on "
                 "held-out images (default data set: Fashion-MNIST); benchmark mode draws records "
                 "from a tabular benchmark.");
  tool.example("build_nas_dataset --config configs/nag_oneshot_fmnist.yaml --out runs/nag_oneshot_fmnist",
               "the small Fashion-MNIST one-shot dataset the default NAG configs train on");
  tool.example("build_nas_dataset --benchmark nb201-cifar10 --records 1000 --out runs/nag_nb201",
               "1000 random NAS-Bench-201 records (validation accuracy, params, FLOPs)");
  tool.example("build_nas_dataset --out runs/nag_oneshot_fmnist --resume",
               "continue an interrupted one-shot run");

  nas::CommonOptions common;
  tool.add_common(common);
  CLI::App& app = tool.app();
  std::string benchmark;
  int64_t records = 0;
  bool print_config = false;
  auto* o_bench = app.add_option("--benchmark", benchmark, "Benchmark mode: draw records from this benchmark");
  auto* o_records = app.add_option("--records", records, "Architectures in the dataset");
  app.add_flag("--print-config", print_config, "Print the resolved config and exit");

  return tool.run(argc, argv, [&]() -> int {
    YAML::Node root = common.load_run_config();
    NAS_CHECK(o_records->count() == 0 || records > 0, "--records: expected a positive count, found {}", records);
    if (o_bench->count()) {
      root["mode"] = "benchmark";
      root["benchmark"] = benchmark;
    }
    if (o_records->count()) root["records"] = records;
    if (app.get_option("--seed")->count()) {
      root["seed"] = common.seed;
      if (!root["one_shot"] || root["one_shot"].IsMap()) root["one_shot"]["seed"] = common.seed;
    }
    nas::nag::BuildNasDatasetConfig cfg;
    // The one-shot recipe of the config's data set, under what the config sets.
    const YAML::Node one_shot = root["one_shot"];
    std::string ds = "fashion-mnist";
    if (one_shot && one_shot.IsMap() && one_shot["dataset"] && one_shot["dataset"].IsScalar())
      ds = one_shot["dataset"].Scalar();
    cfg.one_shot = nas::nag::one_shot_recipe(ds);
    nas::decode_config(root, cfg);
    cfg.validate();
    if (print_config) {
      YAML::Emitter out;
      out << nas::encode_config(cfg);
      std::printf("%s\n", out.c_str());
      return 0;
    }
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    nas::RunDir run_dir("build_nas_dataset", common.out, common.resume, common.overwrite);
    nas::log_to_file(run_dir.file("log.txt"));
    nas::save_yaml_file(nas::encode_config(cfg), run_dir.file("config.yaml"));
    nas::nag::NasDataset data = nas::nag::build_nas_dataset(cfg, device, run_dir);
    double lo = 1e300, hi = -1e300, plo = 1e300, phi = -1e300;
    for (const auto& r : data.records) {
      lo = std::min(lo, r.acc);
      hi = std::max(hi, r.acc);
      plo = std::min(plo, r.params);
      phi = std::max(phi, r.params);
    }
    std::printf("%zu records of space %s: accuracy %.2f-%.2f %%, parameters %.3fM-%.3fM\n%s\n",
                data.records.size(), data.space.c_str(), lo, hi, plo / 1e6, phi / 1e6, data.source.c_str());
    std::printf("dataset: %s\nnext: train_gan --config configs/nag_multiobj.yaml --dataset %s\n",
                run_dir.file("nas_dataset.jsonl").c_str(), run_dir.file("nas_dataset.jsonl").c_str());
    return 0;
  });
}
