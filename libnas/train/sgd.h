// SGD with momentum (optionally Nesterov) and coupled weight decay, PyTorch's update rule,
// over parameters packed into one flat buffer: the whole update, the gradient norm and the
// clipping are a handful of tensor operations instead of several per parameter tensor.
//
//   FlatSgd sgd(net->parameters(), {0.9, false, 3e-4});
//   sgd.zero_grad();  loss.backward();  sgd.clip_grad_norm(5.0);  sgd.step(lr);
//
// The parameters (and their gradients) become views into the flat buffers, so they keep their
// identity for the module; write them with copy_ (or load_state), never by reassigning data.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

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
  void zero_grad();
  // Scales the gradients so their global L2 norm is at most max_norm (as clip_grad_norm_
  // does, without a host synchronisation). Returns the norm before clipping, as a 0-dim tensor.
  torch::Tensor clip_grad_norm(double max_norm);
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
  std::vector<torch::Tensor> params_;
  torch::Tensor flat_, grad_, momentum_;
  bool started_ = false;
};

}  // namespace nas
