// Augmentation on batched tensors: each building block with explicit parameters (crop offsets,
// flips, cutout boxes clipped at the border, resized crops, colour adjustments), the statistics
// of the random draws of the training transform, reproducibility from the seed, eval as plain
// normalisation, and the config struct.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "libnas/data/augment.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"

namespace nas {
namespace {

torch::Tensor i64(std::vector<int64_t> v) { return torch::tensor(v, torch::kInt64); }
torch::Tensor f32(std::vector<double> v) { return torch::tensor(v, torch::kFloat64).to(torch::kFloat32); }

TEST(Augment, EvalIsDeterministicNormalisation) {
  torch::manual_seed(0);
  torch::Tensor img = torch::randint(0, 256, {4, 3, 8, 8}, torch::kInt64).to(torch::kUInt8);
  const std::vector<double> mean = {0.49139968, 0.48215827, 0.44653124};
  const std::vector<double> std = {0.24703233, 0.24348505, 0.26158768};
  AugmentConfig cfg;
  cfg.cutout = 16;
  Augmenter aug(cfg, mean, std);
  torch::Tensor out = aug.eval(img);
  ASSERT_EQ(out.sizes(), img.sizes());
  EXPECT_EQ(out.scalar_type(), torch::kFloat32);
  torch::Tensor expected = (img.to(torch::kFloat64) / 255.0 - torch::tensor(mean).view({1, 3, 1, 1})) /
                           torch::tensor(std).view({1, 3, 1, 1});
  EXPECT_TRUE(torch::allclose(out.to(torch::kFloat64), expected, 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(out, aug.eval(img)));
}

TEST(Augment, CropWithPaddingOffsets) {
  torch::Tensor x = torch::arange(2 * 1 * 6 * 6, torch::kFloat32).view({2, 1, 6, 6}) + 1;
  // (p, p) is the identity; (0, 0) shifts the image down-right behind p rows/columns of zeros.
  torch::Tensor out = crop_with_padding(x, 2, i64({2, 0}), i64({2, 0}));
  EXPECT_TRUE(torch::equal(out[0], x[0]));
  EXPECT_TRUE(torch::all(out[1].slice(1, 0, 2) == 0).item<bool>());
  EXPECT_TRUE(torch::all(out[1].slice(2, 0, 2) == 0).item<bool>());
  EXPECT_TRUE(torch::equal(out[1].slice(1, 2, 6).slice(2, 2, 6), x[1].slice(1, 0, 4).slice(2, 0, 4)));
  // (2p, 0): shifted up by p and right by p.
  out = crop_with_padding(x, 2, i64({4, 4}), i64({0, 4}));
  EXPECT_TRUE(torch::equal(out[0].slice(1, 0, 4).slice(2, 2, 6), x[0].slice(1, 2, 6).slice(2, 0, 4)));
  EXPECT_TRUE(torch::all(out[0].slice(1, 4, 6) == 0).item<bool>());
  EXPECT_TRUE(torch::all(out[1].slice(2, 4, 6) == 0).item<bool>());
}

TEST(Augment, FlipOnlyFlaggedSamples) {
  torch::Tensor x = torch::arange(3 * 2 * 2 * 3, torch::kFloat32).view({3, 2, 2, 3});
  torch::Tensor out = flip_where(x, i64({1, 0, 1}));
  EXPECT_TRUE(torch::equal(out[0], x[0].flip({2})));
  EXPECT_TRUE(torch::equal(out[1], x[1]));
  EXPECT_EQ(out[2][1][0][0].item<float>(), x[2][1][0][2].item<float>());
}

TEST(Augment, CutoutClippedAtTheBorder) {
  torch::Tensor x = torch::ones({3, 2, 32, 32});
  torch::Tensor out = apply_cutout(x, i64({0, 16, 31}), i64({0, 16, 20}), 16);
  // Centre (0, 0): rows and columns [-8, 8) clipped to [0, 8).
  EXPECT_EQ((out[0] == 0).sum().item<int64_t>(), 2 * 8 * 8);
  EXPECT_TRUE(torch::all(out[0].slice(1, 0, 8).slice(2, 0, 8) == 0).item<bool>());
  // Centre (16, 16): the full 16 x 16 square [8, 24).
  EXPECT_EQ((out[1] == 0).sum().item<int64_t>(), 2 * 16 * 16);
  EXPECT_TRUE(torch::all(out[1].slice(1, 8, 24).slice(2, 8, 24) == 0).item<bool>());
  // Centre (31, 20): rows [23, 32) x columns [12, 28).
  EXPECT_EQ((out[2] == 0).sum().item<int64_t>(), 2 * 9 * 16);
  EXPECT_TRUE(torch::all(out[2].slice(1, 23, 32).slice(2, 12, 28) == 0).item<bool>());
  EXPECT_TRUE(torch::equal(apply_cutout(x, i64({1, 2, 3}), i64({1, 2, 3}), 0), x));
}

// The CIFAR recipe on white images with mean 0.5 and std 0.25: image pixels become 2, padding
// -2 and cutout 0, so each can be counted.
TEST(Augment, TrainingDrawStatistics) {
  const int64_t B = 450;
  torch::Tensor white = torch::full({B, 3, 32, 32}, 255, torch::kUInt8);
  AugmentConfig cfg;  // crop 4, flip
  cfg.cutout = 16;
  Augmenter aug(cfg, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25});
  torch::Tensor out = aug.train(white, 11);
  ASSERT_EQ(out.sizes(), white.sizes());
  EXPECT_TRUE(torch::all((out == 2) | (out == -2) | (out == 0)).item<bool>());
  // Cutout area: the expected clipped area is E[len]^2 with len(c) = min(c + 8, 32) - max(c - 8, 0).
  double mean_len = 0;
  for (int c = 0; c < 32; ++c) mean_len += std::min(c + 8, 32) - std::max(c - 8, 0);
  mean_len /= 32;
  torch::Tensor area = (out.select(1, 0) == 0).sum({1, 2}).to(torch::kFloat64);
  EXPECT_NEAR(area.mean().item<double>(), mean_len * mean_len, 0.06 * mean_len * mean_len);
  EXPECT_LE(area.max().item<double>(), 256);
  EXPECT_GE(area.min().item<double>(), 64);
  // Same on every channel.
  EXPECT_TRUE(torch::equal(out.select(1, 0) == 0, out.select(1, 2) == 0));

  // Crop offsets: from the zero rows at the top (t) and bottom (b), dy = 4 - t + b; every
  // offset 0..8 occurs, about uniformly.
  cfg.cutout = 0;
  cfg.flip = false;
  out = Augmenter(cfg, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}).train(white, 12).select(1, 0);
  torch::Tensor pad_row = torch::all(out == -2, /*dim=*/2);  // [B, 32]
  std::vector<int> hist(9, 0);
  for (int64_t i = 0; i < B; ++i) {
    int top = 0, bottom = 0;
    while (top < 32 && pad_row[i][top].item<bool>()) ++top;
    while (bottom < 32 && pad_row[i][31 - bottom].item<bool>()) ++bottom;
    ASSERT_TRUE(top == 0 || bottom == 0);
    const int dy = 4 - top + bottom;
    ASSERT_GE(dy, 0);
    ASSERT_LE(dy, 8);
    hist[static_cast<size_t>(dy)]++;
  }
  for (int dy = 0; dy <= 8; ++dy) EXPECT_GT(hist[static_cast<size_t>(dy)], 25) << "offset " << dy;

