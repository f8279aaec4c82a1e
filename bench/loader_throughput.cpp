// Loader throughput: images per second through DataLoader (get_batch in the background) and the
// training augmentation, on Fashion-MNIST by default (the embedded data set).
//
//   loader_throughput                              # Fashion-MNIST train, batch 128, 2 epochs
//   loader_throughput --dataset cifar10 --dir datasets/cifar-10-batches-bin --batches 200
#include <chrono>
#include <cstdio>

#include "libnas/data/augment.h"
#include "libnas/data/dataset.h"
#include "libnas/data/loader.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Rate {
  int64_t images = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(images) / seconds : 0; }
};

// Runs `epochs` epochs (at most `max_batches` batches each when > 0) and times them. `touch`
// consumes each batch (e.g. augments it); its result is reduced so nothing is optimised away.
template <class F>
Rate measure(nas::DataLoader& loader, int64_t epochs, int64_t max_batches, F touch) {
  Rate r;
  double sink = 0;
  const auto t = Clock::now();
  for (int64_t e = 0; e < epochs; ++e) {
    loader.start_epoch(e);
    nas::Batch b;
    int64_t n = 0;
    while (loader.next(b)) {
      sink += touch(b, e);
      r.images += b.images.size(0);
      if (max_batches > 0 && ++n >= max_batches) break;
    }
  }
  loader.stop();
  r.seconds = since(t);
  if (sink == 12345.678) std::printf(" ");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("loader_throughput",
                 "Measures images/s through the data loader and the training augmentation.");
  tool.example("loader_throughput", "Fashion-MNIST train, batch 128");
  tool.example("loader_throughput --dataset synthetic --batches 100");
  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag | nas::kSeedFlag);
  std::string dataset = "fashion-mnist", dir;
  int64_t batch = 128, epochs = 2, batches = 0, workers = 1, prefetch = 2, cutout = -1;
  tool.app().add_option("--dataset", dataset, "cifar10|cifar100|fashion-mnist|imagenet|synthetic");
  tool.app().add_option("--dir", dir, "data set directory (default: its usual place)");
  tool.app().add_option("--batch", batch, "batch size");
  tool.app().add_option("--epochs", epochs, "epochs to time");
  tool.app().add_option("--batches", batches, "at most this many batches per epoch (0 = all)");
  tool.app().add_option("--workers", workers, "loader threads");
  tool.app().add_option("--prefetch", prefetch, "batches prepared ahead");
  tool.app().add_option("--cutout", cutout, "cutout side (-1 = the data set's recipe)");
  return tool.run(argc, argv, [&] {
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    auto t = Clock::now();
    std::shared_ptr<const nas::ImageSource> src = nas::open_image_source(dataset, dir, true);
    std::printf("%s: %lld images [%lld, %lld, %lld], loaded in %.2f s; device %s, %d intra-op threads\n",
                src->name().c_str(), static_cast<long long>(src->size()),
                static_cast<long long>(src->image_shape()[0]), static_cast<long long>(src->image_shape()[1]),
                static_cast<long long>(src->image_shape()[2]), since(t), device.str().c_str(),
                torch::get_num_threads());

    nas::LoaderConfig cfg;
    cfg.batch_size = batch;
    cfg.seed = static_cast<uint64_t>(common.seed);
    cfg.workers = workers;
    nas::AugmentConfig aug_cfg = nas::default_augment(dataset);
    if (cutout >= 0) aug_cfg.cutout = cutout;
    nas::Augmenter aug(aug_cfg, src->mean(), src->stddev(), device);

    auto report = [&](const char* what, const Rate& r) {
      std::printf("  %-44s %9.0f images/s  (%lld images, %.2f s)\n", what, r.per_second(),
                  static_cast<long long>(r.images), r.seconds);
    };
    for (int64_t p : {int64_t(0), prefetch}) {
      cfg.prefetch = p;
      nas::DataLoader loader(src, cfg, device);
      const std::string tag = p == 0 ? "on demand" : "prefetch " + std::to_string(p);
      report(("get_batch, " + tag).c_str(),
             measure(loader, epochs, batches, [](const nas::Batch& b, int64_t) {
               return static_cast<double>(b.images.view(-1)[0].item<uint8_t>());
             }));
      report(("get_batch + train augmentation, " + tag).c_str(),
             measure(loader, epochs, batches, [&](const nas::Batch& b, int64_t e) {
               torch::Tensor x = aug.train(b.images, nas::augment_seed(cfg.seed, e, b.index));
               return static_cast<double>(x.view(-1)[0].item<float>());
             }));
    }
    cfg.prefetch = prefetch;
    nas::DataLoader loader(src, cfg, device);
    report("get_batch + eval normalisation",
           measure(loader, epochs, batches, [&](const nas::Batch& b, int64_t) {
             return static_cast<double>(aug.eval(b.images).view(-1)[0].item<float>());
           }));
    return 0;
  });
}
