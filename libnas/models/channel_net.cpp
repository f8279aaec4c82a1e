#include "libnas/models/channel_net.h"

#include "libnas/models/flops.h"
#include "libnas/util/error.h"

namespace nas {

namespace {

constexpr int kMobileNetKernel = 3;

void check_widths(const std::vector<int>& widths, const char* what) {
  NAS_CHECK(static_cast<int>(widths.size()) == ChannelSpace::kNumPositions,
            "{}: expected {} widths, found {}", what, ChannelSpace::kNumPositions, widths.size());
  for (size_t i = 0; i < widths.size(); ++i)
    NAS_CHECK(widths[i] >= 1, "{}: width {} is {}, expected a positive channel count", what, i,
              widths[i]);
}

NetworkOutput classify(torch::Tensor h, double dropout, bool training,
                       torch::nn::Linear& classifier) {
  h = h.mean({2, 3});
  if (dropout > 0) h = torch::dropout(h, dropout, training);
  NetworkOutput out;
  out.logits = counted(classifier, h);
  return out;
}

}  // namespace

ChannelResBlockImpl::ChannelResBlockImpl(int64_t in, int64_t hidden, int64_t out,
                                         int64_t stride) {
  first_ = register_module("conv1", ConvBnAct(in, hidden, 3, stride, true));
  second_ = register_module("conv2", ConvBnAct(hidden, out, 3, 1, false));
}

torch::Tensor ChannelResBlockImpl::forward(const torch::Tensor& x) {
  return second_->forward(first_->forward(x));
}

ChannelResNetImpl::ChannelResNetImpl(const std::vector<int>& widths, const NetworkConfig& cfg)
    : dropout_(cfg.dropout) {
  check_widths(widths, "channel-resnet network");
  check_network_config(cfg, "channel-resnet network");
  const auto& w = widths;
  stem_ = register_module("stem", ConvBnAct(cfg.in_channels, w[0], 3, 2, true));
  block1_ = register_module("block1", ChannelResBlock(w[0], w[1], w[0], 1));
  block2_ = register_module("block2", ChannelResBlock(w[0], w[2], w[0], 1));
  down_ = register_module("block3", ChannelResBlock(w[0], w[3], w[4], 2));
  block4_ = register_module("block4", ChannelResBlock(w[4], w[5], w[4], 1));
  block5_ = register_module("block5", ChannelResBlock(w[4], w[6], w[4], 1));
  classifier_ = register_module("classifier", torch::nn::Linear(w[4], cfg.num_classes));
}

NetworkOutput ChannelResNetImpl::forward(const torch::Tensor& x) {
  NAS_CHECK(x.dim() == 4,
            "channel-resnet network: expected an N x C x H x W input, found {} dimensions",
            x.dim());
  torch::Tensor h = stem_->forward(x);
  h = torch::relu(h + block1_->forward(h));
  h = torch::relu(h + block2_->forward(h));
  h = torch::relu(down_->forward(h));
  h = torch::relu(h + block4_->forward(h));
  h = torch::relu(h + block5_->forward(h));
  return classify(h, dropout_, is_training(), classifier_);
}

ChannelMobileNetImpl::ChannelMobileNetImpl(const std::vector<int>& widths,
                                           const NetworkConfig& cfg)
    : dropout_(cfg.dropout) {
  check_widths(widths, "channel-mobilenet network");
  check_network_config(cfg, "channel-mobilenet network");
  const auto& w = widths;
  const int64_t k = kMobileNetKernel;
  stem_ = register_module("stem", ConvBnAct(cfg.in_channels, w[0], 3, 2, true));
  block1_ = register_module("block1", InvertedResidual(w[0], w[1], w[0], k, 1));
  block2_ = register_module("block2", InvertedResidual(w[0], w[2], w[0], k, 1));
  block3_ = register_module("block3", InvertedResidual(w[0], w[3], w[4], k, 2));
  block4_ = register_module("block4", InvertedResidual(w[4], w[5], w[4], k, 1));
  head_ = register_module("head", ConvBnAct(w[4], w[6], 1, 1, true));
  classifier_ = register_module("classifier", torch::nn::Linear(w[6], cfg.num_classes));
}

NetworkOutput ChannelMobileNetImpl::forward(const torch::Tensor& x) {
  NAS_CHECK(x.dim() == 4,
            "channel-mobilenet network: expected an N x C x H x W input, found {} dimensions",
            x.dim());
  torch::Tensor h = stem_->forward(x);
  h = block1_->forward(h);
  h = block2_->forward(h);
  h = block3_->forward(h);
  h = block4_->forward(h);
  h = head_->forward(h);
  return classify(h, dropout_, is_training(), classifier_);
}

std::shared_ptr<NetworkImpl> build_channel_network(const SearchSpace& space, const Arch& arch,
                                                   const NetworkConfig& cfg) {
  const auto* channel = dynamic_cast<const ChannelSpace*>(&space);
  NAS_CHECK(channel != nullptr,
            "channel network: expected the channel-resnet or channel-mobilenet space, found "
            "space {}",
            space.name());
  channel->validate(arch);
  const std::vector<int> widths = channel->widths(arch);
  if (channel->base() == ChannelSpace::Base::ResNet)
    return std::make_shared<ChannelResNetImpl>(widths, cfg);
  return std::make_shared<ChannelMobileNetImpl>(widths, cfg);
}

ModelStats channel_network_stats(ChannelSpace::Base base, const std::vector<int>& widths,
                                 const NetworkConfig& cfg) {
  const bool resnet = base == ChannelSpace::Base::ResNet;
  const char* what = resnet ? "channel-resnet network" : "channel-mobilenet network";
  check_widths(widths, what);
  check_network_config(cfg, what);
  std::vector<int64_t> w(widths.begin(), widths.end());
  LayoutCounter c(cfg.image_size);
  auto conv_bn = [&](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups) {
    c.conv(in, out, kernel, stride, groups);
    c.batch_norm(out);
  };
  conv_bn(cfg.in_channels, w[0], 3, 2, 1);
  if (resnet) {
    auto block = [&](int64_t in, int64_t hidden, int64_t out, int64_t stride) {
      conv_bn(in, hidden, 3, stride, 1);
      conv_bn(hidden, out, 3, 1, 1);
    };
    block(w[0], w[1], w[0], 1);
    block(w[0], w[2], w[0], 1);
    block(w[0], w[3], w[4], 2);
    block(w[4], w[5], w[4], 1);
    block(w[4], w[6], w[4], 1);
    c.linear(w[4], cfg.num_classes);
  } else {
    auto block = [&](int64_t in, int64_t hidden, int64_t out, int64_t stride) {
      conv_bn(in, hidden, 1, 1, 1);
      conv_bn(hidden, hidden, kMobileNetKernel, stride, hidden);
      conv_bn(hidden, out, 1, 1, 1);
    };
    block(w[0], w[1], w[0], 1);
    block(w[0], w[2], w[0], 1);
    block(w[0], w[3], w[4], 2);
    block(w[4], w[5], w[4], 1);
    conv_bn(w[4], w[6], 1, 1, 1);
    c.linear(w[6], cfg.num_classes);
  }
  return c.stats();
}

}  // namespace nas
