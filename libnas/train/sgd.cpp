#include "libnas/train/sgd.h"

#include "libnas/util/error.h"

namespace nas {

FlatSgd::FlatSgd(std::vector<torch::Tensor> params, SgdConfig config)
    : config_(config), params_(std::move(params)) {
  NAS_CHECK(config.momentum >= 0.0 && config.momentum < 1.0,
            "sgd: expected momentum in [0, 1), found {}", config.momentum);
  NAS_CHECK(config.weight_decay >= 0.0, "sgd: expected weight_decay >= 0, found {}",
            config.weight_decay);
  NAS_CHECK(!config.nesterov || config.momentum > 0.0, "sgd: nesterov needs a momentum > 0");
  NAS_CHECK(!params_.empty(), "sgd: the network has no trainable parameters");
  int64_t total = 0;
  for (const auto& p : params_) {
    NAS_CHECK(p.scalar_type() == params_[0].scalar_type() && p.device() == params_[0].device(),
              "sgd: expected every parameter on one device with one dtype");
    total += p.numel();
  }
  const auto options = params_[0].options().requires_grad(false);
  flat_ = torch::empty({total}, options);
  grad_ = torch::zeros({total}, options);
  momentum_ = torch::zeros({total}, options);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : params_) {
    const int64_t n = p.numel();
    // Each view keeps its parameter's strides (channels-last convolution weights stay so).
    NAS_CHECK(p.is_non_overlapping_and_dense(),
              "sgd: expected dense parameters (no expanded or overlapping strides)");
    torch::Tensor view = flat_.as_strided(p.sizes(), p.strides(), offset);
    view.copy_(p);
    p.set_data(view);
    // Autograd accumulates into a defined gradient in place, so the gradients stay views too.
    p.mutable_grad() = grad_.as_strided(p.sizes(), p.strides(), offset);
    offset += n;
  }
}

void FlatSgd::zero_grad() { grad_.zero_(); }

torch::Tensor FlatSgd::clip_grad_norm(double max_norm) {
  NAS_CHECK(max_norm > 0.0, "sgd: expected a positive gradient clipping norm, found {}", max_norm);
  torch::NoGradGuard no_grad;
  torch::Tensor norm = grad_.norm(2);
  // Like clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below one.
  grad_.mul_((max_norm / (norm + 1e-6)).clamp_max(1.0));
  return norm;
}

void FlatSgd::step(double lr) {
  torch::NoGradGuard no_grad;
  torch::Tensor d = grad_;
  if (config_.weight_decay != 0.0) d = d.add(flat_, config_.weight_decay);
  if (config_.momentum != 0.0) {
    if (!started_) {
      momentum_.copy_(d);
      started_ = true;
    } else {
      momentum_.mul_(config_.momentum).add_(d);
    }
    d = config_.nesterov ? d.add(momentum_, config_.momentum) : momentum_;
  }
  flat_.add_(d, -lr);
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
