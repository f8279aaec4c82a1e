#include "libnas/data/augment.h"

#include <algorithm>
#include <cmath>

#include "libnas/data/dataset.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {

namespace F = torch::nn::functional;

namespace {

// A per-sample parameter as [B, 1, 1, 1] on x's device, in x's dtype.
torch::Tensor per_sample(const torch::Tensor& v, const torch::Tensor& x) {
  return v.to(x.device(), x.scalar_type()).view({-1, 1, 1, 1});
}

void check_batch(const torch::Tensor& x, const torch::Tensor& param, const char* what) {
  NAS_CHECK(x.defined() && x.dim() == 4, "{}: expected images [B, C, H, W], found rank {}", what,
            x.defined() ? x.dim() : 0);
  NAS_CHECK(param.defined() && param.numel() == x.size(0),
            "{}: expected {} per-sample values, found {}", what, x.size(0),
            param.defined() ? param.numel() : 0);
}

// Luma (ITU-R 601) of RGB, the channel itself for one channel, the channel mean otherwise:
// [B, 1, H, W].
torch::Tensor grey(const torch::Tensor& x) {
  if (x.size(1) == 1) return x;
  if (x.size(1) == 3) {
    torch::Tensor w = torch::tensor({0.299, 0.587, 0.114}, x.options()).view({1, 3, 1, 1});
    return (x * w).sum(1, /*keepdim=*/true);
  }
  return x.mean(1, /*keepdim=*/true);
}

torch::Tensor host_int(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); }
torch::Tensor host_float(const std::vector<double>& v) {
  return torch::tensor(v, torch::kFloat64).to(torch::kFloat32);
}

// An independent stream per augmentation step, so enabling one step never changes the draws
// of another.
Rng step_rng(uint64_t seed, uint64_t step) { return Rng(mix64(seed ^ mix64(0xa5a5ULL + step))); }

// A random resized crop box (top, left, height, width) as torchvision draws it: ten tries of
// a random area fraction and log-uniform aspect ratio, then the centre crop of the nearest
// allowed aspect ratio.
void draw_box(Rng& rng, int64_t H, int64_t W, double min_scale, double max_scale, double* box) {
  const double area = static_cast<double>(H * W);
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(min_scale, max_scale);
    const double ratio = std::exp(rng.uniform(log_lo, log_hi));
    const int64_t w = std::llround(std::sqrt(target * ratio));
    const int64_t h = std::llround(std::sqrt(target / ratio));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      box[0] = static_cast<double>(rng.uniform_int(0, H - h));
      box[1] = static_cast<double>(rng.uniform_int(0, W - w));
      box[2] = static_cast<double>(h);
      box[3] = static_cast<double>(w);
      return;
    }
  }
  const double in_ratio = static_cast<double>(W) / static_cast<double>(H);
  int64_t w = W, h = H;
  if (in_ratio < 3.0 / 4.0) {
    h = std::min<int64_t>(H, std::llround(static_cast<double>(W) / (3.0 / 4.0)));
  } else if (in_ratio > 4.0 / 3.0) {
    w = std::min<int64_t>(W, std::llround(static_cast<double>(H) * (4.0 / 3.0)));
  }
  box[0] = static_cast<double>((H - h) / 2);
  box[1] = static_cast<double>((W - w) / 2);
  box[2] = static_cast<double>(h);
  box[3] = static_cast<double>(w);
}

}  // namespace

// ---- building blocks ---------------------------------------------------------------------

torch::Tensor crop_with_padding(const torch::Tensor& x, int64_t padding, const torch::Tensor& dy,
                                const torch::Tensor& dx) {
  check_batch(x, dy, "random crop");
  check_batch(x, dx, "random crop");
  NAS_CHECK(padding >= 0, "random crop: padding must be >= 0, found {}", padding);
  if (padding == 0) return x;
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  torch::Tensor padded = torch::constant_pad_nd(x, {padding, padding, padding, padding}, 0);
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
  torch::Tensor oy = dy.to(opts).clamp(0, 2 * padding).view({B, 1});
  torch::Tensor ox = dx.to(opts).clamp(0, 2 * padding).view({B, 1});
  torch::Tensor rows = oy + torch::arange(H, opts).view({1, H});  // [B, H]
  torch::Tensor cols = ox + torch::arange(W, opts).view({1, W});  // [B, W]
  torch::Tensor r = padded.gather(2, rows.view({B, 1, H, 1}).expand({B, C, H, W + 2 * padding}));
  return r.gather(3, cols.view({B, 1, 1, W}).expand({B, C, H, W}));
}

