#include "libnas/models/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "libnas/models/flops.h"
#include "libnas/util/error.h"

namespace nas {
namespace {

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// Sets every conv weight of a module to `value` (BN stays at 1 / 0, eval mode: identity-like).
void fill_conv_weights(torch::nn::Module& m, double value) {
  torch::NoGradGuard g;
  for (auto& p : m.named_parameters()) {
    if (p.value().dim() == 4) p.value().fill_(value);
  }
}

TEST(OpsTest, BatchNormUsesReferenceSettings) {
  auto bn = make_batch_norm(16);
  EXPECT_TRUE(bn->options.affine());
  EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-5);
  ASSERT_TRUE(bn->options.momentum().has_value());
  EXPECT_DOUBLE_EQ(*bn->options.momentum(), 0.1);
  EXPECT_EQ(count_params(*bn), 32);
}

TEST(OpsTest, ParameterCountsFollowTheCompositionRules) {
  const int64_t c = 16;
  // SepConv(C, k) = 2 (k^2 C + C^2 + 2C), as NAG's spec counts it.
  SepConv sep3(c, c, 3, 1, 1), sep5(c, c, 5, 2, 2);
  EXPECT_EQ(count_params(*sep3), 2 * (9 * c + c * c + 2 * c));
  EXPECT_EQ(count_params(*sep5), 2 * (25 * c + c * c + 2 * c));
  DilConv dil3(c, c, 3, 1, 2, 2);
  EXPECT_EQ(count_params(*dil3), 9 * c + c * c + 2 * c);
  FacConv fac7(c, c, 7, 1);
  EXPECT_EQ(count_params(*fac7), 2 * 7 * c * c + 4 * c);
  ReLUConvBN rcb(24, c, 1, 1, 0);
  EXPECT_EQ(count_params(*rcb), 24 * c + 2 * c);
  FactorizedReduce fr(24, c, false);
  EXPECT_EQ(count_params(*fr), 24 * c + 2 * c);
  PoolOp pool(pool_spec(OpKind::AvgPool3x3), 1);
  EXPECT_EQ(count_params(*pool), 0);
}

TEST(OpsTest, EveryOpKeepsChannelsAndHalvesAtStrideTwo) {
  const std::vector<OpKind> kinds = {
      OpKind::Identity,    OpKind::SepConv3x3,  OpKind::SepConv5x5,   OpKind::DilConv3x3,
      OpKind::DilConv5x5,  OpKind::Conv1x1,     OpKind::Conv3x3,      OpKind::Conv1x3_3x1,
      OpKind::Conv1x7_7x1, OpKind::MaxPool2x2,  OpKind::MaxPool3x3,   OpKind::MaxPool5x5,
      OpKind::AvgPool2x2,  OpKind::AvgPool3x3,  OpKind::AvgPool3x3Incl, OpKind::AvgPool5x5Incl};
  for (OpKind kind : kinds) {
    for (int64_t size : {8, 7, 1}) {
      for (int64_t stride : {1, 2}) {
        auto op = make_op(kind, 6, stride, false);
        torch::Tensor y = op->forward(torch::randn({2, 6, size, size}));
        const int64_t expect = stride == 1 ? size : (size + 1) / 2;
        EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 6, expect, expect}))
            << op_kind_name(kind) << " size " << size << " stride " << stride;
      }
    }
  }
  EXPECT_TRUE(make_op(OpKind::Identity, 6, 1, false)->is_identity());
  EXPECT_FALSE(make_op(OpKind::Identity, 6, 2, false)->is_identity());
  EXPECT_EQ(count_params(*make_op(OpKind::Identity, 6, 2, false)), 6 * 6 + 12);
  EXPECT_THROW(make_op(OpKind::SepConv3x3, 6, 3, false), Error);
  EXPECT_THROW(pool_spec(OpKind::SepConv3x3), Error);
}

