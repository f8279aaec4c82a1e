#include "generators/nao/lstm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libnas/util/error.h"

namespace nas::nao {
namespace {

// max |a - b| relative to max |b| (or to 1 when b is all zeros).
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(b.abs().max().item<double>(), 1e-30);
  return (a.to(b.scalar_type()) - b).abs().max().item<double>() / scale;
}

struct Case {
  int64_t batch, steps, hidden;
  bool zero_state;
  bool time_major;  // gates_x handed over as a transposed view of a [T, B, 4H] tensor
};

std::string describe(const Case& c) {
  return "B=" + std::to_string(c.batch) + " T=" + std::to_string(c.steps) +
         " H=" + std::to_string(c.hidden) + (c.zero_state ? " zero state" : " random state") +
         (c.time_major ? " time-major gates" : "");
}

// lstm_from_gates against torch::nn::LSTM fed the gates themselves: with input size 4H,
// W_ih = identity and b_ih = 0, the module's input projection is gates_x exactly, and its input
// gradient is the gradient of gates_x.
void expect_matches_nn_lstm(const Case& c, torch::Dtype dtype, double tol) {
  SCOPED_TRACE(describe(c));
  torch::manual_seed(3);
  const int64_t b = c.batch, t = c.steps, h = c.hidden;
  const auto opts = torch::TensorOptions().dtype(dtype);
  torch::nn::LSTM ref(torch::nn::LSTMOptions(4 * h, h).batch_first(true));
  ref->to(dtype);
  {
    torch::NoGradGuard no_grad;
    ref->named_parameters()["weight_ih_l0"].copy_(torch::eye(4 * h, opts));
    ref->named_parameters()["bias_ih_l0"].zero_();
  }
  auto params = ref->named_parameters();
  torch::Tensor gx = torch::randn({b, t, 4 * h}, opts);
  if (c.time_major) gx = torch::randn({t, b, 4 * h}, opts).transpose(0, 1);
  torch::Tensor h0 = c.zero_state ? torch::zeros({b, h}, opts) : torch::randn({b, h}, opts);
  torch::Tensor c0 = c.zero_state ? torch::zeros({b, h}, opts) : torch::randn({b, h}, opts);
  torch::Tensor weight = torch::randn({b, t, h}, opts);  // loss = sum(weight * outputs)

  torch::Tensor x_ref = gx.detach().clone().requires_grad_(true);
  torch::Tensor h0_ref = h0.clone().requires_grad_(true), c0_ref = c0.clone().requires_grad_(true);
  torch::Tensor out_ref = std::get<0>(
      ref->forward(x_ref, std::make_tuple(h0_ref.unsqueeze(0), c0_ref.unsqueeze(0))));
  (out_ref * weight).sum().backward();

  torch::Tensor gx_new = gx.detach().requires_grad_(true);  // keeps the strides of gx
  torch::Tensor h0_new = h0.clone().requires_grad_(true), c0_new = c0.clone().requires_grad_(true);
  torch::Tensor w_hh = params["weight_hh_l0"].detach().clone().requires_grad_(true);
  torch::Tensor b_hh = params["bias_hh_l0"].detach().clone().requires_grad_(true);
  torch::Tensor out = lstm_from_gates(gx_new, h0_new, c0_new, w_hh, b_hh);
  (out * weight).sum().backward();

  ASSERT_EQ(out.sizes(), out_ref.sizes());
  EXPECT_LT(relative_error(out, out_ref), tol);
  EXPECT_LT(relative_error(gx_new.grad(), x_ref.grad()), tol);
  EXPECT_LT(relative_error(h0_new.grad(), h0_ref.grad()), tol);
  EXPECT_LT(relative_error(c0_new.grad(), c0_ref.grad()), tol);
  EXPECT_LT(relative_error(w_hh.grad(), params["weight_hh_l0"].grad()), tol);
  EXPECT_LT(relative_error(b_hh.grad(), params["bias_hh_l0"].grad()), tol);
}

const std::vector<Case> kCases = {
    {1, 1, 3, false, false},  {5, 7, 13, false, false}, {5, 7, 13, true, false},
    {4, 6, 16, false, true},  {37, 4, 19, false, true}, {40, 9, 24, true, false},
};

TEST(LstmFromGates, Float32KernelsMatchTorchLstm) {
  for (const Case& c : kCases) expect_matches_nn_lstm(c, torch::kFloat, 1e-5);
}

// Batches big enough to be split between threads, each thread running its rows' recurrence.
TEST(LstmFromGates, Float32KernelsMatchTorchLstmOnTwoThreads) {
  const int before = torch::get_num_threads();
  torch::set_num_threads(2);
  for (const Case& c : kCases) expect_matches_nn_lstm(c, torch::kFloat, 1e-5);
  torch::set_num_threads(before);
}

// Double precision takes the path built from ATen operations (the one other devices use).
TEST(LstmFromGates, GenericPathMatchesTorchLstmInDoublePrecision) {
  for (const Case& c : kCases) expect_matches_nn_lstm(c, torch::kDouble, 1e-12);
}

// Central differences along a random direction of each input against the analytic gradient,
// in double precision (torch.autograd.gradcheck's test, projected).
TEST(LstmFromGates, GradientsMatchFiniteDifferences) {
  torch::manual_seed(5);
  const int64_t b = 3, t = 4, h = 5;
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  std::vector<torch::Tensor> inputs = {
      torch::randn({b, t, 4 * h}, opts), torch::randn({b, h}, opts), torch::randn({b, h}, opts),
      0.5 * torch::randn({4 * h, h}, opts), torch::randn({4 * h}, opts)};
  const torch::Tensor weight = torch::randn({b, t, h}, opts);
  auto loss = [&](const std::vector<torch::Tensor>& x) {
    return (lstm_from_gates(x[0], x[1], x[2], x[3], x[4]) * weight).sum();
  };
  std::vector<torch::Tensor> leaves;
  for (const auto& x : inputs) leaves.push_back(x.clone().requires_grad_(true));
  loss(leaves).backward();
  const double eps = 1e-6;
  for (size_t k = 0; k < inputs.size(); ++k) {
    SCOPED_TRACE("input " + std::to_string(k));
    const torch::Tensor dir = torch::randn_like(inputs[k]);
    std::vector<torch::Tensor> plus = inputs, minus = inputs;
    plus[k] = inputs[k] + eps * dir;
    minus[k] = inputs[k] - eps * dir;
    torch::NoGradGuard no_grad;
    const double numeric = (loss(plus) - loss(minus)).item<double>() / (2 * eps);
    const double analytic = (leaves[k].grad() * dir).sum().item<double>();
    EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)));
  }
}

