// NAO controller training speed: architectures per second through encoder + predictor +
// decoder, forward and backward, with the Adam step, gradient clipping and (by default) the
// branch-swap augmentation, exactly as fit_controller trains it during a search.
// bench/nao_controller.py measures the same model written with PyTorch's Python API.
//
//   nao_controller --archs 600 --batch-size 100 --epochs 5 --threads 2
#include <chrono>
#include <cstdio>

#include "generators/nao/controller.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

int main(int argc, char** argv) {
  nas::Tool tool("nao_controller",
                 "Measures NAO controller training (architectures per second, forward + backward "
                 "+ Adam step) on random architectures of a space with random targets.");
  tool.example("nao_controller --archs 600 --batch-size 100 --epochs 5 --threads 2",
               "the NAO-WS controller (600 archs of the NAO cell space, batch 100)");
  tool.example("nao_controller --space nb201 --archs 200", "the controller of an NB201 search");
  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag);
  std::string space_name = "nao";
  int64_t archs = 600, batch = 100, epochs = 5, warmup = 1, seed = 0;
  bool no_swap = false;
  CLI::App& app = tool.app();
  app.add_option("--space", space_name, "Search space (any with a sequence view)")->capture_default_str();
  app.add_option("--archs", archs, "Random architectures trained on")->capture_default_str();
  app.add_option("--batch-size", batch, "Architectures per step")->capture_default_str();
  app.add_option("--epochs", epochs, "Timed epochs")->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed epochs first")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the data and the weights")->capture_default_str();
  app.add_flag("--no-swap", no_swap, "Turn the branch-swap augmentation off");
  return tool.run(argc, argv, [&]() -> int {
    NAS_CHECK(archs >= 1 && batch >= 1 && epochs >= 1 && warmup >= 0,
              "--archs, --batch-size and --epochs must be positive, --warmup >= 0");
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    auto space = nas::make_space(space_name);
    NAS_CHECK(space->has_sequence_view(), "--space {}: no sequence view", space_name);
    nas::Rng rng(static_cast<uint64_t>(seed));
    std::vector<std::vector<int>> seqs;
    std::vector<double> targets;
    for (int64_t i = 0; i < archs; ++i) {
      seqs.push_back(space->to_tokens(space->sample(rng)));
      targets.push_back(rng.uniform());
    }
    nas::nao::ControllerConfig cfg;
    cfg.batch_size = batch;
    cfg.swap = !no_swap;
    torch::manual_seed(static_cast<uint64_t>(seed));
    nas::Rng fit_rng(static_cast<uint64_t>(seed) + 1);
    if (warmup > 0) {
      auto c = cfg;
      c.epochs = warmup;
      nas::nao::Controller w(space->sequence_spec(), c);
      w->to(device);
      nas::nao::fit_controller(w, seqs, targets, fit_rng);
    }
    auto c = cfg;
    c.epochs = epochs;
    nas::nao::Controller timed(space->sequence_spec(), c);
    timed->to(device);
    nas::nao::FitStats s = nas::nao::fit_controller(timed, seqs, targets, fit_rng);
    const bool swapping = cfg.swap && !space->sequence_spec().symmetries.empty();
    std::printf(
        "nao_controller (nasgen): %lld archs, batch %lld, %lld epochs, %d threads, swap %s: %.1f "
        "archs/s (%.1f ms per step)\n",
        static_cast<long long>(archs), static_cast<long long>(batch),
        static_cast<long long>(epochs), torch::get_num_threads(), swapping ? "on" : "off",
        static_cast<double>(archs * epochs) / s.seconds, 1000.0 * s.seconds / static_cast<double>(s.steps));
    return 0;
  });
}
