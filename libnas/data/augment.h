// Data augmentation on batched tensors on the training device.
//
// Training: uint8 -> float [0, 1], then (each step when enabled, per-sample random parameters)
// random resized crop, random crop with zero padding, horizontal flip, colour jitter,
// normalisation by the source's mean/std, and cutout (zero in normalised space, so after
// normalisation, as the NAO/DARTS recipe does). Evaluation: float [0, 1] and normalisation only.
//
// Reproducibility: every random draw of train() comes from the `seed` argument alone (through
// nas::Rng, on the host, so CPU and CUDA runs draw the same parameters). A trainer passes
// augment_seed(run_seed, epoch, batch_index): a run resumed at any epoch or batch then
// augments exactly as the uninterrupted run did, with no generator state to checkpoint.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

struct AugmentConfig {
  int64_t crop_padding = 4;  // random crop of the input size after zero padding (0 = off)
  bool flip = true;          // horizontal flip with probability 1/2
  int64_t cutout = 0;        // side of the cutout square (0 = off; the CIFAR recipe uses 16)
  // Random resized crop to `resized_crop` x `resized_crop` (0 = off; ImageNet: 224): a box of
  // area fraction in [min_scale, max_scale] and aspect ratio in [3/4, 4/3], resized bilinearly.
  int64_t resized_crop = 0;
  double min_scale = 0.08;
  double max_scale = 1.0;
  // Colour jitter (ImageNet: 0.4, 0.4, 0.4, 0.2): factors drawn per sample from
  // [1 - x, 1 + x] (hue: a shift in [-x, x] turns), applied in a random order per batch.
  double brightness = 0;
  double contrast = 0;
  double saturation = 0;
  double hue = 0;

  template <class V>
  void fields(V& v) {
    v("crop_padding", crop_padding, "zero padding of the random crop (0 = no crop)");
    v("flip", flip, "random horizontal flip");
    v("cutout", cutout, "cutout square side, applied after normalisation (0 = off)");
    v("resized_crop", resized_crop, "random resized crop output side (0 = off)");
    v("min_scale", min_scale, "smallest area fraction of the random resized crop");
    v("max_scale", max_scale, "largest area fraction of the random resized crop");
    v("brightness", brightness, "colour jitter: brightness");
    v("contrast", contrast, "colour jitter: contrast");
    v("saturation", saturation, "colour jitter: saturation");
    v("hue", hue, "colour jitter: hue shift (<= 0.5)");
  }
  // nas::Error for negative sizes, a scale range outside (0, 1], negative jitter or hue > 0.5.
  void validate() const;
};

// The recipe of a data set: cifar10/cifar100: crop 4, flip, cutout `cutout`; fashion-mnist:
// crop 4 (28x28 images), flip, no cutout; imagenet: random resized crop 224, flip, jitter
// (0.4, 0.4, 0.4, 0.2); synthetic: crop 4, flip. nas::Error for an unknown name.
AugmentConfig default_augment(const std::string& dataset, int64_t cutout = 16);

// The seed of the augmentation of batch `batch` of epoch `epoch` in a run seeded `run_seed`.
uint64_t augment_seed(uint64_t run_seed, int64_t epoch, int64_t batch);

class Augmenter {
 public:
  // mean/stddev: per channel, of pixels in [0, 1] (ImageSource::mean/stddev). nas::Error for
  // invalid settings (negative sizes, a scale range outside (0, 1], hue > 0.5, ...).
  Augmenter(AugmentConfig config, std::vector<double> mean, std::vector<double> stddev,
            torch::Device device = torch::kCPU);

  // Training transform of uint8 images [B, C, H, W] (any device; the result is float on the
  // augmenter's device). [B, C, S, S] with resized_crop = S, else [B, C, H, W].
  torch::Tensor train(const torch::Tensor& images, uint64_t seed) const;
  // Evaluation transform: float [0, 1] and normalisation only; deterministic.
  torch::Tensor eval(const torch::Tensor& images) const;

  const AugmentConfig& config() const { return config_; }

 private:
  torch::Tensor to_unit(const torch::Tensor& images) const;
  torch::Tensor normalise(const torch::Tensor& x) const;

  AugmentConfig config_;
  torch::Device device_;
  torch::Tensor mean_;  // [1, C, 1, 1] on device_
  torch::Tensor std_;
};

// The building blocks, with explicit per-sample parameters (host int64/float/bool tensors of
// length B, or on the images' device). x is float [B, C, H, W].

// Pads by `padding` zeros on every side and keeps the H x W window at (dy[b], dx[b]) of the
// padded image (offsets in [0, 2 * padding]; padding, padding is the identity).
torch::Tensor crop_with_padding(const torch::Tensor& x, int64_t padding, const torch::Tensor& dy,
                                const torch::Tensor& dx);
// Mirrors the samples whose flag is set left to right.
torch::Tensor flip_where(const torch::Tensor& x, const torch::Tensor& flags);
// Zeroes rows [cy - size/2, cy + size/2) x columns [cx - size/2, cx + size/2), clipped at the
// border, of each sample (centres anywhere in the image).
torch::Tensor apply_cutout(const torch::Tensor& x, const torch::Tensor& cy, const torch::Tensor& cx,
                           int64_t size);
// Crops boxes [B, 4] = (top, left, height, width) in pixels and resizes each to out x out
// (bilinear, pixel centres aligned as in torch's align_corners = false).
torch::Tensor resized_crop(const torch::Tensor& x, const torch::Tensor& boxes, int64_t out);
// Colour adjustments of images in [0, 1] with per-sample factors, results clamped to [0, 1]:
// brightness scales, contrast blends with the image's mean grey level, saturation with the
// pixel's grey level (factor 1 = unchanged); hue rotates by `shift` turns (0 = unchanged).
torch::Tensor adjust_brightness(const torch::Tensor& x, const torch::Tensor& factor);
torch::Tensor adjust_contrast(const torch::Tensor& x, const torch::Tensor& factor);
torch::Tensor adjust_saturation(const torch::Tensor& x, const torch::Tensor& factor);
torch::Tensor adjust_hue(const torch::Tensor& x, const torch::Tensor& shift);

}  // namespace nas
