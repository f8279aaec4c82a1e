// An LSTM layer that starts from precomputed input gates, for the NAO controller.
//
// The controller's LSTM inputs are embeddings of a tiny vocabulary, so x_t W_ih^T + b_ih is a
// row of a small table (embedding weight x W_ih^T) and never needs a matmul over B x T rows.
// What remains is the recurrence, which lstm_from_gates runs as one autograd node: per step one
// matmul h_{t-1} W_hh^T and one fused elementwise pass (CPU float32), and in the backward per
// step one fused pass and one matmul dgates W_hh, with dW_hh as a single matmul over all steps.
// Other devices and dtypes take an equivalent path built from ATen operations.
//
// Gate order and formulas are torch::nn::LSTM's (i, f, g, o):
//   gates = gates_x[:, t] + b_hh + h_{t-1} W_hh^T
//   c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),  h_t = sigmoid(o) tanh(c_t)
#pragma once

#include <torch/torch.h>

namespace nas::nao {

// outputs [B, T, H] = h_1..h_T of an LSTM layer, given the input gates gates_x [B, T, 4H]
// (x_t W_ih^T + b_ih; any strides with a contiguous last dimension), the initial state h0, c0
// [B, H], the recurrent weight w_hh [4H, H] and bias b_hh [4H]. Differentiable in all five
// tensors (first order); the gradient of gates_x is time-major ([T, B, 4H] seen as [B, T, 4H]),
// so gates gathered time-major get it without a copy. nas::Error on mismatched shapes.
torch::Tensor lstm_from_gates(const torch::Tensor& gates_x, const torch::Tensor& h0,
                              const torch::Tensor& c0, const torch::Tensor& w_hh,
                              const torch::Tensor& b_hh);

}  // namespace nas::nao