TEST(OpsTest, AveragePoolPaddingRules) {
  torch::Tensor ones = torch::ones({1, 1, 4, 4});
  // NAO op 2 / DARTS / NAG: padding not counted, so a constant stays constant.
  torch::Tensor excl = make_op(OpKind::AvgPool3x3, 1, 1, false)->forward(ones);
  EXPECT_TRUE(torch::allclose(excl, ones));
  // NAO op 14: padding counted; a corner sees 4 of 9 cells, an edge 6 of 9.
  torch::Tensor incl = make_op(OpKind::AvgPool3x3Incl, 1, 1, false)->forward(ones);
  EXPECT_NEAR(incl[0][0][0][0].item<double>(), 4.0 / 9.0, 1e-6);
  EXPECT_NEAR(incl[0][0][0][1].item<double>(), 6.0 / 9.0, 1e-6);
  EXPECT_NEAR(incl[0][0][1][1].item<double>(), 1.0, 1e-6);
  // NAO op 15: 5x5, pad 2, counted: the corner sees 9 of 25.
  torch::Tensor incl5 = make_op(OpKind::AvgPool5x5Incl, 1, 1, false)->forward(ones);
  EXPECT_NEAR(incl5[0][0][0][0].item<double>(), 9.0 / 25.0, 1e-6);
  // NAO op 13: explicit zero pad right/bottom, then 2x2 average: the last row/column average
  // in the zeros.
  torch::Tensor avg2 = make_op(OpKind::AvgPool2x2, 1, 1, false)->forward(ones);
  EXPECT_EQ(avg2.sizes(), ones.sizes());
  EXPECT_NEAR(avg2[0][0][0][0].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(avg2[0][0][0][3].item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(avg2[0][0][3][3].item<double>(), 0.25, 1e-6);
}

TEST(OpsTest, MaxPoolPaddingRules) {
  torch::Tensor neg = -torch::ones({1, 1, 4, 4});
  // 3x3 / 5x5 max pools pad with -inf: a negative constant stays.
  EXPECT_TRUE(torch::allclose(make_op(OpKind::MaxPool3x3, 1, 1, false)->forward(neg), neg));
  EXPECT_TRUE(torch::allclose(make_op(OpKind::MaxPool5x5, 1, 2, false)->forward(neg),
                              -torch::ones({1, 1, 2, 2})));
  // NAO op 10 pads with zeros first, so windows touching the pad see 0.
  torch::Tensor y = make_op(OpKind::MaxPool2x2, 1, 1, false)->forward(neg);
  EXPECT_EQ(y[0][0][0][0].item<float>(), -1.0f);
  EXPECT_EQ(y[0][0][0][3].item<float>(), 0.0f);
  EXPECT_EQ(y[0][0][3][0].item<float>(), 0.0f);
  // Stride 2 on 4x4: windows (0,0) and (2,2) stay inside, nothing sees the pad.
  torch::Tensor y2 = make_op(OpKind::MaxPool2x2, 1, 2, false)->forward(neg);
  EXPECT_TRUE(torch::allclose(y2, -torch::ones({1, 1, 2, 2})));
}

TEST(OpsTest, FactorizedReduceSecondPathShiftsByOnePixel) {
  for (int64_t size : {4, 5}) {
    FactorizedReduce fr(1, 2, /*relu_first=*/false);
    fill_conv_weights(*fr, 1.0);
    fr->eval();  // BN with running mean 0, var 1: y = x / sqrt(1 + eps)
    torch::Tensor x = torch::arange(size * size, torch::kFloat).reshape({1, 1, size, size}) + 1;
    torch::Tensor y = fr->forward(x) * std::sqrt(1.0 + 1e-5);
    const int64_t out = (size + 1) / 2;
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 2, out, out}));
    for (int64_t i = 0; i < out; ++i)
      for (int64_t j = 0; j < out; ++j) {
        EXPECT_NEAR(y[0][0][i][j].item<double>(), x[0][0][2 * i][2 * j].item<double>(), 1e-3);
        const int64_t r = 2 * i + 1, c = 2 * j + 1;
        const double shifted = r < size && c < size ? x[0][0][r][c].item<double>() : 0.0;
        EXPECT_NEAR(y[0][1][i][j].item<double>(), shifted, 1e-3)
            << "size " << size << " at " << i << "," << j;
      }
  }
  // relu_first puts a ReLU in front: negative inputs vanish.
  FactorizedReduce fr_relu(1, 2, true);
  fill_conv_weights(*fr_relu, 1.0);
  fr_relu->eval();
  EXPECT_EQ(fr_relu->forward(-torch::ones({1, 1, 4, 4})).abs().sum().item<double>(), 0.0);
  EXPECT_THROW(FactorizedReduce(4, 3, false), Error);
}

TEST(OpsTest, SepConvHasStrideOnlyInFirstDepthwiseConv) {
  SepConv sep(4, 8, 5, 2, 2);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : sep->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes["dw1.weight"], (std::vector<int64_t>{4, 1, 5, 5}));
  EXPECT_EQ(shapes["pw1.weight"], (std::vector<int64_t>{4, 4, 1, 1}));
  EXPECT_EQ(shapes["pw2.weight"], (std::vector<int64_t>{8, 4, 1, 1}));
  EXPECT_EQ(sep->forward(torch::randn({1, 4, 9, 9})).sizes(),
            (std::vector<int64_t>{1, 8, 5, 5}));
}

TEST(OpsTest, DropPathZeroesWholeSamplesAndRescalesSurvivors) {
  torch::manual_seed(3);
  torch::Tensor x = torch::ones({400, 3, 4, 4});
  torch::Tensor y = drop_path(x, 0.7);
  int kept = 0;
  for (int64_t b = 0; b < x.size(0); ++b) {
    torch::Tensor s = y[b];
    const double mx = s.max().item<double>(), mn = s.min().item<double>();
    EXPECT_DOUBLE_EQ(mn, mx) << "sample " << b << " partly dropped";
    if (mx > 0) {
      EXPECT_NEAR(mx, 1.0 / 0.7, 1e-5);
      ++kept;
    }
  }
  EXPECT_NEAR(kept / 400.0, 0.7, 0.08);
  EXPECT_TRUE(torch::equal(drop_path(x, 1.0), x));
  EXPECT_THROW(drop_path(x, 0.0), Error);
}