  // Flips: half of a left-white / right-black batch comes out mirrored.
  torch::Tensor half = torch::zeros({B, 1, 8, 8}, torch::kUInt8);
  half.slice(3, 0, 4).fill_(255);
  AugmentConfig flip_only;
  flip_only.crop_padding = 0;
  out = Augmenter(flip_only, {0.0}, {1.0}).train(half, 13);
  torch::Tensor flipped = out.select(1, 0).select(1, 0).select(1, 0) == 0;  // pixel (0, 0) black
  const double rate = flipped.to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(rate, 0.4);
  EXPECT_LT(rate, 0.6);
  torch::Tensor expect = torch::where(flipped.view({B, 1, 1, 1}), half.flip({3}), half).to(torch::kFloat32) / 255;
  EXPECT_TRUE(torch::allclose(out, expect));
}

TEST(Augment, ReproducibleFromTheSeed) {
  torch::manual_seed(1);
  torch::Tensor img = torch::randint(0, 256, {16, 3, 32, 32}, torch::kInt64).to(torch::kUInt8);
  Augmenter aug(default_augment("cifar10"), {0.5, 0.5, 0.5}, {0.2, 0.2, 0.2});
  EXPECT_EQ(aug.config().cutout, 16);
  EXPECT_TRUE(torch::equal(aug.train(img, 5), aug.train(img, 5)));
  EXPECT_FALSE(torch::equal(aug.train(img, 5), aug.train(img, 6)));
  // The seeds of different batches and epochs differ; the same triple gives the same seed.
  EXPECT_EQ(augment_seed(1, 2, 3), augment_seed(1, 2, 3));
  EXPECT_NE(augment_seed(1, 2, 3), augment_seed(1, 3, 2));
  EXPECT_NE(augment_seed(1, 2, 3), augment_seed(2, 2, 3));
  EXPECT_NE(augment_seed(1, 0, 0), augment_seed(1, 0, 1));
  // Enabling cutout leaves the crop and flip draws alone.
  AugmentConfig no_cut = default_augment("cifar10", 0);
  Augmenter plain(no_cut, {0.5, 0.5, 0.5}, {0.2, 0.2, 0.2});
  torch::Tensor with_cut = aug.train(img, 9), without = plain.train(img, 9);
  torch::Tensor differ = (with_cut != without).any(1);  // [B, H, W]: only the cut squares
  EXPECT_TRUE(torch::all(with_cut.masked_select(differ.unsqueeze(1).expand_as(with_cut)) == 0).item<bool>());
}

TEST(Augment, ResizedCrop) {
  torch::Tensor x = torch::arange(2 * 3 * 8 * 8, torch::kFloat32).view({2, 3, 8, 8});
  // The whole image at its own size, and a quadrant at its own size, are exact copies.
  torch::Tensor boxes = torch::tensor({0.0, 0.0, 8.0, 8.0, 4.0, 0.0, 4.0, 4.0}, torch::kFloat64).view({2, 4});
  torch::Tensor same = resized_crop(x, boxes, 8);
  EXPECT_TRUE(torch::allclose(same[0], x[0], 1e-4, 1e-3));
  torch::Tensor quad = resized_crop(x, boxes, 4);
  EXPECT_TRUE(torch::allclose(quad[1], x[1].slice(1, 4, 8).slice(2, 0, 4), 1e-4, 1e-3));
  // Upsampling the 2x2 box at the origin to 4x4: output pixel centres map to input centres
  // -0.25, 0.25, 0.75, 1.25 (x = 8 y + x here); the image border clamps, the box edge reads
  // the neighbouring pixels of the image.
  torch::Tensor up = resized_crop(x, torch::tensor({0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0}, torch::kFloat64).view({2, 4}), 4);
  EXPECT_NEAR(up[0][0][0][0].item<float>(), 0.f, 1e-4);
  EXPECT_NEAR(up[0][0][1][1].item<float>(), 0.25f * 9.f, 1e-4);
  EXPECT_NEAR(up[0][0][2][1].item<float>(), 0.75f * 8 + 0.25f, 1e-4);
  EXPECT_NEAR(up[0][0][3][3].item<float>(), 1.25f * 9.f, 1e-4);

  // The ImageNet recipe: shape, range, and different boxes per sample.
  AugmentConfig cfg = default_augment("imagenet");
  cfg.resized_crop = 24;
  Augmenter aug(cfg, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225});
  torch::manual_seed(2);
  torch::Tensor img = torch::randint(0, 256, {6, 3, 40, 40}, torch::kInt64).to(torch::kUInt8);
  torch::Tensor out = aug.train(img, 3);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{6, 3, 24, 24}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  torch::Tensor unit = out * f32({0.229, 0.224, 0.225}).view({1, 3, 1, 1}) +
                       f32({0.485, 0.456, 0.406}).view({1, 3, 1, 1});
  EXPECT_GE(unit.min().item<float>(), -1e-4);
  EXPECT_LE(unit.max().item<float>(), 1 + 1e-4);
  EXPECT_EQ(aug.eval(img).sizes(), img.sizes());
}

