#include "libnas/data/synthetic.h"

#include <algorithm>
#include <cmath>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {

namespace {

struct ClassPattern {
  std::vector<double> colour;  // per channel, in [0.25, 0.75]
  double fx = 0, fy = 0;       // grating frequency (radians per pixel) along x and y
  double phase = 0;
};

}  // namespace

std::shared_ptr<TensorImageSource> make_synthetic_source(const SyntheticConfig& config, bool train) {
  NAS_CHECK(config.shape.size() == 3, "synthetic data: expected an image shape {{C, H, W}}, found {} values",
            config.shape.size());
  const int64_t C = config.shape[0], H = config.shape[1], W = config.shape[2];
  NAS_CHECK(C >= 1 && C <= 4 && H >= 1 && W >= 1 && H <= 512 && W <= 512,
            "synthetic data: expected 1..4 channels and sides 1..512, found [{}, {}, {}]", C, H, W);
  NAS_CHECK(config.size >= 1 && config.size * C * H * W <= (int64_t(1) << 31),
            "synthetic data: expected 1 sample or more (and under 2^31 pixels), found {}", config.size);
  NAS_CHECK(config.num_classes >= 2 && config.num_classes <= 1000,
            "synthetic data: expected 2..1000 classes, found {}", config.num_classes);
  NAS_CHECK(config.noise >= 0 && config.noise <= 1, "synthetic data: expected noise in [0, 1], found {}",
            config.noise);

  // Class patterns: from the seed alone, so every split shares them.
  const double pi = std::acos(-1.0);
  Rng pattern_rng(mix64(config.seed ^ 0x9a77e4dULL));
  std::vector<ClassPattern> patterns(static_cast<size_t>(config.num_classes));
  for (int64_t c = 0; c < config.num_classes; ++c) {
    ClassPattern& p = patterns[static_cast<size_t>(c)];
    for (int64_t ch = 0; ch < C; ++ch) p.colour.push_back(pattern_rng.uniform(0.25, 0.75));
    // Orientations spread evenly over half a turn, so neighbouring classes differ.
    const double angle = pi * (static_cast<double>(c) + pattern_rng.uniform(0.0, 0.5)) /
                         static_cast<double>(config.num_classes);
    const double cycles = pattern_rng.uniform(1.5, 3.0);  // over the image side
    const double side = static_cast<double>(std::max(H, W));
    p.fx = 2 * pi * cycles * std::cos(angle) / side;
    p.fy = 2 * pi * cycles * std::sin(angle) / side;
    p.phase = pattern_rng.uniform(0.0, 2 * pi);
  }

  // Samples: balanced labels in a shuffled order, a small random phase shift (a translation of
  // the grating), a brightness offset and per-pixel noise.
  Rng rng(mix64(config.seed ^ (train ? 0x7a1eULL : 0x7e57ULL)));
  const int64_t n = config.size;
  std::vector<int64_t> label_order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) label_order[static_cast<size_t>(i)] = i % config.num_classes;
  rng.shuffle(label_order);

  torch::Tensor images = torch::empty({n, C, H, W}, torch::kUInt8);
  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  uint8_t* img = images.data_ptr<uint8_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = label_order[static_cast<size_t>(i)];
    lab[i] = label;
    const ClassPattern& p = patterns[static_cast<size_t>(label)];
    const double shift = rng.uniform(-pi / 4, pi / 4);
    const double offset = rng.uniform(-0.05, 0.05);
    for (int64_t ch = 0; ch < C; ++ch) {
      // Channels see the grating with alternating sign, so colour and pattern interact.
      const double sign = (ch % 2 == 0) ? 1.0 : -1.0;
      uint8_t* plane = img + ((i * C + ch) * H) * W;
      for (int64_t y = 0; y < H; ++y) {
        for (int64_t x = 0; x < W; ++x) {
          double v = p.colour[static_cast<size_t>(ch)] + offset +
                     sign * 0.2 * std::sin(p.fx * static_cast<double>(x) +
                                           p.fy * static_cast<double>(y) + p.phase + shift);
          if (config.noise > 0) v += rng.normal(0.0, config.noise);
          v = std::min(1.0, std::max(0.0, v));
          plane[y * W + x] = static_cast<uint8_t>(std::lround(v * 255.0));
        }
      }
    }
  }
  std::vector<double> mean, stddev;
  channel_stats(images, mean, stddev);
  return std::make_shared<TensorImageSource>(
      std::string("synthetic-") + (train ? "train" : "test"), images, labels, config.num_classes,
      mean, stddev);
}

}  // namespace nas
