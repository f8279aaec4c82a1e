#include "libnas/models/ops.h"

#include "libnas/models/flops.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

void check_stride(int64_t stride, const char* what) {
  NAS_CHECK(stride == 1 || stride == 2, "{}: expected stride 1 or 2, found {}", what, stride);
}

void check_channels(int64_t c, const char* what) {
  NAS_CHECK(c >= 1, "{}: expected at least 1 channel, found {}", what, c);
}

}  // namespace

torch::nn::BatchNorm2d make_batch_norm(int64_t channels) {
  return torch::nn::BatchNorm2d(
      torch::nn::BatchNorm2dOptions(channels).eps(1e-5).momentum(0.1).affine(true));
}

torch::nn::Conv2d make_conv(int64_t in, int64_t out, torch::ExpandingArray<2> kernel,
                            torch::ExpandingArray<2> stride, torch::ExpandingArray<2> padding,
                            int64_t dilation, int64_t groups) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding(padding)
                               .dilation(dilation)
                               .groups(groups)
                               .bias(false));
}

void init_kaiming(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters(/*recurse=*/true)) {
    if (p.dim() >= 2) torch::nn::init::kaiming_normal_(p, 0.0, torch::kFanIn, torch::kReLU);
  }
}

// ---- Convolutions ---------------------------------------------------------------------------

ReLUConvBNImpl::ReLUConvBNImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                               int64_t padding) {
  check_channels(in, "ReLUConvBN input");
  check_channels(out, "ReLUConvBN output");
  check_stride(stride, "ReLUConvBN");
  conv_ = register_module("conv", make_conv(in, out, kernel, stride, padding));
  bn_ = register_module("bn", make_batch_norm(out));
}

torch::Tensor ReLUConvBNImpl::forward(const torch::Tensor& x) {
  return bn_->forward(counted(conv_, torch::relu(x)));
}

SepConvImpl::SepConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                         int64_t padding) {
  check_channels(in, "SepConv input");
  check_channels(out, "SepConv output");
  check_stride(stride, "SepConv");
  dw1_ = register_module("dw1", make_conv(in, in, kernel, stride, padding, 1, in));
  pw1_ = register_module("pw1", make_conv(in, in, 1, 1, 0));
  bn1_ = register_module("bn1", make_batch_norm(in));
  dw2_ = register_module("dw2", make_conv(in, in, kernel, 1, padding, 1, in));
  pw2_ = register_module("pw2", make_conv(in, out, 1, 1, 0));
  bn2_ = register_module("bn2", make_batch_norm(out));
}

torch::Tensor SepConvImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn1_->forward(counted(pw1_, counted(dw1_, torch::relu(x))));
  return bn2_->forward(counted(pw2_, counted(dw2_, torch::relu(y))));
}

DilConvImpl::DilConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                         int64_t padding, int64_t dilation) {
  check_channels(in, "DilConv input");
  check_channels(out, "DilConv output");
  check_stride(stride, "DilConv");
  dw_ = register_module("dw", make_conv(in, in, kernel, stride, padding, dilation, in));
  pw_ = register_module("pw", make_conv(in, out, 1, 1, 0));
  bn_ = register_module("bn", make_batch_norm(out));
}

torch::Tensor DilConvImpl::forward(const torch::Tensor& x) {
  return bn_->forward(counted(pw_, counted(dw_, torch::relu(x))));
}

FacConvImpl::FacConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  check_channels(in, "FacConv input");
  check_channels(out, "FacConv output");
  check_stride(stride, "FacConv");
  const int64_t pad = kernel / 2;
  conv1_ = register_module("conv1", make_conv(in, out, {1, kernel}, {1, stride}, {0, pad}));
  bn1_ = register_module("bn1", make_batch_norm(out));
  conv2_ = register_module("conv2", make_conv(out, out, {kernel, 1}, {stride, 1}, {pad, 0}));
  bn2_ = register_module("bn2", make_batch_norm(out));
}

torch::Tensor FacConvImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn1_->forward(counted(conv1_, torch::relu(x)));
  return bn2_->forward(counted(conv2_, torch::relu(y)));
}

// ---- Pools, FactorizedReduce ----------------------------------------------------------------

PoolOpImpl::PoolOpImpl(const PoolSpec& spec, int64_t stride) : spec_(spec), stride_(stride) {
  check_stride(stride, "pool");
  NAS_CHECK(spec.kernel >= 1 && spec.padding >= 0 && 2 * spec.padding <= spec.kernel,
            "pool: expected kernel >= 1 and 0 <= padding <= kernel / 2, found kernel {} padding {}",
            spec.kernel, spec.padding);
}

