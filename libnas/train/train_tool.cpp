#include "libnas/train/train_tool.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libnas/util/cli.h"
#include "libnas/util/config.h"
#include "libnas/util/device.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "libnas/util/progress.h"
#include "libnas/util/run_dir.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

// The flags that override config keys; unset flags leave the config alone.
struct TrainFlags {
  std::string arch, arch_file, space, dataset, data_dir;
  int64_t epochs = 0, layers = 0, channels = 0, batch_size = 0;
  double lr = 0;
  std::string eval;
  bool summary = false;
  bool print_config = false;
  CLI::Option *o_arch, *o_arch_file, *o_space, *o_dataset, *o_data_dir, *o_epochs, *o_layers,
      *o_channels, *o_batch, *o_lr;
};

void add_flags(CLI::App& app, TrainFlags& f, const TrainToolSpec& spec) {
  f.o_arch = app.add_option("--arch", f.arch,
                            "Architecture: NAONet-A, NAONet-B, NAONet-WS, DARTS-V1, DARTS-V2, "
                            "RS-NAG, ... a space's text form (40 ints for NAO cells), random:SEED "
                            "(a random architecture of --space), or all (with --summary: every "
                            "architecture of a finite --space, one JSON line each)");
  f.o_arch_file = app.add_option("--arch-file", f.arch_file,
                                 "File whose first non-comment line is the architecture");
  f.o_space = app.add_option("--space", f.space, "Search space of the arch (default: inferred)");
  f.o_dataset = app.add_option("--dataset", f.dataset,
                               fmt::format("{} (default {})", join(spec.datasets, ", "),
                                           spec.default_dataset));
  f.o_data_dir = app.add_option("--data-dir", f.data_dir, "Data set directory");
  f.o_epochs = app.add_option("--epochs", f.epochs, "Training epochs");
  f.o_layers = app.add_option("--layers", f.layers, "Normal cells per stage N");
  f.o_channels = app.add_option("--channels", f.channels, "Base width C");
  f.o_batch = app.add_option("--batch-size", f.batch_size, "Training batch size");
  f.o_lr = app.add_option("--lr", f.lr, "Peak learning rate");
  app.add_flag("--summary", f.summary,
               "Print the network's parameters and FLOPs as JSON and exit (no data read)");
  app.add_flag("--print-config", f.print_config,
               "Print the resolved config (recipe, --config, --set and flags) as YAML and exit");
  app.add_option("--eval", f.eval,
                 "Evaluate a saved model (RUN_DIR/model.pt or a checkpoint) on the test split "
                 "of its data set and exit");
}

// Flags into the YAML config (they win over the file and --set).
void apply_flags(const TrainFlags& f, CLI::App& app, const CommonOptions& common,
                 YAML::Node& root) {
  auto positive = [](CLI::Option* o, auto value) {
    NAS_CHECK(o->count() == 0 || value > 0, "{}: expected a positive value, found {}",
              o->get_name(), value);
  };
  positive(f.o_epochs, f.epochs);
  positive(f.o_layers, f.layers);
  positive(f.o_channels, f.channels);
  positive(f.o_batch, f.batch_size);
  positive(f.o_lr, f.lr);
  if (f.o_arch->count()) root["arch"] = f.arch;
  if (f.o_arch_file->count()) root["arch_file"] = f.arch_file;
  if (f.o_arch->count() && !f.o_arch_file->count()) root.remove("arch_file");
  if (f.o_arch_file->count() && !f.o_arch->count()) root.remove("arch");
  if (f.o_space->count()) root["space"] = f.space;
  if (app.get_option("--seed")->count()) root["seed"] = common.seed;
  if (f.o_dataset->count()) root["dataset"] = f.dataset;
  if (f.o_data_dir->count()) root["data_dir"] = f.data_dir;
  if (f.o_epochs->count()) root["train"]["epochs"] = f.epochs;
  if (f.o_batch->count()) root["train"]["batch_size"] = f.batch_size;
  if (f.o_lr->count()) root["train"]["lr"]["lr"] = f.lr;
  if (f.o_layers->count()) root["network"]["layers"] = f.layers;
  if (f.o_channels->count()) root["network"]["channels"] = f.channels;
}

