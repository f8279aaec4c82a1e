// nao_ws: NAO with a weight-sharing supernet on an image data set (specs/nao.md §5); writes the
// final architectures to RUN_DIR/arch_pool.final for train_cifar --arch-file.
#include <cstdio>

#include "generators/nao/nao_ws.h"
#include "libnas/data/dataset.h"
#include "libnas/util/cli.h"
#include "libnas/util/config.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/run_dir.h"
#include "libnas/util/strings.h"

namespace {

// The recipe of the config's data set with the config on top.
nas::nao::NaoWsConfig decode(const YAML::Node& root) {
  std::string dataset = "fashion-mnist";
  if (root["dataset"] && !root["dataset"].IsNull()) dataset = root["dataset"].as<std::string>();
  dataset = nas::canonical_image_source_name(dataset);
  NAS_CHECK(dataset != "imagenet", "--dataset imagenet: nao_ws searches CIFAR-like data sets "
                                   "(cifar10, cifar100, fashion-mnist, synthetic)");
  const YAML::Node network = root["network"];
  if (network && network.IsMap())
    for (const auto& key : nas::data_network_keys())
      NAS_CHECK(!network[key], "network.{}: comes from the data set; remove it from the config", key);
  nas::nao::NaoWsConfig cfg = nas::nao::nao_ws_recipe(dataset);
  nas::decode_config(root, cfg);
  cfg.dataset = dataset;
  cfg.validate();
  return cfg;
}

YAML::Node encode(const nas::nao::NaoWsConfig& cfg) {
  YAML::Node node = nas::encode_config(cfg);
  for (const auto& key : nas::data_network_keys()) node["network"].remove(key);
  return node;
}

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("nao_ws",
                 "NAO-WS: trains a weight-sharing supernet over the NAO cell space while a pool of "
                 "architectures is scored on held-out images, the NAO controller learns from the "
                 "scores and proposes new architectures along its predictor's gradient. Writes "
                 "RUN_DIR/arch_pool.<epoch> and arch_pool.perf.<epoch> per round, arch_pool.final "
                 "(best first; train_cifar --arch-file reads its first line), history.jsonl of the "
                 "supernet, rounds/, checkpoints/ and summary.json. Default data set: "
                 "Fashion-MNIST.");
  tool.example("nao_ws --config configs/nao_ws_fmnist.yaml --out runs/nao_ws",
               "the small Fashion-MNIST search (about 15 minutes on 2 cores)");
  tool.example("train_cifar --config configs/train_fmnist_naonet_b.yaml --arch-file "
               "runs/nao_ws/arch_pool.final --out runs/nao_ws_best",
               "train the architecture it found");
  tool.example("nao_ws --dataset cifar10 --out runs/nao_ws_cifar",
               "the reference NAO-WS settings on CIFAR-10 (datasets/cifar-10-batches-bin)");
  tool.example("nao_ws --out runs/nao_ws --resume", "continue an interrupted search");
  tool.example("nao_ws --config configs/nao_ws_fmnist.yaml --print-config",
               "every config key with its value");

  nas::CommonOptions common;
  tool.add_common(common);
  CLI::App& app = tool.app();
  std::string dataset, data_dir;
  int64_t epochs = 0;
  bool print_config = false;
  auto* o_dataset = app.add_option("--dataset", dataset, "cifar10, cifar100, fashion-mnist (default) or synthetic");
  auto* o_data_dir = app.add_option("--data-dir", data_dir, "Data set directory");
  auto* o_epochs = app.add_option("--epochs", epochs, "Supernet training epochs");
  app.add_flag("--print-config", print_config, "Print the resolved config and exit");

  return tool.run(argc, argv, [&]() -> int {
    YAML::Node root = common.load_run_config();
    NAS_CHECK(o_epochs->count() == 0 || epochs > 0, "--epochs: expected a positive value, found {}", epochs);
    if (o_dataset->count()) root["dataset"] = dataset;
    if (o_data_dir->count()) root["data_dir"] = data_dir;
    if (o_epochs->count()) root["train"]["epochs"] = epochs;
    if (app.get_option("--seed")->count()) root["seed"] = common.seed;
    const nas::nao::NaoWsConfig cfg = decode(root);
    if (print_config) {
      YAML::Emitter out;
      out << encode(cfg);
      std::printf("%s\n", out.c_str());
      return 0;
    }
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    nas::RunDir run_dir("nao_ws", common.out, common.resume, common.overwrite);
    nas::log_to_file(run_dir.file("log.txt"));
    nas::save_yaml_file(encode(cfg), run_dir.file("config.yaml"));
    nas::nao::NaoWsResult r = nas::nao::run_nao_ws(cfg, device, run_dir);

    nas::OrderedJson summary;
    summary["dataset"] = cfg.dataset;
    summary["best_arch"] = r.final.empty() ? "" : r.final[0].first;
    summary["final"] = nas::OrderedJson::array();
    for (const auto& f : r.final) summary["final"].push_back({{"arch", f.first}, {"acc", f.second}});
    summary["rounds"] = r.rounds;
    summary["seconds"] = r.seconds;
    nas::write_file_atomic(run_dir.file("summary.json"), summary.dump(2) + "\n");
    std::printf("best architecture (%s %.2f%%):\n%s\n",
                cfg.final.epochs > 0 ? "held-out accuracy after retraining" : "supernet score",
                r.final.empty() ? 0.0 : r.final[0].second,
                r.final.empty() ? "" : r.final[0].first.c_str());
    std::printf("final architectures: %s\nrun directory: %s\n",
                run_dir.file("arch_pool.final").c_str(), run_dir.path().c_str());
    return 0;
  });
}