torch::Tensor PoolOpImpl::forward(const torch::Tensor& x) {
  // The explicit pad is zeros on purpose (see PoolSpec): NAO pads before pooling this way.
  const torch::Tensor in =
      spec_.zero_pad_right_bottom ? torch::constant_pad_nd(x, {0, 1, 0, 1}, 0.0) : x;
  const int64_t k = spec_.kernel, p = spec_.padding;
  if (spec_.type == PoolType::Max) return torch::max_pool2d(in, {k, k}, {stride_, stride_}, {p, p});
  return torch::avg_pool2d(in, {k, k}, {stride_, stride_}, {p, p}, /*ceil_mode=*/false,
                           spec_.count_include_pad);
}

namespace {

struct CatChannels : public torch::autograd::Function<CatChannels> {
  // A TensorList, not a std::vector: autograd tracks the inputs of apply() only as Tensor or
  // TensorList arguments.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::TensorList xs) {
    std::vector<int64_t> widths;
    widths.reserve(xs.size());
    for (const auto& x : xs) widths.push_back(x.size(1));
    ctx->saved_data["widths"] = widths;
    return torch::cat(xs, 1);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto widths = ctx->saved_data["widths"].toIntVector();
    const torch::Tensor& g = grads[0];
    const auto layout = g.suggest_memory_format();
    torch::autograd::variable_list out;
    out.reserve(widths.size());
    int64_t offset = 0;
    for (int64_t w : widths) {
      out.push_back(g.narrow(1, offset, w).contiguous(layout));
      offset += w;
    }
    return out;
  }
};

}  // namespace

torch::Tensor cat_channels(const std::vector<torch::Tensor>& xs) {
  NAS_CHECK(!xs.empty(), "cat_channels: nothing to concatenate");
  if (xs.size() == 1) return xs[0];
  return CatChannels::apply(torch::TensorList(xs));
}

FactorizedReduceImpl::FactorizedReduceImpl(int64_t in, int64_t out, bool relu_first)
    : relu_first_(relu_first) {
  check_channels(in, "FactorizedReduce input");
  NAS_CHECK(out >= 2 && out % 2 == 0,
            "FactorizedReduce: expected an even output width (two halves), found {}", out);
  conv1_ = register_module("conv1", make_conv(in, out / 2, 1, 2, 0));
  conv2_ = register_module("conv2", make_conv(in, out / 2, 1, 2, 0));
  bn_ = register_module("bn", make_batch_norm(out));
}

torch::Tensor FactorizedReduceImpl::forward(const torch::Tensor& x) {
  const torch::Tensor in = relu_first_ ? torch::relu(x) : x;
  // Padding before dropping the first row/column keeps both paths at ceil(H / 2) for odd H.
  const torch::Tensor shifted =
      torch::constant_pad_nd(in, {0, 1, 0, 1}, 0.0).slice(2, 1).slice(3, 1);
  return bn_->forward(cat_channels({counted(conv1_, in), counted(conv2_, shifted)}));
}

// ---- Op factory -----------------------------------------------------------------------------

std::string op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::Identity: return "identity";
    case OpKind::SepConv3x3: return "sep_conv_3x3";
    case OpKind::SepConv5x5: return "sep_conv_5x5";
    case OpKind::DilConv3x3: return "dil_conv_3x3";
    case OpKind::DilConv5x5: return "dil_conv_5x5";
    case OpKind::Conv1x1: return "conv_1x1";
    case OpKind::Conv3x3: return "conv_3x3";
    case OpKind::Conv1x3_3x1: return "conv_1x3_3x1";
    case OpKind::Conv1x7_7x1: return "conv_1x7_7x1";
    case OpKind::MaxPool2x2: return "max_pool_2x2";
    case OpKind::MaxPool3x3: return "max_pool_3x3";
    case OpKind::MaxPool5x5: return "max_pool_5x5";
    case OpKind::AvgPool2x2: return "avg_pool_2x2";
    case OpKind::AvgPool3x3: return "avg_pool_3x3";
    case OpKind::AvgPool3x3Incl: return "avg_pool_3x3_incl_pad";
    case OpKind::AvgPool5x5Incl: return "avg_pool_5x5_incl_pad";
  }
  fail("op kind {} is out of range", static_cast<int>(kind));
}

PoolSpec pool_spec(OpKind kind) {
  PoolSpec s;
  switch (kind) {
    case OpKind::MaxPool2x2:
      s = {PoolType::Max, 2, 0, false, true};
      break;
    case OpKind::MaxPool3x3:
      s = {PoolType::Max, 3, 1, false, false};
      break;
    case OpKind::MaxPool5x5:
      s = {PoolType::Max, 5, 2, false, false};
      break;
    case OpKind::AvgPool2x2:
      // Implicit padding is 0, so count_include_pad has no effect; the explicit zeros count.
      s = {PoolType::Avg, 2, 0, true, true};
      break;
    case OpKind::AvgPool3x3:
      s = {PoolType::Avg, 3, 1, false, false};
      break;
    case OpKind::AvgPool3x3Incl:
      s = {PoolType::Avg, 3, 1, true, false};
      break;
    case OpKind::AvgPool5x5Incl:
      s = {PoolType::Avg, 5, 2, true, false};
      break;
    default:
      fail("pool_spec: {} is not a pooling op", op_kind_name(kind));
  }
  return s;
}

