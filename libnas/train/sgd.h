// SGD with momentum (optionally Nesterov) and coupled weight decay, PyTorch's update rule,
// over parameters packed into one flat buffer (FlatParams).
//
//   FlatSgd sgd(net->parameters(), {0.9, false, 3e-4});
//   sgd.zero_grad();  loss.backward();  sgd.clip_grad_norm(5.0);  sgd.step(lr);
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "libnas/train/flat_params.h"

namespace nas {

struct SgdConfig {
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 3e-4;  // coupled L2, applied to every parameter (BN and biases too)

  template <class V>
  void fields(V& v) {
    v("momentum", momentum, "SGD momentum");
    v("nesterov", nesterov, "Nesterov momentum");
    v("weight_decay", weight_decay, "L2 weight decay (all parameters)");
  }
};

class FlatSgd {
 public:
  // nas::Error for momentum outside [0, 1), negative weight decay, Nesterov without momentum,
  // parameters of different dtypes or devices, or no parameters.
  FlatSgd(std::vector<torch::Tensor> params, SgdConfig config);

  // Zeroes every gradient (one fill of the flat gradient buffer).
  void zero_grad() { flat_.zero_grad(); }
  // See FlatParams::clip_grad_norm.
  torch::Tensor clip_grad_norm(double max_norm) { return flat_.clip_grad_norm(max_norm); }
  // p -= lr * (momentum-averaged (g + weight_decay * p)); the first step starts the momentum
  // buffer at the gradient, as PyTorch does.
  void step(double lr);

  // Momentum buffer (flat) and whether it has started, for checkpoints.
  const torch::Tensor& momentum_buffer() const { return momentum_; }
  bool started() const { return started_; }
  // Restores what momentum_buffer()/started() returned; nas::Error on a size mismatch.
  void load_state(const torch::Tensor& momentum, bool started);

  const SgdConfig& config() const { return config_; }
  int64_t numel() const { return flat_.numel(); }

 private:
  SgdConfig config_;
  FlatParams flat_;
  torch::Tensor momentum_;
  bool started_ = false;
};

}  // namespace nas