// The recipe of the config's data set with the config on top.
TrainJobConfig decode_job(const YAML::Node& root, const TrainToolSpec& spec) {
  std::string dataset = spec.default_dataset;
  if (root["dataset"] && !root["dataset"].IsNull()) dataset = root["dataset"].as<std::string>();
  dataset = canonical_image_source_name(dataset);
  NAS_CHECK(std::find(spec.datasets.begin(), spec.datasets.end(), dataset) != spec.datasets.end(),
            "--dataset {}: {} trains on {}", quote(dataset), spec.name, join(spec.datasets, ", "));
  const YAML::Node network = root["network"];
  if (network && network.IsMap()) {
    for (const auto& key : data_network_keys())
      NAS_CHECK(!network[key], "network.{}: comes from the data set; remove it from the config",
                key);
  }
  TrainJobConfig job = spec.recipe(dataset);
  decode_config(root, job);
  job.dataset = dataset;
  NAS_CHECK(job.seed >= 0, "seed: expected a seed >= 0, found {}", job.seed);
  job.train.validate();
  job.augment.validate();
  return job;
}

// The resolved config as written to RUN_DIR/config.yaml (read back by --resume).
YAML::Node encode_job(const TrainJobConfig& job) {
  YAML::Node node = encode_config(job);
  for (const auto& key : data_network_keys()) node["network"].remove(key);
  return node;
}

OrderedJson stats_json(const ModelStats& s) {
  OrderedJson j;
  j["params"] = s.params;
  j["params_M"] = static_cast<double>(s.params) / 1e6;
  j["aux_params"] = s.aux_params;
  j["flops"] = s.flops;
  j["flops_M"] = s.flops / 1e6;
  return j;
}

OrderedJson arch_json(const ResolvedArch& arch, const std::string& dataset,
                      const NetworkConfig& cfg) {
  OrderedJson j;
  j["space"] = arch.space->name();
  j["arch"] = arch.text;
  j["dataset"] = dataset;
  j["channels"] = cfg.channels;
  j["layers"] = cfg.layers;
  j["num_classes"] = cfg.num_classes;
  j["image_size"] = cfg.image_size;
  return j;
}

// --summary --arch all: one compact JSON line per architecture of the space, in its
// enumeration order (what the NB201 table's params and FLOPs columns are derived from).
int print_space_summary(const TrainJobConfig& job) {
  NAS_CHECK(!job.space.empty(), "--arch all: name the space with --space NAME");
  ResolvedArch arch;
  arch.space = make_space(job.space);
  const std::optional<uint64_t> size = arch.space->size();
  NAS_CHECK(size.has_value(), "--arch all: space {} is not finite; give one architecture",
            arch.space->name());
  const NetworkConfig cfg = job_network_config(job, nullptr);
  Progress progress("summary", static_cast<int64_t>(*size), "architectures");
  int64_t done = 0;
  arch.space->enumerate([&](const Arch& a) {
    arch.arch = a;
    arch.text = arch.space->format(a);
    OrderedJson j = arch_json(arch, job.dataset, cfg);
    const std::optional<ModelStats> exact = closed_form_stats(*arch.space, a, cfg);
    j.update(stats_json(exact ? *exact : model_stats(*arch.space, a, cfg)));
    std::printf("%s\n", j.dump().c_str());
    progress.update(++done);
  });
  progress.finish();
  return 0;
}

