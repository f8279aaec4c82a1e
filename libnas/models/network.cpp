#include "libnas/models/network.h"

#include <string>

#include "libnas/models/channel_net.h"
#include "libnas/models/flops.h"
#include "libnas/models/macro_net.h"
#include "libnas/models/nag_net.h"
#include "libnas/models/nasnet.h"
#include "libnas/models/nb201_net.h"
#include "libnas/models/param_count.h"
#include "libnas/spaces/channel.h"
#include "libnas/spaces/macro.h"
#include "libnas/spaces/nb201.h"
#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const std::vector<std::string>& spaces_with_networks() {
  static const std::vector<std::string> names{"nb201", "macro", "channel-resnet", "channel-mobilenet",
                                              "nao", "nao-11", "darts", "nag"};
  return names;
}

std::shared_ptr<NetworkImpl> build_network(const SearchSpace& space, const Arch& arch,
                                           const NetworkConfig& cfg) {
  const std::string name = space.name();
  if (name == "nb201") return build_nb201_network(space, arch, cfg);
  if (name == "macro") return build_macro_network(space, arch, cfg);
  if (name == "channel-resnet" || name == "channel-mobilenet")
    return build_channel_network(space, arch, cfg);
  if (name == "nao" || name == "nao-11" || name == "darts") return build_nasnet(space, arch, cfg);
  if (name == "nag") return build_nag_network(space, arch, cfg);
  fail("build_network: space {} has no network; networks exist for {}", quote(name),
       join(spaces_with_networks(), ", "));
}

std::optional<ModelStats> closed_form_stats(const SearchSpace& space, const Arch& arch,
                                            const NetworkConfig& cfg) {
  const std::string name = space.name();
  if (name == "nb201") {
    const auto* nb201 = dynamic_cast<const Nb201Space*>(&space);
    NAS_CHECK(nb201 != nullptr, "nb201 network: expected the nb201 space, found space {}", name);
    return nb201_network_stats(nb201->edge_ops(arch), cfg);
  }
  if (name == "macro") {
    const auto* macro = dynamic_cast<const MacroSpace*>(&space);
    NAS_CHECK(macro != nullptr, "macro network: expected the macro space, found space {}", name);
    return macro_network_stats(macro->layer_ops(arch), cfg);
  }
  if (name == "channel-resnet" || name == "channel-mobilenet") {
    const auto* channel = dynamic_cast<const ChannelSpace*>(&space);
    NAS_CHECK(channel != nullptr,
              "channel network: expected the channel-resnet or channel-mobilenet space, found "
              "space {}",
              name);
    channel->validate(arch);
    return channel_network_stats(channel->base(), channel->widths(arch), cfg);
  }
  return std::nullopt;
}

int64_t param_count(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg) {
  if (const std::optional<ModelStats> stats = closed_form_stats(space, arch, cfg))
    return stats->params;
  const std::string name = space.name();
  if (name == "nao" || name == "nao-11" || name == "darts")
    return nasnet_param_count(space, arch, cfg);
  if (name == "nag") return nag_param_count(space, arch, cfg);
  fail("param_count: space {} has no network; networks exist for nb201, macro, "
       "channel-resnet, channel-mobilenet, nao, nao-11, darts and nag",
       quote(name));
}

bool prefers_channels_last(torch::Device device) { return device.is_cpu(); }

torch::Tensor to_channels_last(const torch::Tensor& x) {
  NAS_CHECK(x.dim() == 4, "channels-last: expected a 4-d tensor, found {} dimensions", x.dim());
  return torch::empty_like(x, torch::MemoryFormat::ChannelsLast).copy_(x);
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(to_channels_last(p.data()));
  for (auto& b : module.buffers())
    if (b.dim() == 4) b.set_data(to_channels_last(b.data()));
}

ModelStats model_stats(NetworkImpl& net, const NetworkConfig& cfg) {
  NAS_CHECK(cfg.in_channels >= 1 && cfg.image_size >= 1,
            "model_stats: expected a positive in_channels and image_size, found {} and {}",
            cfg.in_channels, cfg.image_size);
  ModelStats stats;
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
  bool first = true;
  for (const auto& item : net.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& p = item.value();
    if (first) {
      device = p.device();
      dtype = p.scalar_type();
      first = false;
    }
    if (!p.requires_grad()) continue;
    // Parameters are named by their module path, so the auxiliary head is the subtree whose
    // top-level name starts with "auxiliary".
    if (starts_with(item.key(), "auxiliary"))
      stats.aux_params += p.numel();
    else
      stats.params += p.numel();
  }

  const bool was_training = net.is_training();
  net.eval();
  try {
    torch::NoGradGuard no_grad;
    torch::Tensor x =
        torch::zeros({1, cfg.in_channels, cfg.image_size, cfg.image_size},
                     torch::TensorOptions().device(device).dtype(dtype));
    FlopScope scope;
    net.forward(x);
    stats.flops = scope.total();
  } catch (const c10::Error& e) {
    net.train(was_training);
    // A shape LibTorch rejects is a configuration mistake (e.g. an image too small for the
    // network's strides): one line, without LibTorch's backtrace.
    std::string what = e.what_without_backtrace();
    what = what.substr(0, what.find('\n'));
    fail("model_stats: forward of a 1 x {} x {} x {} input failed: {}", cfg.in_channels,
         cfg.image_size, cfg.image_size, what);
  } catch (...) {
    net.train(was_training);
    throw;
  }
  net.train(was_training);
  return stats;
}

ModelStats model_stats(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg) {
  auto net = build_network(space, arch, cfg);
  return model_stats(*net, cfg);
}

}  // namespace nas