torch::Tensor flip_where(const torch::Tensor& x, const torch::Tensor& flags) {
  check_batch(x, flags, "flip");
  torch::Tensor m = flags.to(x.device(), torch::kBool).view({-1, 1, 1, 1});
  return torch::where(m, x.flip({3}), x);
}

torch::Tensor apply_cutout(const torch::Tensor& x, const torch::Tensor& cy, const torch::Tensor& cx,
                           int64_t size) {
  check_batch(x, cy, "cutout");
  check_batch(x, cx, "cutout");
  NAS_CHECK(size >= 0, "cutout: size must be >= 0, found {}", size);
  if (size == 0) return x;
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  const int64_t half = size / 2;
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
  torch::Tensor y = cy.to(opts).view({B, 1});
  torch::Tensor xc = cx.to(opts).view({B, 1});
  torch::Tensor ys = torch::arange(H, opts).view({1, H});
  torch::Tensor xs = torch::arange(W, opts).view({1, W});
  // Comparing with unclipped bounds is the same as clipping them at the border.
  torch::Tensor in_y = (ys >= y - half) & (ys < y + half);   // [B, H]
  torch::Tensor in_x = (xs >= xc - half) & (xs < xc + half);  // [B, W]
  torch::Tensor mask = in_y.view({B, 1, H, 1}) & in_x.view({B, 1, 1, W});
  return x.masked_fill(mask, 0.0);
}

torch::Tensor resized_crop(const torch::Tensor& x, const torch::Tensor& boxes, int64_t out) {
  NAS_CHECK(x.defined() && x.dim() == 4, "resized crop: expected images [B, C, H, W]");
  NAS_CHECK(boxes.dim() == 2 && boxes.size(0) == x.size(0) && boxes.size(1) == 4,
            "resized crop: expected boxes [{}, 4], found {} values", x.size(0), boxes.numel());
  NAS_CHECK(out >= 1, "resized crop: output side must be >= 1, found {}", out);
  const int64_t B = x.size(0), C = x.size(1);
  const double H = static_cast<double>(x.size(2)), W = static_cast<double>(x.size(3));
  // The affine map from output to input in normalised coordinates ([-1, 1] spans the pixel
  // edges with align_corners = false): input = scale * output + shift on each axis.
  torch::Tensor b = boxes.to(torch::kCPU, torch::kFloat64);
  torch::Tensor top = b.select(1, 0), left = b.select(1, 1), h = b.select(1, 2), w = b.select(1, 3);
  torch::Tensor zero = torch::zeros_like(top);
  torch::Tensor row0 = torch::stack({w / W, zero, (2 * left + w) / W - 1}, 1);
  torch::Tensor row1 = torch::stack({zero, h / H, (2 * top + h) / H - 1}, 1);
  torch::Tensor theta = torch::stack({row0, row1}, 1).to(x.device(), x.scalar_type());  // [B, 2, 3]
  torch::Tensor grid = F::affine_grid(theta, {B, C, out, out}, /*align_corners=*/false);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kBorder)
                            .align_corners(false));
}

torch::Tensor adjust_brightness(const torch::Tensor& x, const torch::Tensor& factor) {
  check_batch(x, factor, "brightness");
  return (x * per_sample(factor, x)).clamp(0.0, 1.0);
}

torch::Tensor adjust_contrast(const torch::Tensor& x, const torch::Tensor& factor) {
  check_batch(x, factor, "contrast");
  torch::Tensor f = per_sample(factor, x);
  torch::Tensor m = grey(x).mean({1, 2, 3}, /*keepdim=*/true);
  return (f * x + (1 - f) * m).clamp(0.0, 1.0);
}

torch::Tensor adjust_saturation(const torch::Tensor& x, const torch::Tensor& factor) {
  check_batch(x, factor, "saturation");
  if (x.size(1) == 1) return x;
  torch::Tensor f = per_sample(factor, x);
  return (f * x + (1 - f) * grey(x)).clamp(0.0, 1.0);
}