int print_summary(const TrainJobConfig& job) {
  if (trim(job.arch) == "all" && job.arch_file.empty()) return print_space_summary(job);
  ResolvedArch arch = resolve_job_arch(job);
  const NetworkConfig cfg = job_network_config(job, nullptr);
  OrderedJson j = arch_json(arch, job.dataset, cfg);
  j.update(stats_json(model_stats(*arch.space, arch.arch, cfg)));
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

int evaluate_saved(const TrainFlags& f, torch::Device device) {
  LoadedModel model = load_trained_model(f.eval, device);
  TrainJobConfig job;
  job.dataset = f.o_dataset->count() ? canonical_image_source_name(f.dataset) : model.dataset;
  job.data_dir = f.data_dir;
  if (job.dataset == model.dataset) {  // the test split the model was evaluated on
    job.synthetic_size = model.synthetic_size;
    job.test_subset = model.test_subset;
  }
  auto test = open_job_data(job, /*train=*/false);
  const NetworkConfig expect = job_network_config(job, test.get());
  NAS_CHECK(expect.num_classes == model.network.num_classes &&
                expect.in_channels == model.network.in_channels,
            "--eval {}: the model was trained for {} classes of {}-channel images, data set {} "
            "has {} classes of {}-channel images",
            f.eval, model.network.num_classes, model.network.in_channels, job.dataset,
            expect.num_classes, expect.in_channels);
  Augmenter eval_aug(AugmentConfig{}, model.mean, model.stddev, device);
  EvalResult r = evaluate_network(*model.net, test, eval_aug, 250, device,
                                  prefers_channels_last(device));
  OrderedJson j = arch_json(model.arch, job.dataset, model.network);
  j["model"] = f.eval;
  j["test_samples"] = r.samples;
  j["test_loss"] = json_number(r.loss);
  j["test_acc"] = r.acc;
  j["test_top5"] = r.top5;
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

int train(const TrainToolSpec& spec, const TrainJobConfig& job, const CommonOptions& common,
          torch::Device device) {
  ResolvedArch arch = resolve_job_arch(job);
  // Everything that needs no data is checked before the data loads.
  auto train_data = open_job_data(job, /*train=*/true);
  auto test_data = open_job_data(job, /*train=*/false);
  const NetworkConfig cfg = job_network_config(job, train_data.get());
  NAS_CHECK(test_data->num_classes() == train_data->num_classes() &&
                test_data->image_shape()[0] == train_data->image_shape()[0],
            "data set {}: the test split has {} classes of {}-channel images, the training "
            "split {} of {}-channel images",
            job.dataset, test_data->num_classes(), test_data->image_shape()[0],
            train_data->num_classes(), train_data->image_shape()[0]);

  RunDir run_dir(spec.name, common.out, common.resume, common.overwrite);
  log_to_file(run_dir.file("log.txt"));
  save_yaml_file(encode_job(job), run_dir.file("config.yaml"));

  torch::manual_seed(static_cast<uint64_t>(job.seed));  // the initial weights
  auto net = build_network(*arch.space, arch.arch, cfg);
  const ModelStats stats = model_stats(*net, cfg);
  const Json meta = describe_network(arch, job, cfg, train_data->mean(),
                                     train_data->stddev());
  spdlog::info("{}: {} ({}) C={} N={} on {} ({} training, {} test images), {:.3f} M params, "
               "{:.1f} M FLOPs, {} epochs on {}, run directory {}",
               spec.name, arch.text, arch.space->name(), cfg.channels, cfg.layers, job.dataset,
               train_data->size(), test_data->size(), stats.params / 1e6, stats.flops / 1e6,
               job.train.epochs, device.str(), run_dir.path());

  Augmenter train_aug(job.augment, train_data->mean(), train_data->stddev(), device);
  Augmenter eval_aug(job.augment, train_data->mean(), train_data->stddev(), device);
  Trainer trainer(net, job.train, device, static_cast<uint64_t>(job.seed));
  TrainResult r = trainer.fit(train_data, test_data, train_aug, eval_aug, run_dir.path(),
                              common.resume, meta);

  OrderedJson summary = arch_json(arch, job.dataset, cfg);
  summary.update(stats_json(stats));
  summary["epochs"] = job.train.epochs;
  summary["seed"] = job.seed;
  summary["train_loss"] = json_number(r.train_loss);
  summary["train_acc"] = r.train_acc;
  summary["test_loss"] = json_number(r.test.loss);
  summary["test_acc"] = r.test.acc;
  summary["test_top5"] = r.test.top5;
  summary["best_test_acc"] = r.best_test_acc;
  summary["seconds"] = r.seconds;
  summary["model"] = r.model_path;
  write_file_atomic(run_dir.file("summary.json"), summary.dump(2) + "\n");
  std::printf("test accuracy %.2f%% (top-5 %.2f%%, best %.2f%%) after %lld epochs, %s\n", r.test.acc,
              r.test.top5, r.best_test_acc, static_cast<long long>(job.train.epochs),
              format_duration(r.seconds).c_str());
  std::printf("model: %s\nrun directory: %s\n", r.model_path.c_str(), run_dir.path().c_str());
  return 0;
}

}  // namespace

std::string short_recipe_config(const std::string& space, const std::string& dataset) {
  return space == "nag" && dataset == "fashion-mnist" ? "configs/train_fmnist_nag.yaml" : "";
}

TrainToolSpec cifar_train_tool() {
  TrainToolSpec s;
  s.name = "train_cifar";
  s.description =
      "Trains the network of an architecture on CIFAR-10, CIFAR-100 or Fashion-MNIST with the "
      "NAO recipe (N=6, C=36, 600 epochs, SGD 0.025 cosine, cutout, auxiliary head, "
      "drop-path). Writes RUN_DIR/history.jsonl (one line per epoch), checkpoints/last.pt "
      "(every epoch; --resume continues from it), model.pt (weights with the architecture), "
      "summary.json and log.txt.";
  s.default_dataset = "cifar10";
  s.datasets = {"cifar10", "cifar100", "fashion-mnist", "synthetic"};
  s.recipe = [](const std::string& dataset) { return cifar_recipe(dataset); };
  s.examples = {
      {"train_cifar --arch NAONet-A --channels 36", "the NAONet-A recipe on CIFAR-10"},
      {"train_cifar --config configs/train_fmnist_naonet_b.yaml",
       "a small NAONet-B on Fashion-MNIST (the embedded data set): 92.6 % test in under 14 "
       "minutes on 2 cores"},
      {"train_cifar --arch NAONet-B --print-config", "every config key with its recipe value"},
      {"train_cifar --arch NAONet-B --dataset cifar100 --epochs 100 --out runs/b100", ""},
      {"train_cifar --out runs/b100 --resume", "continue an interrupted run"},
      {"train_cifar --arch DARTS-V2 --summary", "parameters and FLOPs, no training"},
      {"train_cifar --space nao --arch random:3 --config configs/train_fmnist_naonet_b.yaml",
       "a random architecture of the NAO cell space (seed 3), a baseline for searched ones"},
      {"train_cifar --eval runs/b100/model.pt", "test accuracy of a trained model"},
  };
  return s;
}

TrainToolSpec imagenet_train_tool() {
  TrainToolSpec s;
  s.name = "train_imagenet";
  s.description =
      "Trains the ImageNet network of an architecture (N=4, C=42, 250 epochs, SGD 0.1 decayed "
      "x0.97 per epoch, label smoothing 0.1, auxiliary head) on class folders of JPEG files "
      "(--data-dir with train/ and val/). Writes the same run directory as train_cifar.";
  s.default_dataset = "imagenet";
  s.datasets = {"imagenet"};
  s.recipe = [](const std::string&) { return imagenet_recipe(); };
  s.examples = {
      {"train_imagenet --arch NAONet-A --data-dir /data/imagenet", "the NAONet-A ImageNet recipe"},
      {"train_imagenet --arch NAONet-A --summary", "parameters and FLOPs of the 224x224 network"},
      {"train_imagenet --out runs/imagenet-a --resume", "continue an interrupted run"},
  };
  return s;
}

int run_train_tool(int argc, char** argv, const TrainToolSpec& spec) {
  Tool tool(spec.name, spec.description);
  for (const auto& e : spec.examples) tool.example(e.first, e.second);
  CommonOptions common;
  tool.add_common(common);
  TrainFlags flags;
  add_flags(tool.app(), flags, spec);
  return tool.run(argc, argv, [&]() -> int {
    if (flags.summary || flags.print_config) {
      NAS_CHECK(flags.eval.empty(), "--summary, --print-config and --eval: give one of them");
      YAML::Node root = common.load_config();
      apply_flags(flags, tool.app(), common, root);
      const TrainJobConfig job = decode_job(root, spec);
      if (flags.summary) return print_summary(job);
      YAML::Emitter out;
      out << encode_job(job);
      std::printf("%s\n", out.c_str());
      return 0;
    }
    init_threads(common.threads);
    const torch::Device device = parse_device(common.device);
    if (!flags.eval.empty()) return evaluate_saved(flags, device);
    YAML::Node root = common.load_run_config();
    apply_flags(flags, tool.app(), common, root);
    return train(spec, decode_job(root, spec), common, device);
  });
}

}  // namespace nas
