#include "libnas/models/param_count.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "libnas/models/network.h"
#include "libnas/spaces/darts.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

// The reference: the built network's trainable parameters outside the auxiliary head (the
// modules model_stats leaves out of `params`). No forward pass; inference mode only makes the
// tensors cheaper to create (parameters still require grad).
int64_t built_params(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg) {
  c10::InferenceMode guard;
  auto net = build_network(space, arch, cfg);
  int64_t n = 0;
  for (const auto& p : net->named_parameters())
    if (p.key().rfind("auxiliary", 0) != 0 && p.value().requires_grad()) n += p.value().numel();
  return n;
}

int64_t numel(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

std::string describe(const NetworkConfig& c) {
  return fmt::format("C {} N {} classes {} in {} imagenet {} aux {}", c.channels, c.layers,
                     c.num_classes, c.in_channels, c.imagenet, c.auxiliary);
}

NetworkConfig config(int64_t channels, int64_t layers, int64_t classes = 10) {
  NetworkConfig cfg;
  cfg.channels = channels;
  cfg.layers = layers;
  cfg.num_classes = classes;
  return cfg;
}

// Every field a count can depend on, drawn small: building a network costs about a
// millisecond at these sizes against tens at the default C = 36, N = 6, and the closed form
// has no special case for size. The auxiliary head is rare: its 128 -> 768 2x2 conv makes a
// small network several times slower to build.
NetworkConfig small_config(Rng& rng) {
  NetworkConfig cfg;
  cfg.channels = 2 * rng.uniform_int(1, 3);
  cfg.layers = 1 + static_cast<int64_t>(rng.weighted_index({90, 9, 1}));
  cfg.num_classes = rng.choice(std::vector<int64_t>{1, 10, 100});
  cfg.in_channels = rng.uniform_int(1, 4);
  cfg.imagenet = rng.bernoulli(0.3);
  cfg.auxiliary = rng.bernoulli(0.01);
  return cfg;
}

// How often each config variant came up, so a check cannot silently skip one.
struct Variety {
  int imagenet = 0, auxiliary = 0, deeper = 0, one_channel = 0, one_class = 0;
  void add(const NetworkConfig& c) {
    imagenet += c.imagenet;
    auxiliary += c.auxiliary;
    deeper += c.layers > 1;
    one_channel += c.in_channels == 1;
    one_class += c.num_classes == 1;
  }
};

// Counts a mismatch of the closed form and the built network, reporting the first five.
void count_mismatch(const SearchSpace& space, const Arch& arch, const NetworkConfig& cfg,
                    int& mismatches) {
  const int64_t closed = param_count(space, arch, cfg);
  const int64_t built = built_params(space, arch, cfg);
  if (closed != built && ++mismatches <= 5)
    ADD_FAILURE() << space.name() << " " << space.format(arch) << " (" << describe(cfg)
                  << "): closed form " << closed << ", built " << built;
}

// `count` random archs of a cell space with small random configs, then `at_default` more at
// NetworkConfig's defaults (C = 36, N = 6, CIFAR).
void check_cell_space(const std::string& name, int count, int at_default, uint64_t seed) {
  auto space = make_space(name);
  Rng rng(seed);
  Variety v;
  int mismatches = 0;
  for (int i = 0; i < count + at_default; ++i) {
    const Arch arch = space->sample(rng);
    const NetworkConfig cfg = i < count ? small_config(rng) : NetworkConfig{};
    if (i < count) v.add(cfg);
    count_mismatch(*space, arch, cfg, mismatches);
  }
  EXPECT_EQ(mismatches, 0) << name;
  for (int n : {v.imagenet, v.auxiliary, v.deeper, v.one_channel, v.one_class})
    EXPECT_GT(n, 0) << name;
}

// ---- Pieces ---------------------------------------------------------------------------------

TEST(ParamCount, OpsCalibrationAndFactorizedReduceMatchModules) {
  const std::vector<OpKind> kinds = {
      OpKind::Identity,    OpKind::SepConv3x3,     OpKind::SepConv5x5,     OpKind::DilConv3x3,
      OpKind::DilConv5x5,  OpKind::Conv1x1,        OpKind::Conv3x3,        OpKind::Conv1x3_3x1,
      OpKind::Conv1x7_7x1, OpKind::MaxPool2x2,     OpKind::MaxPool3x3,     OpKind::MaxPool5x5,
      OpKind::AvgPool2x2,  OpKind::AvgPool3x3,     OpKind::AvgPool3x3Incl, OpKind::AvgPool5x5Incl};
  for (OpKind kind : kinds)
    for (int64_t c : {2, 6})
      for (int64_t stride : {1, 2})
        for (bool relu_first : {false, true})
          EXPECT_EQ(op_params(kind, c, stride), numel(*make_op(kind, c, stride, relu_first)))
              << op_kind_name(kind) << " C " << c << " stride " << stride;
  // Spot values: sep conv 3x3 on 4 channels = 2 (36 + 16 + 8); identity at stride 2 reduces.
  EXPECT_EQ(op_params(OpKind::SepConv3x3, 4, 1), 120);
  EXPECT_EQ(op_params(OpKind::Identity, 4, 1), 0);
  EXPECT_EQ(op_params(OpKind::Identity, 4, 2), 16 + 8);
  EXPECT_THROW(op_params(OpKind::Conv3x3, 4, 3), Error);

  for (int64_t in : {3, 8})
    for (int64_t out : {2, 8}) {
      FactorizedReduceImpl fr(in, out, false);
      EXPECT_EQ(factorized_reduce_params(in, out), numel(fr)) << in << " -> " << out;
    }
  EXPECT_THROW(factorized_reduce_params(4, 3), Error);

  for (int64_t c0 : {4, 8, 12})
    for (int64_t c1 : {4, 12})
      for (bool reduce_s0 : {false, true})
        for (bool always : {false, true}) {
          CalibrateInputsImpl calibrate(c0, c1, 4, reduce_s0, always);
          EXPECT_EQ(calibrate_params(c0, c1, 4, reduce_s0, always), numel(calibrate))
              << c0 << " " << c1 << " " << reduce_s0 << " " << always;
        }
}

// The closed forms alone against the figures nasnet_test and nag_net_test check on built
// networks (the references' published counts).
TEST(ParamCount, PublishedArchitectures) {
  auto darts = make_space("darts");
  EXPECT_EQ(param_count(*darts, darts->parse(DartsSpace::darts_v2()), config(36, 6)), 3349342);
  auto nao11 = make_space("nao-11");
  const Arch naonet_a = nao11->parse(NaoCellSpace::naonet_a());
  EXPECT_NEAR(param_count(*nao11, naonet_a, config(36, 6)) / 1e6, 11.470, 0.001);
  EXPECT_NEAR(param_count(*nao11, naonet_a, config(36, 6, 100)) / 1e6, 11.509, 0.001);
  NetworkConfig imagenet = config(42, 4, 1000);
  imagenet.imagenet = true;
  imagenet.image_size = 224;
  EXPECT_NEAR(param_count(*nao11, naonet_a, imagenet) / 1e6, 11.354, 0.001);
  auto nao = make_space("nao");
  EXPECT_NEAR(param_count(*nao, nao->parse(NaoCellSpace::naonet_b()), config(36, 6)) / 1e6,
              2.921, 0.001);
  auto nag = make_space("nag");
  const Arch rs_nag = NagCellSpace::published("RS-NAG");
  EXPECT_NEAR(param_count(*nag, rs_nag, config(36, 6)) / 1e6, 4.27, 0.005);
  imagenet.channels = 48;
  EXPECT_NEAR(param_count(*nag, rs_nag, imagenet) / 1e6, 6.28, 0.005);
}

// ---- The closed form against built networks -------------------------------------------------

TEST(ParamCount, NaoMatchesBuiltNetworks) { check_cell_space("nao", 10000, 50, 1); }
TEST(ParamCount, Nao11MatchesBuiltNetworks) { check_cell_space("nao-11", 10000, 50, 2); }
TEST(ParamCount, DartsMatchesBuiltNetworks) { check_cell_space("darts", 10000, 50, 3); }
TEST(ParamCount, NagMatchesBuiltNetworks) { check_cell_space("nag", 10000, 50, 4); }

// Every NB201 cell at a small random config, and a sample at the benchmark's C = 16, N = 5.
TEST(ParamCount, Nb201MatchesBuiltNetworksForEveryCell) {
  auto space = make_space("nb201");
  Rng rng(5);
  int cells = 0, mismatches = 0;
  space->enumerate([&](const Arch& arch) {
    NetworkConfig cfg = config(16, 5, 100);
    if (cells % 150 != 0) {
      cfg.channels = rng.uniform_int(1, 4);
      cfg.layers = rng.bernoulli(0.1) ? 2 : 1;
      cfg.num_classes = rng.choice(std::vector<int64_t>{1, 10, 100});
      cfg.in_channels = rng.uniform_int(1, 4);
    }
    ++cells;
    const int64_t closed = param_count(*space, arch, cfg);
    const int64_t built = built_params(*space, arch, cfg);
    if (closed != built && ++mismatches <= 5)
      ADD_FAILURE() << space->format(arch) << " (" << describe(cfg) << "): closed form "
                    << closed << ", built " << built;
  });
  EXPECT_EQ(cells, 15625);
  EXPECT_EQ(mismatches, 0);
}

// The benchmark networks: fixed (macro) or arch-given (channel) widths of up to 1280.
// `count` architectures of the space (all when it has no more), each with a random class count
// and input channel count. Their closed forms also match the benchmarks' tables for every key
// (macro_net_test, channel_net_test).
void check_benchmark_space(const std::string& name, uint64_t count, uint64_t seed) {
  auto space = make_space(name);
  Rng rng(seed);
  std::vector<Arch> archs;
  const uint64_t size = space->size().value();
  if (count >= size) {
    space->enumerate([&](const Arch& a) { archs.push_back(a); });
  } else {
    std::unordered_set<std::string> seen;
    while (archs.size() < count) {
      Arch a = space->sample(rng);
      if (seen.insert(space->hash(a)).second) archs.push_back(std::move(a));
    }
  }
  ASSERT_EQ(archs.size(), std::min(count, size));
  int mismatches = 0;
  for (const Arch& arch : archs) {
    NetworkConfig cfg;
    cfg.num_classes = rng.choice(std::vector<int64_t>{1, 10, 100});
    cfg.in_channels = rng.uniform_int(1, 4);
    count_mismatch(*space, arch, cfg, mismatches);
  }
  EXPECT_EQ(mismatches, 0) << name;
}

// About 10 ms a network for macro and 3.5 ms for channel-mobilenet, the time going to the
// weights' random initialisation; channel-resnet's are larger, so the suite checks 500 of them
// and NASGEN_LONG_TESTS=1 asks for 10,000.
TEST(ParamCount, MacroMatchesBuiltNetworksForEveryArch) { check_benchmark_space("macro", 6561, 6); }
TEST(ParamCount, ChannelMobileNetMatchesBuiltNetworks) {
  check_benchmark_space("channel-mobilenet", 10000, 7);
}
TEST(ParamCount, ChannelResNetMatchesBuiltNetworks) {
  check_benchmark_space("channel-resnet", std::getenv("NASGEN_LONG_TESTS") ? 10000 : 500, 8);
}

// model_stats itself (a forward pass, the auxiliary head split off by name) agrees.
TEST(ParamCount, EqualsModelStats) {
  Rng rng(7);
  for (const char* name : {"nb201", "macro", "channel-resnet", "channel-mobilenet", "nao",
                           "nao-11", "darts", "nag"}) {
    auto space = make_space(name);
    for (int i = 0; i < 2; ++i) {
      const Arch arch = space->sample(rng);
      NetworkConfig cfg = config(4, 1, 10);
      cfg.in_channels = i == 0 ? 3 : 1;
      cfg.image_size = i == 0 ? 32 : 28;
      cfg.auxiliary = i == 1;
      const ModelStats stats = model_stats(*space, arch, cfg);
      EXPECT_EQ(param_count(*space, arch, cfg), stats.params) << name << " " << describe(cfg);
      const std::string n = name;
      const bool cell_space = n == "nao" || n == "nao-11" || n == "darts" || n == "nag";
      if (cell_space && cfg.auxiliary) {
        EXPECT_GT(stats.aux_params, 0) << name;
      }
    }
  }
}

// closed_form_stats: the FLOPs of a counted forward too, at several widths, input sizes and class
// counts, for every space that has it; the cell spaces have none.
TEST(ParamCount, ClosedFormStatsEqualModelStats) {
  Rng rng(11);
  int compared = 0;
  for (const auto& [name, archs] : std::vector<std::pair<std::string, int>>{
           {"nb201", 60}, {"macro", 20}, {"channel-resnet", 6}, {"channel-mobilenet", 10}}) {
    auto space = make_space(name);
    for (int i = 0; i < archs; ++i) {
      const Arch arch = space->sample(rng);
      NetworkConfig cfg = config(name == "nb201" ? rng.uniform_int(2, 16) : 36,
                                 name == "nb201" ? rng.uniform_int(1, 3) : 6,
                                 rng.choice(std::vector<int64_t>{10, 100, 120}));
      cfg.in_channels = rng.uniform_int(1, 3);
      cfg.image_size = rng.choice(std::vector<int64_t>{16, 28, 32});
      const std::optional<ModelStats> closed = closed_form_stats(*space, arch, cfg);
      ASSERT_TRUE(closed.has_value()) << name;
      const ModelStats built = model_stats(*space, arch, cfg);
      EXPECT_EQ(closed->params, built.params) << name << " " << describe(cfg);
      EXPECT_EQ(closed->flops, built.flops) << name << " " << describe(cfg);
      EXPECT_EQ(closed->aux_params, 0);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 96);
  for (const char* name : {"nao", "nao-11", "darts", "nag"}) {
    auto space = make_space(name);
    EXPECT_FALSE(closed_form_stats(*space, space->sample(rng), config(4, 1, 10)).has_value())
        << name;
  }
}

// Fields that change no parameter leave the count alone.
TEST(ParamCount, IgnoresAuxiliaryImageSizeAndRegularisation) {
  auto space = make_space("nag");
  const Arch arch = NagCellSpace::published("RS-NAG-E1");
  const NetworkConfig base = config(8, 2);
  NetworkConfig other = base;
  other.auxiliary = true;
  other.image_size = 64;
  other.dropout = 0.3;
  other.drop_path_keep = 0.6;
  EXPECT_EQ(param_count(*space, arch, other), param_count(*space, arch, base));
  other.num_classes = 11;  // the classifier grows by one row
  EXPECT_GT(param_count(*space, arch, other), param_count(*space, arch, base));
}

// The same errors as build_network: no network for the space, an arch of another space, a
// config the cell networks reject.
TEST(ParamCount, RejectsWhatBuildNetworkRejects) {
  auto nb101 = make_space("nb101");
  Rng rng(8);
  try {
    param_count(*nb101, nb101->sample(rng), NetworkConfig{});
    FAIL() << "expected nas::Error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("param_count"), std::string::npos) << what;
    EXPECT_NE(what.find("nb101"), std::string::npos) << what;
  }
  auto nao = make_space("nao");
  auto nao11 = make_space("nao-11");
  auto nag = make_space("nag");
  const Arch naonet_a = nao11->parse(NaoCellSpace::naonet_a());
  EXPECT_THROW(param_count(*nao, naonet_a, config(8, 1)), Error);
  EXPECT_THROW(build_network(*nao, naonet_a, config(8, 1)), Error);
  EXPECT_THROW(param_count(*nag, naonet_a, config(8, 1)), Error);
  for (const NetworkConfig& bad : {config(7, 1), config(8, 0), config(8, 1, 0)}) {
    EXPECT_THROW(param_count(*nao11, naonet_a, bad), Error) << describe(bad);
    EXPECT_THROW(build_network(*nao11, naonet_a, bad), Error) << describe(bad);
  }
  EXPECT_THROW(param_count(*nag, NagCellSpace::published("RS-NAG"), config(7, 1)), Error);
}

}  // namespace
}  // namespace nas