torch::Tensor adjust_hue(const torch::Tensor& x, const torch::Tensor& shift) {
  check_batch(x, shift, "hue");
  if (x.size(1) != 3) return x;  // hue is undefined without three colour channels
  torch::Tensor r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  torch::Tensor maxc = std::get<0>(x.max(1)), minc = std::get<0>(x.min(1));
  torch::Tensor delta = maxc - minc;
  torch::Tensor has_hue = delta > 0;
  torch::Tensor safe = torch::where(has_hue, delta, torch::ones_like(delta));
  torch::Tensor sat = torch::where(maxc > 0, delta / maxc.clamp_min(1e-12), torch::zeros_like(delta));
  torch::Tensor h_r = ((g - b) / safe).remainder(6.0);
  torch::Tensor h_g = (b - r) / safe + 2.0;
  torch::Tensor h_b = (r - g) / safe + 4.0;
  torch::Tensor h6 = torch::where(maxc == r, h_r, torch::where(maxc == g, h_g, h_b));
  h6 = torch::where(has_hue, h6, torch::zeros_like(h6));
  torch::Tensor s6 = shift.to(x.device(), x.scalar_type()).view({-1, 1, 1}) * 6.0;
  h6 = (h6 + s6).remainder(6.0);
  // HSV to RGB: channel n in {5, 3, 1} (R, G, B) is v - v s clamp(min(k, 4 - k), 0, 1) with
  // k = (n + 6h) mod 6.
  auto channel = [&](double n) {
    torch::Tensor k = (h6 + n).remainder(6.0);
    return maxc - maxc * sat * torch::min(k, 4.0 - k).clamp(0.0, 1.0);
  };
  return torch::stack({channel(5.0), channel(3.0), channel(1.0)}, 1).clamp(0.0, 1.0);
}

// ---- presets and seeds -------------------------------------------------------------------

AugmentConfig default_augment(const std::string& dataset, int64_t cutout) {
  const std::string name = canonical_image_source_name(dataset);
  AugmentConfig c;
  if (name == "cifar10" || name == "cifar100") {
    c.cutout = cutout;
  } else if (name == "fashion-mnist") {
    c.cutout = 0;
  } else if (name == "imagenet") {
    c.crop_padding = 0;
    c.resized_crop = 224;
    c.brightness = c.contrast = c.saturation = 0.4;
    c.hue = 0.2;
  } else {
    // The synthetic classes differ by grating orientation, which a mirror image would change.
    c.crop_padding = 2;
    c.flip = false;
  }
  return c;
}

uint64_t augment_seed(uint64_t run_seed, int64_t epoch, int64_t batch) {
  return mix64(mix64(mix64(run_seed ^ 0xa06e47ULL) + static_cast<uint64_t>(epoch)) +
               static_cast<uint64_t>(batch));
}

// ---- Augmenter -----------------------------------------------------------------------------

void AugmentConfig::validate() const {
  NAS_CHECK(crop_padding >= 0, "augmentation: crop_padding must be >= 0, found {}", crop_padding);
  NAS_CHECK(cutout >= 0, "augmentation: cutout must be >= 0, found {}", cutout);
  NAS_CHECK(resized_crop >= 0, "augmentation: resized_crop must be >= 0, found {}", resized_crop);
  NAS_CHECK(min_scale > 0 && min_scale <= max_scale && max_scale <= 1,
            "augmentation: expected 0 < min_scale <= max_scale <= 1, found {} and {}", min_scale,
            max_scale);
  NAS_CHECK(brightness >= 0 && contrast >= 0 && saturation >= 0,
            "augmentation: colour jitter strengths must be >= 0, found {}, {}, {}", brightness,
            contrast, saturation);
  NAS_CHECK(hue >= 0 && hue <= 0.5, "augmentation: hue must be in [0, 0.5], found {}", hue);
}

