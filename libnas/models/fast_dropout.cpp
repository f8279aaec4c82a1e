#include "libnas/models/fast_dropout.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {

namespace {

// Four keep decisions per 64-bit draw: element i keeps when its 16 bits are below keep_below.
template <typename T>
void fill_mask(T* mask, int64_t n, uint64_t seed, uint32_t keep_below, T scale) {
  constexpr uint64_t kStep = 0x9e3779b97f4a7c15ULL;
  for (int64_t i = 0; i < n; i += 4) {
    const uint64_t r = mix64(seed + static_cast<uint64_t>(i / 4) * kStep);
    const int64_t len = std::min<int64_t>(4, n - i);
    for (int64_t j = 0; j < len; ++j)
      mask[i + j] = scale * static_cast<T>(((r >> (16 * j)) & 0xffffU) < keep_below);
  }
}

}  // namespace

torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training) {
  NAS_CHECK(p >= 0 && p <= 1, "fast_dropout: expected a probability in [0, 1], found {}", p);
  if (!training || p == 0) return x;
  const auto type = x.scalar_type();
  if (!x.device().is_cpu() || p == 1 || (type != torch::kFloat32 && type != torch::kFloat64))
    return torch::dropout(x, p, training);
  uint64_t seed = 0;
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
  }
  const auto keep_below = static_cast<uint32_t>(std::lround(std::ldexp(1.0 - p, 16)));
  torch::Tensor mask = torch::empty(x.sizes(), x.options().requires_grad(false));
  if (type == torch::kFloat32)
    fill_mask(mask.data_ptr<float>(), mask.numel(), seed, keep_below,
              static_cast<float>(1.0 / (1.0 - p)));
  else
    fill_mask(mask.data_ptr<double>(), mask.numel(), seed, keep_below, 1.0 / (1.0 - p));
  return x * mask;
}

}  // namespace nas
