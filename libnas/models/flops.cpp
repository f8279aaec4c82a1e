#include "libnas/models/flops.h"

#include "libnas/util/error.h"

namespace nas {

namespace {
thread_local bool g_counting = false;
thread_local double g_total = 0.0;
}  // namespace

FlopScope::FlopScope() {
  NAS_CHECK(!g_counting, "FlopScope: scopes do not nest");
  g_counting = true;
  g_total = 0.0;
}

FlopScope::~FlopScope() { g_counting = false; }

double FlopScope::total() const { return g_total; }

bool counting_flops() { return g_counting; }

void add_flops(double n) {
  if (g_counting) g_total += n;
}

torch::Tensor counted(torch::nn::Conv2d& conv, const torch::Tensor& x) {
  torch::Tensor y = conv->forward(x);
  if (g_counting) {
    const auto& o = conv->options;
    const auto& k = *o.kernel_size();
    const double per_out = static_cast<double>(k[0] * k[1]) *
                           static_cast<double>(o.in_channels() / o.groups()) *
                           static_cast<double>(o.out_channels());
    g_total += per_out * static_cast<double>(y.size(-1) * y.size(-2));
  }
  return y;
}

torch::Tensor counted(torch::nn::Linear& linear, const torch::Tensor& x) {
  torch::Tensor y = linear->forward(x);
  if (g_counting) {
    const auto& o = linear->options;
    g_total += static_cast<double>(o.in_features() * o.out_features() + o.out_features());
  }
  return y;
}

}  // namespace nas