TEST(OpsTest, CalibrateInputsBuildsOnlyWhatShapesRequire) {
  CalibrateInputs none(8, 8, 8, false, false);
  EXPECT_FALSE(none->has_s0());
  EXPECT_FALSE(none->has_s1());
  CalibrateInputs proj(24, 32, 8, false, false);
  EXPECT_TRUE(proj->has_s0());
  EXPECT_TRUE(proj->has_s1());
  CalibrateInputs darts(8, 8, 8, false, true);
  EXPECT_TRUE(darts->has_s0());
  EXPECT_TRUE(darts->has_s1());
  CalibrateInputs reduce(24, 8, 8, true, false);
  EXPECT_TRUE(reduce->has_s0());
  EXPECT_FALSE(reduce->has_s1());
  EXPECT_EQ(count_params(*reduce), 24 * 8 + 16);
  auto out = reduce->forward(torch::randn({2, 24, 14, 14}), torch::randn({2, 8, 7, 7}));
  EXPECT_EQ(out.first.sizes(), (std::vector<int64_t>{2, 8, 7, 7}));
  EXPECT_EQ(out.second.sizes(), (std::vector<int64_t>{2, 8, 7, 7}));
}

TEST(OpsTest, AuxHeadGeometryAndShapes) {
  EXPECT_FALSE(aux_pool_geometry(8).adaptive);
  EXPECT_EQ(aux_pool_geometry(8).stride, 3);
  EXPECT_EQ(aux_pool_geometry(8).kernel, 5);
  EXPECT_FALSE(aux_pool_geometry(7).adaptive);
  EXPECT_EQ(aux_pool_geometry(7).stride, 2);
  EXPECT_TRUE(aux_pool_geometry(4).adaptive);
  AuxHead head(32, 10);
  for (int64_t size : {8, 7, 4, 2, 1, 14}) {
    EXPECT_EQ(head->forward(torch::randn({3, 32, size, size})).sizes(),
              (std::vector<int64_t>{3, 10}))
        << "size " << size;
  }
  EXPECT_EQ(count_params(*head), 32 * 128 + 256 + 128 * 4 * 768 + 2 * 768 + 768 * 10 + 10);
  AuxHead no_bn(32, 10, false);
  EXPECT_EQ(count_params(*no_bn), count_params(*head) - 2 * 768);
}

TEST(OpsTest, KaimingInitHasFanInStd) {
  torch::manual_seed(0);
  ReLUConvBN rcb(512, 256, 1, 1, 0);
  init_kaiming(*rcb);
  for (const auto& p : rcb->named_parameters()) {
    if (p.key() == "conv.weight") {
      EXPECT_NEAR(p.value().std().item<double>(), std::sqrt(2.0 / 512.0), 0.002);
      EXPECT_NEAR(p.value().mean().item<double>(), 0.0, 0.002);
    }
    if (p.key() == "bn.weight") {
      EXPECT_TRUE(torch::all(p.value() == 1).item<bool>());
    }
    if (p.key() == "bn.bias") {
      EXPECT_TRUE(torch::all(p.value() == 0).item<bool>());
    }
  }
}

TEST(OpsTest, ConvsCountFlops) {
  SepConv sep(8, 8, 3, 1, 1);
  FlopScope scope;
  sep->forward(torch::randn({1, 8, 10, 10}));
  // Two depthwise (9 * 1 * 8) and two pointwise (8 * 8) convs over 10 x 10 outputs.
  EXPECT_DOUBLE_EQ(scope.total(), 100.0 * 2 * (9 * 8 + 64));
}

}  // namespace
}  // namespace nas

namespace nas {
namespace {

// cat_channels is torch::cat forward and backward; only the layout of the gradients differs.
TEST(CatChannels, MatchesTorchCatAndGivesDenseGradients) {
  torch::manual_seed(0);
  for (bool channels_last : {false, true}) {
    auto make = [&](int64_t c) {
      torch::Tensor t = torch::randn({2, c, 5, 5});
      if (channels_last) t = t.contiguous(torch::MemoryFormat::ChannelsLast);
      return t.requires_grad_();
    };
    std::vector<torch::Tensor> a = {make(3), make(4), make(2)};
    std::vector<torch::Tensor> b;
    for (const auto& t : a) b.push_back(t.detach().clone().requires_grad_());
    const torch::Tensor w = torch::randn({2, 9, 5, 5});
    torch::Tensor ya = cat_channels(a);
    torch::Tensor yb = torch::cat(b, 1);
    EXPECT_TRUE(torch::equal(ya, yb));
    (ya * w).relu().sum().backward();
    (yb * w).relu().sum().backward();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(a[i].grad(), b[i].grad())) << i;
      const auto layout = channels_last ? torch::MemoryFormat::ChannelsLast
                                        : torch::MemoryFormat::Contiguous;
      EXPECT_TRUE(a[i].grad().is_contiguous(layout)) << i << " strides " << a[i].grad().strides();
    }
  }
  torch::Tensor one = torch::randn({1, 2, 3, 3});
  EXPECT_TRUE(torch::equal(cat_channels({one}), one));
  EXPECT_THROW(cat_channels({}), Error);
}

}  // namespace
}  // namespace nas
