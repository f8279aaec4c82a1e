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

std::vector<std::pair<std::string, torch::Tensor>> FlatAdam::state(const std::string& prefix) const {
  return {{prefix + "exp_avg", exp_avg_},
          {prefix + "exp_avg_sq", exp_avg_sq_},
          {prefix + "steps", torch::tensor(steps_, torch::kInt64)}};
}

void FlatAdam::load_state(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                          const std::string& prefix) {
  auto find = [&](const std::string& name) -> const torch::Tensor& {
    for (const auto& kv : tensors)
      if (kv.first == prefix + name) return kv.second;
    fail("adam state: tensor {} is missing", prefix + name);
  };
  torch::NoGradGuard no_grad;
  for (torch::Tensor* t : {&exp_avg_, &exp_avg_sq_}) {
    const torch::Tensor& src = find(t == &exp_avg_ ? "exp_avg" : "exp_avg_sq");
    NAS_CHECK(src.numel() == t->numel(), "adam state: {} has {} values, expected {}",
              prefix + (t == &exp_avg_ ? "exp_avg" : "exp_avg_sq"), src.numel(), t->numel());
    t->copy_(src.reshape_as(*t));
  }
  steps_ = find("steps").item<int64_t>();
}

}  // namespace nas