std::shared_ptr<CellOpImpl> make_op(OpKind kind, int64_t channels, int64_t stride,
                                    bool reduce_relu_first) {
  check_channels(channels, "cell op");
  check_stride(stride, "cell op");
  const int64_t c = channels;
  switch (kind) {
    case OpKind::Identity:
      if (stride == 1) return std::make_shared<IdentityOpImpl>();
      return std::make_shared<FactorizedReduceImpl>(c, c, reduce_relu_first);
    case OpKind::SepConv3x3: return std::make_shared<SepConvImpl>(c, c, 3, stride, 1);
    case OpKind::SepConv5x5: return std::make_shared<SepConvImpl>(c, c, 5, stride, 2);
    case OpKind::DilConv3x3: return std::make_shared<DilConvImpl>(c, c, 3, stride, 2, 2);
    case OpKind::DilConv5x5: return std::make_shared<DilConvImpl>(c, c, 5, stride, 4, 2);
    case OpKind::Conv1x1: return std::make_shared<ReLUConvBNImpl>(c, c, 1, stride, 0);
    case OpKind::Conv3x3: return std::make_shared<ReLUConvBNImpl>(c, c, 3, stride, 1);
    case OpKind::Conv1x3_3x1: return std::make_shared<FacConvImpl>(c, c, 3, stride);
    case OpKind::Conv1x7_7x1: return std::make_shared<FacConvImpl>(c, c, 7, stride);
    default: return std::make_shared<PoolOpImpl>(pool_spec(kind), stride);
  }
}

// ---- Drop-path, preprocessing, auxiliary head ------------------------------------------------

torch::Tensor drop_path(const torch::Tensor& x, double keep) {
  NAS_CHECK(keep > 0.0, "drop_path: expected a keep probability in (0, 1], found {}", keep);
  if (keep >= 1.0) return x;
  torch::Tensor mask = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(keep);
  return x * mask / keep;
}

CalibrateInputsImpl::CalibrateInputsImpl(int64_t c0, int64_t c1, int64_t channels,
                                         bool reduce_s0, bool always_project) {
  if (reduce_s0) {
    s0_op_ = std::make_shared<FactorizedReduceImpl>(c0, channels, /*relu_first=*/true);
  } else if (c0 != channels || always_project) {
    s0_op_ = std::make_shared<ReLUConvBNImpl>(c0, channels, 1, 1, 0);
  }
  if (c1 != channels || always_project)
    s1_op_ = std::make_shared<ReLUConvBNImpl>(c1, channels, 1, 1, 0);
  if (s0_op_) register_module("s0", s0_op_);
  if (s1_op_) register_module("s1", s1_op_);
}

std::pair<torch::Tensor, torch::Tensor> CalibrateInputsImpl::forward(const torch::Tensor& s0,
                                                                     const torch::Tensor& s1) {
  return {s0_op_ ? s0_op_->forward(s0) : s0, s1_op_ ? s1_op_->forward(s1) : s1};
}

AuxPoolGeometry aux_pool_geometry(int64_t size) {
  AuxPoolGeometry g;
  if (size == 8) {
    g.kernel = 5;
    g.stride = 3;
  } else if (size == 7) {
    g.kernel = 5;
    g.stride = 2;
  } else {
    g.adaptive = true;
  }
  return g;
}

AuxHeadImpl::AuxHeadImpl(int64_t in, int64_t num_classes, bool bn_after_768) {
  check_channels(in, "auxiliary head input");
  NAS_CHECK(num_classes >= 1, "auxiliary head: expected at least 1 class, found {}", num_classes);
  conv1_ = register_module("conv1", make_conv(in, 128, 1, 1, 0));
  bn1_ = register_module("bn1", make_batch_norm(128));
  conv2_ = register_module("conv2", make_conv(128, 768, 2, 1, 0));
  if (bn_after_768) bn2_ = register_module("bn2", make_batch_norm(768));
  classifier_ = register_module("classifier", torch::nn::Linear(768, num_classes));
}

torch::Tensor AuxHeadImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(x);
  const AuxPoolGeometry g =
      x.size(2) == x.size(3) ? aux_pool_geometry(x.size(2)) : AuxPoolGeometry{true, 0, 0};
  if (g.adaptive) {
    y = torch::adaptive_avg_pool2d(y, {2, 2});
  } else {
    y = torch::avg_pool2d(y, {g.kernel, g.kernel}, {g.stride, g.stride}, {0, 0},
                          /*ceil_mode=*/false, /*count_include_pad=*/false);
  }
  y = torch::relu(bn1_->forward(counted(conv1_, y)));
  y = counted(conv2_, y);
  if (bn2_) y = bn2_->forward(y);
  y = torch::relu(y);
  return counted(classifier_, y.flatten(1));
}

}  // namespace nas