Augmenter::Augmenter(AugmentConfig config, std::vector<double> mean, std::vector<double> stddev,
                     torch::Device device)
    : config_(config), device_(device) {
  const AugmentConfig& c = config_;
  NAS_CHECK(!mean.empty() && mean.size() == stddev.size(),
            "augmentation: expected one mean and one std per channel, found {} and {}", mean.size(),
            stddev.size());
  for (double s : stddev) NAS_CHECK(s > 0, "augmentation: channel std must be > 0, found {}", s);
  c.validate();
  const int64_t channels = static_cast<int64_t>(mean.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  mean_ = torch::tensor(mean, torch::kFloat64).to(opts).view({1, channels, 1, 1});
  std_ = torch::tensor(stddev, torch::kFloat64).to(opts).view({1, channels, 1, 1});
}

torch::Tensor Augmenter::to_unit(const torch::Tensor& images) const {
  NAS_CHECK(images.defined() && images.dim() == 4 && images.scalar_type() == torch::kUInt8,
            "augmentation: expected uint8 images [B, C, H, W], found {}",
            images.defined() ? std::string(c10::toString(images.scalar_type())) + " of rank " +
                                   std::to_string(images.dim())
                             : std::string("none"));
  NAS_CHECK(images.size(1) == mean_.size(1),
            "augmentation: expected {} channel(s) (from the data set's mean/std), found {}",
            mean_.size(1), images.size(1));
  return images.to(device_).to(torch::kFloat32).div_(255.0);
}

torch::Tensor Augmenter::normalise(const torch::Tensor& x) const { return (x - mean_) / std_; }

torch::Tensor Augmenter::eval(const torch::Tensor& images) const {
  return normalise(to_unit(images));
}

torch::Tensor Augmenter::train(const torch::Tensor& images, uint64_t seed) const {
  torch::Tensor x = to_unit(images);
  const AugmentConfig& c = config_;
  const int64_t B = x.size(0);
  if (B == 0) return normalise(x);

  if (c.resized_crop > 0) {
    Rng rng = step_rng(seed, 1);
    std::vector<double> boxes(static_cast<size_t>(B * 4));
    for (int64_t b = 0; b < B; ++b)
      draw_box(rng, x.size(2), x.size(3), c.min_scale, c.max_scale, boxes.data() + b * 4);
    x = resized_crop(x, torch::tensor(boxes, torch::kFloat64).view({B, 4}), c.resized_crop);
  }
  if (c.crop_padding > 0) {
    Rng rng = step_rng(seed, 2);
    std::vector<int64_t> dy(static_cast<size_t>(B)), dx(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      dy[static_cast<size_t>(b)] = rng.uniform_int(0, 2 * c.crop_padding);
      dx[static_cast<size_t>(b)] = rng.uniform_int(0, 2 * c.crop_padding);
    }
    x = crop_with_padding(x, c.crop_padding, host_int(dy), host_int(dx));
  }
  if (c.flip) {
    Rng rng = step_rng(seed, 3);
    std::vector<int64_t> flags(static_cast<size_t>(B));
    for (auto& f : flags) f = rng.bernoulli(0.5) ? 1 : 0;
    x = flip_where(x, host_int(flags));
  }
  if (c.brightness > 0 || c.contrast > 0 || c.saturation > 0 || c.hue > 0) {
    // One random order of the four adjustments per batch, each with per-sample factors.
    Rng rng = step_rng(seed, 4);
    std::vector<int64_t> order = {0, 1, 2, 3};
    rng.shuffle(order);
    const double strength[4] = {c.brightness, c.contrast, c.saturation, c.hue};
    std::vector<double> factors[4];
    for (int op = 0; op < 4; ++op) {
      const double s = strength[op];
      for (int64_t b = 0; b < B; ++b) {
        factors[op].push_back(op == 3 ? rng.uniform(-s, s) : rng.uniform(std::max(0.0, 1 - s), 1 + s));
      }
    }
    for (int64_t op : order) {
      if (strength[op] <= 0) continue;
      torch::Tensor f = host_float(factors[op]);
      if (op == 0) x = adjust_brightness(x, f);
      if (op == 1) x = adjust_contrast(x, f);
      if (op == 2) x = adjust_saturation(x, f);
      if (op == 3) x = adjust_hue(x, f);
    }
  }
  x = normalise(x);
  if (c.cutout > 0) {
    Rng rng = step_rng(seed, 5);
    std::vector<int64_t> cy(static_cast<size_t>(B)), cx(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      cy[static_cast<size_t>(b)] = rng.uniform_int(0, x.size(2) - 1);
      cx[static_cast<size_t>(b)] = rng.uniform_int(0, x.size(3) - 1);
    }
    x = apply_cutout(x, host_int(cy), host_int(cx), c.cutout);
  }
  return x;
}

}  // namespace nas
