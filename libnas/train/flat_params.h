// Parameters packed into one flat buffer, and their gradients into another, so an optimiser's
// whole update, the gradient norm and the clipping are a handful of tensor operations instead
// of several per parameter tensor (FlatSgd and FlatAdam build on it).
//
// The parameters (and their gradients) become views into the flat buffers, so they keep their
// identity for the module; write them with copy_ (or an optimiser's load_state), never by
// reassigning data.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace nas {

class FlatParams {
 public:
  // nas::Error (naming `what`) for no parameters, parameters of different dtypes or devices,
  // or parameters that are not dense.
  FlatParams(std::vector<torch::Tensor> params, const std::string& what);

  // Zeroes every gradient (one fill of the flat gradient buffer).
  void zero_grad() { grad_.zero_(); }
  // Scales the gradients so their global L2 norm is at most max_norm (as clip_grad_norm_
  // does, without a host synchronisation). Returns the norm before clipping, as a 0-dim tensor.
  torch::Tensor clip_grad_norm(double max_norm);

  torch::Tensor& values() { return flat_; }
  torch::Tensor& grads() { return grad_; }
  int64_t numel() const { return flat_.numel(); }
  const std::string& what() const { return what_; }

 private:
  std::string what_;
  std::vector<torch::Tensor> params_;
  torch::Tensor flat_, grad_;
};

}  // namespace nas
