#include "libnas/train/sgd.h"

#include "libnas/util/error.h"

namespace nas {

FlatSgd::FlatSgd(std::vector<torch::Tensor> params, SgdConfig config)
    : config_(config), flat_(std::move(params), "sgd") {
  NAS_CHECK(config.momentum >= 0.0 && config.momentum < 1.0,
            "sgd: expected momentum in [0, 1), found {}", config.momentum);
  NAS_CHECK(config.weight_decay >= 0.0, "sgd: expected weight_decay >= 0, found {}",
            config.weight_decay);
  NAS_CHECK(!config.nesterov || config.momentum > 0.0, "sgd: nesterov needs a momentum > 0");
  momentum_ = torch::zeros_like(flat_.values());
}

void FlatSgd::step(double lr) {
  torch::NoGradGuard no_grad;
  torch::Tensor d = flat_.grads();
  if (config_.weight_decay != 0.0) d = d.add(flat_.values(), config_.weight_decay);
  if (config_.momentum != 0.0) {
    if (!started_) {
      momentum_.copy_(d);
      started_ = true;
    } else {
      momentum_.mul_(config_.momentum).add_(d);
    }
    d = config_.nesterov ? d.add(momentum_, config_.momentum) : momentum_;
  }
  flat_.values().add_(d, -lr);
}

void FlatSgd::load_state(const torch::Tensor& momentum, bool started) {
  NAS_CHECK(momentum.numel() == momentum_.numel(),
            "sgd: checkpoint momentum has {} values, the network {} parameters", momentum.numel(),
            momentum_.numel());
  torch::NoGradGuard no_grad;
  momentum_.copy_(momentum.reshape({-1}));
  started_ = started;
}

}  // namespace nas
