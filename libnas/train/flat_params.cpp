#include "libnas/train/flat_params.h"

#include "libnas/util/error.h"

namespace nas {

FlatParams::FlatParams(std::vector<torch::Tensor> params, const std::string& what)
    : what_(what), params_(std::move(params)) {
  NAS_CHECK(!params_.empty(), "{}: the network has no trainable parameters", what_);
  int64_t total = 0;
  for (const auto& p : params_) {
    NAS_CHECK(p.scalar_type() == params_[0].scalar_type() && p.device() == params_[0].device(),
              "{}: expected every parameter on one device with one dtype", what_);
    NAS_CHECK(p.is_non_overlapping_and_dense(),
              "{}: expected dense parameters (no expanded or overlapping strides)", what_);
    total += p.numel();
  }
  const auto options = params_[0].options().requires_grad(false);
  flat_ = torch::empty({total}, options);
  grad_ = torch::zeros({total}, options);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : params_) {
    // Each view keeps its parameter's strides (channels-last convolution weights stay so).
    torch::Tensor view = flat_.as_strided(p.sizes(), p.strides(), offset);
    view.copy_(p);
    p.set_data(view);
    // Autograd accumulates into a defined gradient in place, so the gradients stay views too.
    p.mutable_grad() = grad_.as_strided(p.sizes(), p.strides(), offset);
    offset += p.numel();
  }
}

torch::Tensor FlatParams::clip_grad_norm(double max_norm) {
  NAS_CHECK(max_norm > 0.0, "{}: expected a positive gradient clipping norm, found {}", what_,
            max_norm);
  torch::NoGradGuard no_grad;
  torch::Tensor norm = grad_.norm(2);
  // Like clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below one.
  grad_.mul_((max_norm / (norm + 1e-6)).clamp_max(1.0));
  return norm;
}

}  // namespace nas
