// generate_archs: architectures for a request from a trained NAG GAN (specs/nag.md §5.4).
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "generators/nag/generate.h"
#include "generators/nag/train_gan.h"
#include "libnas/train/train_tool.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/log.h"
#include "libnas/util/run_dir.h"

namespace {

std::string count_text(double v) { return fmt::format("{:.3f}M", v / 1e6); }

std::string acc_text(double v) { return nas::present(v) ? fmt::format("{:.2f}", v) : "-"; }

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("generate_archs",
                 "Generates architectures for a request from a trained NAG GAN: maps --acc and "
                 "--params to the generator's condition classes (boundaries calibrated on the NAS "
                 "dataset), samples, repairs or drops invalid cells, de-duplicates by canonical "
                 "hash, keeps those whose exact parameter count is at most --params, ranks them by "
                 "the accuracy a ridge regression on the NAS dataset predicts and writes the best "
                 "to a file train_cifar --arch-file reads (best first).");
  tool.example("generate_archs --run runs/nag_multiobj --acc 0.97 --params 3M",
               "20 architectures of the top accuracy class with at most 3 M parameters");
  tool.example("generate_archs --acc 0.97 --params 3M --num 5 --out best.txt",
               "from the last train_gan run, the best 5 to another file");
  tool.example("train_cifar --config configs/train_fmnist_nag.yaml --arch-file runs/nag_multiobj/generated.txt",
               "train the first one with a short recipe (1-2 minutes on 2 cores; generate_archs prints it)");
  tool.example("train_cifar --space nag --dataset fashion-mnist --channels 36 --layers 6 "
               "--arch-file runs/nag_multiobj/generated.txt",
               "the network the bound counted, with the full 600-epoch recipe (generate_archs prints it too)");

  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag | nas::kSeedFlag);
  CLI::App& app = tool.app();
  const std::string last_gan = nas::latest_run_of("train_gan");
  std::string run = last_gan, params_text, out;
  double acc = -1;
  int64_t num = 20, samples = 1000;
  auto* o_acc = app.add_option(
      "--acc", acc,
      "Accuracy to aim at, as a fraction (0.97 = 97 %): a target, not a floor. The generator is "
      "conditioned on the accuracy class that holds it, so --acc 0.3 asks for the low-accuracy "
      "class; leave it out for the top class");
  app.add_option("--run", run,
                 "train_gan run directory (default: the last train_gan run started from this "
                 "directory, with --out or without: " + last_gan + ")");
  auto* o_params = app.add_option("--params", params_text, "Parameter bound: 3M, 500k, 2000000");
  app.add_option("--num", num, "Architectures to output (default 20)");
  app.add_option("--samples", samples, "Architectures to generate (default 1000)");
  app.add_option("--out", out, "Output file (default RUN_DIR/generated.txt)");

  return tool.run(argc, argv, [&]() -> int {
    nas::nag::GenerateRequest req;
    if (o_acc->count()) {
      NAS_CHECK(acc > 0 && acc <= 1, "--acc {}: expected a fraction in (0, 1], e.g. 0.97 for 97 %", acc);
      req.acc = 100 * acc;
    }
    if (o_params->count()) req.params = nas::nag::parse_count(params_text, "--params");
    NAS_CHECK(num >= 1, "--num: expected a positive count, found {}", num);
    NAS_CHECK(samples >= 1, "--samples: expected a positive count, found {}", samples);
    req.num = num;
    req.samples = samples;
    req.seed = static_cast<uint64_t>(common.seed);
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    if (run == last_gan) {
      std::error_code ec;
      std::printf("run: %s (the last train_gan run)\n",
                  std::filesystem::weakly_canonical(run, ec).string().c_str());
    }
    nas::nag::TrainedGan t = nas::nag::load_trained_gan(run, device);
    const nas::SearchSpace& space = t.gan->space();
    nas::nag::GenerateResult r = nas::nag::generate_archs(
        *t.gan, t.data, req, nas::nag::make_param_counter(t.data, t.gan->space_ptr()));
    for (const auto& n : r.notes) std::printf("%s\n", n.c_str());
    std::printf("generated %lld: %lld valid (%lld repaired), %lld distinct, %lld over the parameter bound\n",
                static_cast<long long>(r.sampled), static_cast<long long>(r.valid),
                static_cast<long long>(r.repaired), static_cast<long long>(r.unique),
                static_cast<long long>(r.over_bound));
    const bool met = !r.chosen.empty();
    const auto& shown = met ? r.chosen : r.closest;
    if (!shown.empty()) {
      std::printf("%s\n", met ? "rank  predicted  params     in dataset  arch"
                              : "closest (fewest parameters):\n      predicted  params     in dataset  arch");
      for (size_t i = 0; i < shown.size(); ++i)
        std::printf("%4zu  %9.2f  %-9s  %10s  %s\n", i + 1, shown[i].predicted_acc,
                    count_text(shown[i].params).c_str(), acc_text(shown[i].dataset_acc).c_str(),
                    space.format(shown[i].arch).c_str());
    }
    if (!met) {
      std::fprintf(stderr, "generate_archs: no generated architecture meets the request (see above)\n");
      return 1;
    }
    if (out.empty()) out = run + "/generated.txt";
    std::string text = fmt::format(
        "# generate_archs --run {}{}{}: best first by the accuracy predicted from the NAS dataset\n",
        run, req.acc ? fmt::format(" --acc {}", acc) : "", req.params ? " --params " + params_text : "");
    const std::string train_flags =
        t.data.network ? fmt::format("--space {}{} --channels {} --layers {}", t.data.space,
                                     t.data.image_dataset.empty() ? "" : " --dataset " + t.data.image_dataset,
                                     t.data.network->channels, t.data.network->layers)
                       : "";
    if (t.data.network)
      text += fmt::format("# parameters counted as train_cifar {} --summary reports them\n", train_flags);
    std::string details;
    for (const auto& c : r.chosen) {
      text += space.format(c.arch) + "\n";
      nas::Json j = {{"arch", space.format(c.arch)},     {"hash", c.hash},
                     {"predicted_acc", c.predicted_acc}, {"params", c.params},
                     {"fakeness", c.fakeness},           {"repaired", c.repaired},
                     {"dataset_acc", nas::json_number(c.dataset_acc)}};
      details += j.dump() + "\n";
    }
    nas::write_file_atomic(out, text);
    nas::write_file_atomic(out + ".jsonl", details);
    std::printf("wrote %zu architectures to %s (details in %s.jsonl)\n", r.chosen.size(), out.c_str(),
                out.c_str());
    if (t.data.network) {
      const std::string recipe = nas::short_recipe_config(t.data.space, t.data.image_dataset);
      if (!recipe.empty())
        std::printf("train the best (a short recipe that finishes: C=8, N=1, 3 epochs on 20,000 "
                    "images, 1-2 minutes on 2 cores; run from the nasgen source tree):\n"
                    "  train_cifar --config %s --arch-file %s\n",
                    recipe.c_str(), out.c_str());
      std::printf("the network the parameters were counted on, with the full recipe (600 epochs: "
                  "weeks on a CPU):\n  train_cifar %s --arch-file %s\n",
                  train_flags.c_str(), out.c_str());
    }
    return 0;
  });
}
