// Dropout whose mask is cheap to draw on the CPU.
#pragma once

#include <torch/torch.h>

namespace nas {

// Inverted dropout, as torch::dropout: in training, each element is kept with probability 1 - p
// and scaled by 1 / (1 - p), else zeroed; the identity otherwise. On the CPU the mask comes from
// splitmix64 over a counter, seeded by one draw from LibTorch's default generator (so
// torch::manual_seed makes it reproducible), instead of a Bernoulli draw per element from the
// generator behind its lock, which made dropout the costliest operation of the graph
// generators' small layers. The keep test compares 16 random bits with (1 - p) 2^16 rounded, so
// p is exact for multiples of 2^-16 (0.5, 0.25, ...) and within 2^-17 otherwise. Other devices,
// p = 1 and non-float tensors go to torch::dropout. p outside [0, 1]: nas::Error.
torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training);

}  // namespace nas
