// Training throughput: images per second of forward + backward + optimizer step of the network
// of an architecture, on random input of a fixed size, one line per (width, batch) pair. The
// step is the Trainer's: cross-entropy (+ 0.4 x the auxiliary loss with --aux), zero_grad,
// backward, gradient clipping at norm 5 and the flat SGD update (momentum 0.9, weight decay
// 3e-4). bench/train_throughput.py measures the same network written with PyTorch's Python API.
//
//   train_throughput --arch NAONet-B --channels 16 --layers 1 --batch 128 --threads 2
//   train_throughput --arch NAONet-A --channels 16,36 --batch 32,128 --image-size 32 --in-channels 3
#include <chrono>
#include <cstdio>

#include "libnas/models/network.h"
#include "libnas/train/job.h"
#include "libnas/train/sgd.h"
#include "libnas/train/trainer.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// "16,36" (or a range "16:18") as positive values.
std::vector<int64_t> positive_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> out = nas::parse_int_range(text, what);
  for (int64_t v : out) NAS_CHECK(v > 0, "{}: expected positive values, found {}", what, v);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("train_throughput",
                 "Measures training images/s (forward + backward + SGD step) of an "
                 "architecture's network on random input; one line per width and batch.");
  tool.example("train_throughput --arch NAONet-B --channels 16 --layers 1 --batch 128 --threads 2",
               "the small Fashion-MNIST network of configs/train_fmnist_naonet_b.yaml");
  tool.example("train_throughput --arch NAONet-A --channels 36 --layers 6 --batch 32 "
               "--image-size 32 --in-channels 3 --aux",
               "the CIFAR-10 NAONet-A network");
  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag);
  std::string arch = "NAONet-B", space, channels = "16", batches = "128";
  int64_t layers = 1, image_size = 28, in_channels = 1, classes = 10, steps = 20, warmup = 3;
  bool aux = false;
  std::string memory_format = "auto";
  CLI::App& app = tool.app();
  app.add_option("--arch", arch, "Architecture name or text")->capture_default_str();
  app.add_option("--space", space, "Search space of the arch (default: inferred)");
  app.add_option("--channels", channels, "Base widths C, comma-separated")->capture_default_str();
  app.add_option("--layers", layers, "Normal cells per stage N")->capture_default_str();
  app.add_option("--batch", batches, "Batch sizes, comma-separated")->capture_default_str();
  app.add_option("--image-size", image_size, "Input height = width")->capture_default_str();
  app.add_option("--in-channels", in_channels, "Input channels")->capture_default_str();
  app.add_option("--classes", classes, "Classifier outputs")->capture_default_str();
  app.add_option("--steps", steps, "Timed steps per configuration")->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed steps first")->capture_default_str();
  app.add_flag("--aux", aux, "With the auxiliary head and its loss (weight 0.4)");
  app.add_option("--memory-format", memory_format,
                 "auto (channels-last on the CPU, as the Trainer), channels_last or contiguous")
      ->capture_default_str();
  return tool.run(argc, argv, [&] {
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    NAS_CHECK(steps >= 1 && warmup >= 0, "--steps must be >= 1 and --warmup >= 0");
    const nas::ResolvedArch resolved = nas::resolve_arch(arch, space);
    nas::TrainConfig layout;
    layout.memory_format = memory_format;
    layout.validate();
    const bool channels_last = layout.channels_last(device);
    std::printf("libtorch %s, %d intra-op threads\n", TORCH_VERSION, torch::get_num_threads());
    for (int64_t c : positive_list(channels, "--channels")) {
      for (int64_t batch : positive_list(batches, "--batch")) {
        nas::NetworkConfig cfg;
        cfg.channels = c;
        cfg.layers = layers;
        cfg.num_classes = classes;
        cfg.in_channels = in_channels;
        cfg.image_size = image_size;
        cfg.auxiliary = aux;
        torch::manual_seed(0);
        auto net = nas::build_network(*resolved.space, resolved.arch, cfg);
        const int64_t params = nas::model_stats(*net, cfg).params;
        net->to(device);
        if (channels_last) nas::to_channels_last(*net);
        net->train();
        nas::FlatSgd sgd(net->parameters(), nas::SgdConfig{0.9, false, 3e-4});
        torch::Tensor x = torch::randn({batch, in_channels, image_size, image_size}).to(device);
        if (channels_last) x = nas::to_channels_last(x);
        torch::Tensor y = torch::randint(0, classes, {batch}, torch::kLong).to(device);
        auto step = [&] {
          nas::NetworkOutput out = net->forward(x);
          torch::Tensor loss = torch::nn::functional::cross_entropy(out.logits, y);
          if (out.aux.defined()) loss = loss + 0.4 * torch::nn::functional::cross_entropy(out.aux, y);
          sgd.zero_grad();
          loss.backward();
          sgd.clip_grad_norm(5.0);
          sgd.step(0.025);
          return loss;
        };
        for (int64_t i = 0; i < warmup; ++i) step().item<double>();
        const auto t = Clock::now();
        double sink = 0;
        // The loss is read every step, as the Trainer's progress line and NaN check do.
        for (int64_t i = 0; i < steps; ++i) sink += step().item<double>();
        const double s = since(t);
        std::printf(
            "train_throughput: arch=%s C=%lld N=%lld batch=%lld input=%lldx%lldx%lld aux=%d "
            "device=%s threads=%d layout=%s params=%lld images/s=%.1f ms/step=%.2f%s\n",
            arch.c_str(), static_cast<long long>(c), static_cast<long long>(layers),
            static_cast<long long>(batch), static_cast<long long>(in_channels),
            static_cast<long long>(image_size), static_cast<long long>(image_size), aux ? 1 : 0,
            device.str().c_str(), torch::get_num_threads(),
            channels_last ? "channels_last" : "contiguous", static_cast<long long>(params),
            static_cast<double>(batch * steps) / s, 1000.0 * s / static_cast<double>(steps),
            std::isfinite(sink) ? "" : " (loss not finite)");
        std::fflush(stdout);
      }
    }
    return 0;
  });
}
