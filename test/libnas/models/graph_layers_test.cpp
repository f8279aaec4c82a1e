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

}  // namespace
}  // namespace nas