TEST(Augment, ColourAdjustments) {
  torch::manual_seed(3);
  torch::Tensor x = torch::rand({4, 3, 5, 5});
  torch::Tensor ones = torch::ones({4});
  EXPECT_TRUE(torch::allclose(adjust_brightness(x, ones), x));
  EXPECT_TRUE(torch::allclose(adjust_contrast(x, ones), x, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(adjust_saturation(x, ones), x, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(adjust_hue(x, torch::zeros({4})), x, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(adjust_hue(x, f32({1.0, -1.0, 1.0, 0.0})), x, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(adjust_brightness(x, f32({0.5, 1, 1, 1}))[0], x[0] * 0.5));
  // Saturation 0: grey (equal channels); contrast 0: every pixel the mean grey level.
  torch::Tensor grey = adjust_saturation(x, torch::zeros({4}));
  EXPECT_TRUE(torch::allclose(grey.select(1, 0), grey.select(1, 2), 1e-6, 1e-6));
  torch::Tensor flat = adjust_contrast(x, torch::zeros({4}));
  EXPECT_TRUE(torch::allclose(flat, flat.mean({1, 2, 3}, true).expand_as(flat), 1e-6, 1e-6));
  EXPECT_NEAR(flat[0][0][0][0].item<float>(), grey[0].mean().item<float>(), 1e-5);
  // Hue: a third of a turn takes red to green and green to blue.
  torch::Tensor rgb = torch::zeros({2, 3, 1, 1});
  rgb[0][0] = 1.0;  // red
  rgb[1][1] = 0.6;  // dark green
  torch::Tensor h = adjust_hue(rgb, f32({1.0 / 3, 1.0 / 3}));
  EXPECT_TRUE(torch::allclose(h[0].flatten(), f32({0, 1, 0}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(h[1].flatten(), f32({0, 0, 0.6}), 1e-5, 1e-5));
  // One channel: hue and saturation leave it alone.
  torch::Tensor g1 = torch::rand({2, 1, 3, 3});
  EXPECT_TRUE(torch::equal(adjust_hue(g1, f32({0.3, 0.1})), g1));
  EXPECT_TRUE(torch::equal(adjust_saturation(g1, f32({0.0, 2.0})), g1));
}

TEST(Augment, ConfigAndBadSettings) {
  AugmentConfig cfg;
  decode_config(parse_yaml("cutout: 16\nflip: false\nbrightness: 0.4", "augment"), cfg);
  EXPECT_EQ(cfg.cutout, 16);
  EXPECT_FALSE(cfg.flip);
  EXPECT_DOUBLE_EQ(cfg.brightness, 0.4);
  EXPECT_THROW(decode_config(parse_yaml("cutuot: 16", "augment"), cfg), Error);
  YAML::Node back = encode_config(cfg);
  EXPECT_EQ(back["cutout"].as<int>(), 16);

  AugmentConfig bad;
  bad.hue = 0.7;
  EXPECT_THROW(Augmenter(bad, {0.5}, {0.5}), Error);
  bad = AugmentConfig();
  bad.min_scale = 0;
  EXPECT_THROW(Augmenter(bad, {0.5}, {0.5}), Error);
  EXPECT_THROW(Augmenter(AugmentConfig(), {0.5}, {0.0}), Error);
  Augmenter aug(AugmentConfig(), {0.5, 0.5, 0.5}, {0.2, 0.2, 0.2});
  EXPECT_THROW(aug.train(torch::zeros({2, 1, 8, 8}, torch::kUInt8), 0), Error);  // 1 channel, 3 expected
  EXPECT_THROW(aug.eval(torch::zeros({2, 3, 8, 8})), Error);                     // float input
  EXPECT_THROW(default_augment("mnist"), Error);
  EXPECT_EQ(default_augment("fashion-mnist").cutout, 0);
  EXPECT_EQ(default_augment("imagenet").resized_crop, 224);
}

}  // namespace
}  // namespace nas
