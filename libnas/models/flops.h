// FLOP counting. LibTorch's C++ API has no forward hooks, so nasgen's layers report their own
// work: inside a FlopScope, every conv and linear forward of our ops adds its count.
// Convention (NAS-Bench-201's): a conv counts H_out * W_out * k_h * k_w * C_in/groups * C_out
// (no bias term); a linear counts in * out + out; pooling, BN, activations and additions count
// nothing.
#pragma once

#include <torch/torch.h>

namespace nas {

// Counts while alive (per thread); scopes do not nest.
class FlopScope {
 public:
  FlopScope();
  ~FlopScope();
  double total() const;
  FlopScope(const FlopScope&) = delete;
  FlopScope& operator=(const FlopScope&) = delete;
};

bool counting_flops();
void add_flops(double n);

// Runs the conv (or linear) and, when counting, adds its FLOPs for output y. Use these in every
// op instead of calling conv->forward directly.
torch::Tensor counted(torch::nn::Conv2d& conv, const torch::Tensor& x);
torch::Tensor counted(torch::nn::Linear& linear, const torch::Tensor& x);

}  // namespace nas
