// train_gan: NAG's conditional GAN trained on a NAS dataset (specs/nag.md §2-3).
#include <cstdio>

#include "generators/nag/train_gan.h"
#include "libnas/util/cli.h"
#include "libnas/util/config.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/run_dir.h"

int main(int argc, char** argv) {
  nas::Tool tool("train_gan",
                 "Trains NAG's conditional GAN (a step-wise graph generator and a graph-convolution "
                 "discriminator, least-squares loss) on a NAS dataset of (architecture, accuracy, "
                 "parameters) records, conditioned on accuracy classes, or on accuracy and "
                 "parameter classes. Logs losses and the validity, uniqueness and novelty of "
                 "generated samples per epoch; writes RUN_DIR/gan.pt for generate_archs.");
  tool.example("build_nas_dataset --config configs/nag_oneshot_fmnist.yaml --out runs/nag_oneshot_fmnist",
               "first, the NAS dataset (one-shot accuracies on Fashion-MNIST)");
  tool.example("train_gan --config configs/nag_multiobj.yaml --out runs/nag_multiobj",
               "accuracy and parameter classes");
  tool.example("train_gan --config configs/nag_single.yaml --dataset runs/nag_nb201/nas_dataset.jsonl",
               "accuracy classes only, on another dataset");
  tool.example("train_gan --out runs/nag_multiobj --resume", "continue an interrupted run");

  nas::CommonOptions common;
  tool.add_common(common);
  CLI::App& app = tool.app();
  std::string dataset;
  int64_t epochs = 0;
  bool print_config = false;
  auto* o_dataset = app.add_option(
      "--dataset", dataset,
      "NAS dataset: a build_nas_dataset run directory or its nas_dataset.jsonl (overrides the "
      "config)");
  auto* o_epochs = app.add_option("--epochs", epochs, "Training epochs");
  app.add_flag("--print-config", print_config, "Print the resolved config and exit");

  return tool.run(argc, argv, [&]() -> int {
    YAML::Node root = common.load_run_config();
    NAS_CHECK(o_epochs->count() == 0 || epochs > 0, "--epochs: expected a positive value, found {}", epochs);
    if (o_dataset->count()) root["dataset"] = dataset;
    if (o_epochs->count()) root["train"]["epochs"] = epochs;
    if (app.get_option("--seed")->count()) root["seed"] = common.seed;
    nas::nag::TrainGanConfig cfg;
    nas::decode_config(root, cfg);
    cfg.gan.validate();
    if (print_config) {
      YAML::Emitter out;
      out << nas::encode_config(cfg);
      std::printf("%s\n", out.c_str());
      return 0;
    }
    if (!common.resume) cfg.dataset = nas::nag::resolve_nas_dataset(cfg.dataset);
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    nas::RunDir run_dir("train_gan", common.out, common.resume, common.overwrite);
    run_dir.mark_latest_of_tool();  // generate_archs's default --run
    nas::log_to_file(run_dir.file("log.txt"));
    nas::save_yaml_file(nas::encode_config(cfg), run_dir.file("config.yaml"));
    nas::nag::TrainGanResult r = nas::nag::run_train_gan(cfg, device, run_dir);
    nas::OrderedJson summary;
    summary["dataset"] = cfg.dataset;
    summary["records"] = r.records;
    summary["epochs"] = r.last.epoch;
    summary["d_loss"] = r.last.d_loss;
    summary["g_loss"] = r.last.g_loss;
    summary["validity"] = r.last.validity;
    summary["uniqueness"] = r.last.uniqueness;
    summary["novelty"] = r.last.novelty;
    summary["seconds"] = r.seconds;
    nas::write_file_atomic(run_dir.file("summary.json"), summary.dump(2) + "\n");
    std::printf("trained on %lld records for %lld epochs: d_loss %.4f, g_loss %.4f; generated "
                "samples %.0f %% valid, %.0f %% unique, %.0f %% novel\n",
                static_cast<long long>(r.records), static_cast<long long>(r.last.epoch), r.last.d_loss,
                r.last.g_loss, 100 * r.last.validity, 100 * r.last.uniqueness, 100 * r.last.novelty);
    std::printf("generator: %s\nnext: generate_archs --run %s --acc 0.97 --params 3M\n",
                run_dir.file("gan.pt").c_str(), run_dir.path().c_str());
    return 0;
  });
}
