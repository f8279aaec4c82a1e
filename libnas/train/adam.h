// Adam with coupled L2 weight decay (PyTorch's torch.optim.Adam, amsgrad off) over parameters
// packed into one flat buffer (FlatParams): one update is a few tensor operations in all.
//
//   FlatAdam adam(model->parameters(), {1e-3, 0.9, 0.999, 1e-8, 1e-4});
//   adam.zero_grad();  loss.backward();  adam.clip_grad_norm(5.0);  adam.step();
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "libnas/train/flat_params.h"

namespace nas {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // coupled: added to the gradient before the moments
};

class FlatAdam {
 public:
  // nas::Error for a non-positive lr or eps, betas outside [0, 1), a negative weight decay or
  // no parameters.
  FlatAdam(std::vector<torch::Tensor> params, AdamConfig config);

  void zero_grad() { flat_.zero_grad(); }
  torch::Tensor clip_grad_norm(double max_norm) { return flat_.clip_grad_norm(max_norm); }
  // One Adam step with the configured learning rate.
  void step();

  int64_t steps() const { return steps_; }
  const AdamConfig& config() const { return config_; }
  int64_t numel() const { return flat_.numel(); }

  // The moments and the step count as named tensors (for checkpoints), and their inverse;
  // load_state gives nas::Error naming a missing or mis-shaped tensor.
  std::vector<std::pair<std::string, torch::Tensor>> state(const std::string& prefix) const;
  void load_state(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                  const std::string& prefix);

 private:
  AdamConfig config_;
  FlatParams flat_;
  torch::Tensor exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
};

}  // namespace nas
