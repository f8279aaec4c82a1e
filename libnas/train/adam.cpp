#include "libnas/train/adam.h"

#include <cmath>

#include "libnas/util/error.h"

namespace nas {

FlatAdam::FlatAdam(std::vector<torch::Tensor> params, AdamConfig config)
    : config_(config), flat_(std::move(params), "adam") {
  NAS_CHECK(config.lr > 0.0, "adam: expected a positive lr, found {}", config.lr);
  NAS_CHECK(config.eps > 0.0, "adam: expected a positive eps, found {}", config.eps);
  NAS_CHECK(config.beta1 >= 0.0 && config.beta1 < 1.0 && config.beta2 >= 0.0 && config.beta2 < 1.0,
            "adam: expected betas in [0, 1), found {} and {}", config.beta1, config.beta2);
  NAS_CHECK(config.weight_decay >= 0.0, "adam: expected weight_decay >= 0, found {}",
            config.weight_decay);
  exp_avg_ = torch::zeros_like(flat_.values());
  exp_avg_sq_ = torch::zeros_like(flat_.values());
}

void FlatAdam::step() {
  torch::NoGradGuard no_grad;
  ++steps_;
  torch::Tensor g = flat_.grads();
  if (config_.weight_decay != 0.0) g = g.add(flat_.values(), config_.weight_decay);
  exp_avg_.mul_(config_.beta1).add_(g, 1.0 - config_.beta1);
  exp_avg_sq_.mul_(config_.beta2).addcmul_(g, g, 1.0 - config_.beta2);
  const double t = static_cast<double>(steps_);
  const double correction1 = 1.0 - std::pow(config_.beta1, t);
  const double correction2 = 1.0 - std::pow(config_.beta2, t);
  // PyTorch's order of operations: denom = sqrt(v) / sqrt(c2) + eps; p -= lr / c1 * m / denom.
  torch::Tensor denom = exp_avg_sq_.sqrt().div_(std::sqrt(correction2)).add_(config_.eps);
  flat_.values().addcdiv_(exp_avg_, denom, -config_.lr / correction1);
}

}  // namespace nas