TEST(LstmFromGates, Float32KernelsAgreeWithTheGenericPath) {
  torch::manual_seed(8);
  const int64_t b = 6, t = 11, h = 21;
  torch::Tensor gx = 2 * torch::randn({b, t, 4 * h}, torch::kDouble);
  torch::Tensor h0 = torch::randn({b, h}, torch::kDouble);
  torch::Tensor c0 = torch::randn({b, h}, torch::kDouble);
  torch::Tensor w = 0.3 * torch::randn({4 * h, h}, torch::kDouble);
  torch::Tensor bias = torch::randn({4 * h}, torch::kDouble);
  torch::Tensor exact = lstm_from_gates(gx, h0, c0, w, bias);
  torch::Tensor fast = lstm_from_gates(gx.to(torch::kFloat), h0.to(torch::kFloat),
                                       c0.to(torch::kFloat), w.to(torch::kFloat),
                                       bias.to(torch::kFloat));
  EXPECT_EQ(fast.scalar_type(), torch::kFloat);
  EXPECT_LT(relative_error(fast, exact), 1e-5);
}

TEST(LstmFromGates, RejectsMismatchedShapes) {
  const int64_t h = 4;
  torch::Tensor gx = torch::zeros({2, 3, 4 * h}), s = torch::zeros({2, h});
  torch::Tensor w = torch::zeros({4 * h, h}), bias = torch::zeros({4 * h});
  EXPECT_NO_THROW(lstm_from_gates(gx, s, s, w, bias));
  EXPECT_THROW(lstm_from_gates(torch::zeros({2, 3, 3 * h}), s, s, w, bias), Error);
  EXPECT_THROW(lstm_from_gates(torch::zeros({2, 0, 4 * h}), s, s, w, bias), Error);
  EXPECT_THROW(lstm_from_gates(gx, torch::zeros({3, h}), s, w, bias), Error);
  EXPECT_THROW(lstm_from_gates(gx, s, s, torch::zeros({h, h}), bias), Error);
  EXPECT_THROW(lstm_from_gates(gx, s, s, w, torch::zeros({h})), Error);
}

}  // namespace
}  // namespace nas::nao
