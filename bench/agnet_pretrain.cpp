// AG-Net generator pre-training speed: reconstruction steps per second on random cells of a
// space (forward + backward + Adam step, exactly as agnet::pretrain trains), with the batch drawn
// and encoded each step. bench/agnet_pretrain.py measures the same model in PyTorch's Python API.
//
//   agnet_pretrain --space nb201 --steps 300 --batch-size 32 --threads 2
#include <chrono>
#include <cstdio>

#include "generators/agnet/generator.h"
#include "libnas/train/adam.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

int main(int argc, char** argv) {
  nas::Tool tool("agnet_pretrain",
                 "Measures AG-Net generator pre-training (reconstruction steps per second: "
                 "forward + backward + Adam step) on random architectures of a space.");
  tool.example("agnet_pretrain --space nb201 --steps 300 --threads 2",
               "NB201 cells, batch 32, as the search's pre-training");
  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag);
  std::string space_name = "nb201";
  int64_t steps = 300, batch = 32, warmup = 20, seed = 0;
  CLI::App& app = tool.app();
  app.add_option("--space", space_name, "Search space (any with a graph view)")->capture_default_str();
  app.add_option("--steps", steps, "Timed steps")->capture_default_str();
  app.add_option("--batch-size", batch, "Architectures per step")->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed steps first")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the data and the weights")->capture_default_str();
  return tool.run(argc, argv, [&]() -> int {
    NAS_CHECK(steps >= 1 && batch >= 1 && warmup >= 0,
              "--steps and --batch-size must be positive, --warmup >= 0");
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    auto space = nas::make_space(space_name);
    torch::manual_seed(static_cast<uint64_t>(seed));
    nas::agnet::Generator gen(nas::GraphShape::of(*space), nas::agnet::GeneratorConfig{});
    gen->to(device);
    int64_t params = 0;
    for (const auto& p : gen->parameters()) params += p.numel();
    nas::FlatAdam adam(gen->parameters(), {2e-4, 0.5, 0.999, 1e-8, 0.0});
    nas::Rng rng(static_cast<uint64_t>(seed));
    double loss_sum = 0;
    auto step = [&] {
      std::vector<nas::Arch> archs;
      for (int64_t i = 0; i < batch; ++i) archs.push_back(space->sample(rng));
      nas::agnet::GraphTargets t = nas::agnet::graph_targets(*space, archs, device);
      nas::agnet::GraphLogits l = gen->forward(gen->noise(batch));
      torch::Tensor loss = nas::agnet::reconstruction_loss(l, t).mean();
      adam.zero_grad();
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>();  // read back every step, as pretrain's progress does
    };
    for (int64_t i = 0; i < warmup; ++i) step();
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < steps; ++i) step();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("nasgen agnet_pretrain space=%s params=%lld batch=%lld threads=%d steps/s=%.1f "
                "archs/s=%.0f ms/step=%.2f\n",
                space_name.c_str(), static_cast<long long>(params), static_cast<long long>(batch),
                torch::get_num_threads(), steps / s, steps * batch / s, 1000.0 * s / steps);
    return 0;
  });
}
