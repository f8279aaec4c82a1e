#include "libnas/models/graph_layers.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

// GruCell against torch::nn::GRUCell built from the same seed: the same weights, the same
// output and the same gradients for every input and parameter, in several shapes (a hidden size
// of 1, more rows than features, inputs narrower than the state).
TEST(GruCell, MatchesTorchGruCellForwardAndBackward) {
  struct Shape {
    int64_t rows, input, hidden;
  };
  for (Shape s : {Shape{7, 32, 16}, Shape{3, 5, 1}, Shape{40, 4, 9}}) {
    SCOPED_TRACE(testing::Message() << s.rows << "x" << s.input << " -> " << s.hidden);
    torch::manual_seed(11);
    torch::nn::GRUCell reference(s.input, s.hidden);
    torch::manual_seed(11);
    GruCell fused(s.input, s.hidden);
    for (const char* name : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
      ASSERT_TRUE(torch::equal(reference->named_parameters()[name], fused->named_parameters()[name]))
          << name;

    torch::manual_seed(3);
    torch::Tensor x = torch::randn({s.rows, s.input}).requires_grad_(true);
    torch::Tensor h = torch::randn({s.rows, s.hidden}).requires_grad_(true);
    torch::Tensor upstream = torch::randn({s.rows, s.hidden});
    auto grads = [&](torch::nn::Module& m, const torch::Tensor& out) {
      x.mutable_grad() = torch::Tensor();
      h.mutable_grad() = torch::Tensor();
      m.zero_grad();
      (out * upstream).sum().backward();
      std::vector<torch::Tensor> g{x.grad().clone(), h.grad().clone()};
      for (const auto& p : m.parameters()) g.push_back(p.grad().clone());
      return g;
    };
    torch::Tensor want = reference(x, h);
    torch::Tensor got = fused(x, h);
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6)) << (got - want).abs().max();
    const auto want_grads = grads(*reference, want);
    const auto got_grads = grads(*fused, got);
    const char* names[] = {"x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    ASSERT_EQ(got_grads.size(), 6u);
    for (size_t i = 0; i < got_grads.size(); ++i)
      EXPECT_TRUE(torch::allclose(got_grads[i], want_grads[i], 1e-4, 1e-5))
          << names[i] << ": " << (got_grads[i] - want_grads[i]).abs().max();
  }
}

TEST(GruCell, RefusesMismatchedShapes) {
  GruCell cell(4, 3);
  EXPECT_THROW(cell(torch::zeros({2, 5}), torch::zeros({2, 3})), Error);
  EXPECT_THROW(cell(torch::zeros({2, 4}), torch::zeros({3, 3})), Error);
}


// EdgeInputs times both_directions against the definition, edge by edge: vertex v receives
// fwd(x_u ‖ x_v) for every edge u -> v and rev(x_u ‖ x_v) for every edge v -> u. Values and the
// gradients of x and of both Linears, on graphs with sources, sinks, isolated vertices and
// several edges per vertex.
TEST(EdgeInputs, TimesBothDirectionsSumsTheMessagesOfEveryEdge) {
  torch::manual_seed(5);
  const int64_t B = 3, n = 6, d = 4, m = 5;
  torch::nn::Linear fwd(2 * d, m), rev(2 * d, m);
  torch::Tensor A = torch::rand({B, n, n}).lt(0.4).to(torch::kFloat32).triu(1);
  A[0].zero_();                // no edges at all
  A[1][2].zero_();             // vertex 2 of sample 1 sends nothing
  torch::Tensor x = torch::randn({B, n, d}).requires_grad_(true);
  torch::Tensor upstream = torch::randn({B, n, m});

  auto grads = [&](const torch::Tensor& out) {
    x.mutable_grad() = torch::Tensor();
    fwd->zero_grad();
    rev->zero_grad();
    (out * upstream).sum().backward();
    std::vector<torch::Tensor> g{x.grad().clone()};
    for (auto* lin : {&fwd, &rev})
      for (const auto& p : (*lin)->parameters()) g.push_back(p.grad().clone());
    return g;
  };
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t v = 0; v < n; ++v) {
      torch::Tensor sum = torch::zeros({m});
      for (int64_t u = 0; u < n; ++u) {
        if (A[b][u][v].item<float>() > 0) sum = sum + fwd(torch::cat({x[b][u], x[b][v]}));
        if (A[b][v][u].item<float>() > 0) sum = sum + rev(torch::cat({x[b][u], x[b][v]}));
      }
      rows.push_back(sum);
    }
  torch::Tensor want = torch::stack(rows).view({B, n, m});
  torch::Tensor got = torch::matmul(EdgeInputs(A)(x), both_directions(fwd, rev).t());
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5)) << (got - want).abs().max();
  EXPECT_TRUE(torch::equal(got[0], torch::zeros({n, m})));
  const auto want_grads = grads(want);
  const auto got_grads = grads(got);
  for (size_t i = 0; i < got_grads.size(); ++i)
    EXPECT_TRUE(torch::allclose(got_grads[i], want_grads[i], 1e-4, 1e-5))
        << "gradient " << i << ": " << (got_grads[i] - want_grads[i]).abs().max();
}

// ReadoutPair gives what the two readouts give one at a time, normalised or not, gradients
// included, and refuses readouts it cannot stack.
TEST(ReadoutPair, EqualsBothReadoutsAndTheirGradients) {
  for (bool normalise : {true, false}) {
    SCOPED_TRACE(normalise ? "normalised" : "plain");
    torch::manual_seed(2);
    GraphReadout a(6, 3, true, normalise), b(6, 3, true, normalise);
    torch::Tensor h = torch::randn({4, 5, 6}).requires_grad_(true);
    torch::Tensor ua = torch::randn({4, 3}), ub = torch::randn({4, 3});
    auto grads = [&](const torch::Tensor& ya, const torch::Tensor& yb) {
      h.mutable_grad() = torch::Tensor();
      a->zero_grad();
      b->zero_grad();
      ((ya * ua).sum() + (yb * ub).sum()).backward();
      std::vector<torch::Tensor> g{h.grad().clone()};
      for (auto* r : {&a, &b})
        for (const auto& p : (*r)->parameters()) g.push_back(p.grad().clone());
      return g;
    };
    torch::Tensor wa = a(h), wb = b(h);
    auto [ga, gb] = ReadoutPair(a, b)(h);
    EXPECT_TRUE(torch::allclose(ga, wa, 1e-5, 1e-6)) << (ga - wa).abs().max();
    EXPECT_TRUE(torch::allclose(gb, wb, 1e-5, 1e-6)) << (gb - wb).abs().max();
    const auto want = grads(wa, wb);
    const auto got = grads(ga, gb);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(torch::allclose(got[i], want[i], 1e-4, 1e-6)) << "gradient " << i;
  }
  EXPECT_THROW(ReadoutPair(GraphReadout(6, 3, false, true), GraphReadout(6, 3, false, true)), Error);
  EXPECT_THROW(ReadoutPair(GraphReadout(6, 3, true, true), GraphReadout(6, 4, true, true)), Error);
}

}  // namespace
}  // namespace nas
