// NAG GAN speed: training iterations per second (the discriminator step and the generator step
// of NagGan::train_epoch: least-squares losses, Adam, clipping when configured, straight-through
// fakes) on random architectures of a space with random condition labels, and sampling in
// architectures per second (NagGan::sample: the generator under no-grad with sampling dropout,
// the discriminator's score, decoding and repair). The sizes are those of
// configs/nag_multiobj.yaml (node states 64, graph embeddings 32, two conditions of three
// classes, batch 32). bench/nag_gan.py measures the same model in PyTorch's Python API.
//
// The warm-up is long on purpose: what a forward pass costs depends on what the generator
// builds (its loop runs until every sample of the batch has its output vertex, and message
// passing is skipped while no sample has an edge), and early training goes through phases where
// it emits no edges (around iterations 100-150 on NB201) or stops early, several times cheaper.
// From about iteration 300 on it built full cells with about as many edges as the real ones in
// every run tried, on either side; the timed iterations and the sampling come after 400. The train
// line reports the vertices and edges per cell it builds at the end, so runs can be checked.
//
//   nag_gan --space nb201 --iters 100 --samples 100 --sample-batches 50 --threads 2
#include <chrono>
#include <cstdio>

#include "generators/nag/nag_gan.h"
#include "libnas/util/cli.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace {

// `n` random architectures with accuracies and parameter counts drawn uniformly, so that the
// terciles the GAN's labels come from split them evenly: random archs with random labels.
std::vector<nas::nag::NasRecord> random_records(const nas::SearchSpace& space, int64_t n,
                                                nas::Rng& rng) {
  std::vector<nas::nag::NasRecord> out;
  for (int64_t i = 0; i < n; ++i) {
    nas::nag::NasRecord r;
    r.arch = space.sample(rng);
    r.acc = rng.uniform(80.0, 95.0);
    r.params = rng.uniform(1e5, 2e6);
    out.push_back(std::move(r));
  }
  return out;
}

int64_t count_params(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("nag_gan",
                 "Measures NAG GAN training (iterations per second: discriminator step + "
                 "generator step) and sampling (architectures per second: generator, "
                 "discriminator score, decoding) on random architectures of a space.");
  tool.example("nag_gan --space nb201 --iters 100 --threads 2",
               "NB201 cells, the sizes of configs/nag_multiobj.yaml");
  nas::CommonOptions common;
  tool.add_common(common, nas::kDeviceFlag);
  std::string space_name = "nb201";
  int64_t iters = 100, warmup = 400, batch = 32, samples = 100, sample_batches = 50,
          sample_warmup = 5, seed = 0;
  double clip_norm = 0.0;
  CLI::App& app = tool.app();
  auto option = [&](const char* flag, auto& value, const char* what) {
    app.add_option(flag, value, what)->capture_default_str();
  };
  option("--space", space_name, "Search space (any with a graph view)");
  option("--iters", iters, "Timed training iterations (one epoch)");
  option("--warmup", warmup, "Untimed training iterations first (one epoch before)");
  option("--batch-size", batch, "Architectures per training iteration");
  option("--samples", samples, "Architectures per sampling call");
  option("--sample-batches", sample_batches, "Timed sampling calls");
  option("--sample-warmup", sample_warmup, "Untimed sampling calls first");
  option("--clip-norm", clip_norm, "Gradient-norm clip (0 = off, as configured)");
  option("--seed", seed, "Seed of the data, the weights and the noise");
  return tool.run(argc, argv, [&]() -> int {
    NAS_CHECK(iters >= 1 && batch >= 1 && samples >= 1 && sample_batches >= 1 && warmup >= 0 &&
                  sample_warmup >= 0 && clip_norm >= 0,
              "--iters, --batch-size, --samples and --sample-batches must be positive, the "
              "warm-ups and --clip-norm >= 0");
    nas::init_threads(common.threads);
    const torch::Device device = nas::parse_device(common.device);
    std::shared_ptr<const nas::SearchSpace> space = nas::make_space(space_name);

    // configs/nag_multiobj.yaml; the rest as GanConfig's defaults. No quality samples: an epoch
    // is its iterations only.
    nas::nag::GanConfig cfg;
    cfg.conditions = {"acc", "params"};
    cfg.classes = 3;
    cfg.seed = seed;
    cfg.model.g_node_size = 64;
    cfg.model.g_graph_size = 32;
    cfg.model.d_node_size = 64;
    cfg.model.d_graph_size = 32;
    cfg.train.batch_size = batch;
    cfg.train.clip_norm = clip_norm;
    cfg.train.quality_samples = 0;

    // One data set per epoch: `warmup` iterations, then `iters` timed ones, each an epoch of
    // exactly that many batches. The scales (terciles) are fitted to the timed data.
    nas::Rng rng(static_cast<uint64_t>(seed));
    auto timed_data = random_records(*space, iters * batch, rng);
    nas::nag::NagGan gan(space, cfg, nas::nag::NagGan::fit_scales(cfg, timed_data), device);
    const int64_t g_params = count_params(*gan.generator());
    const int64_t d_params = count_params(*gan.discriminator());
    if (warmup > 0) {
      gan.set_data(random_records(*space, warmup * batch, rng));
      gan.train_epoch(1);
    }
    gan.set_data(timed_data);
    auto start = std::chrono::steady_clock::now();
    gan.train_epoch(2);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // What the generator builds now, not timed: vertices and edges per cell. The cost of a
    // forward pass depends on both: the loop runs until every sample of the batch has its output,
    // and message passing is skipped while no sample has an edge (a generator that has learnt to
    // emit no edges is several times faster).
    double nodes = 0, edges = 0;
    {
      torch::NoGradGuard no_grad;
      const auto conditions = static_cast<int64_t>(cfg.conditions.size());
      auto labels = torch::randint(0, cfg.classes, {batch, conditions}, torch::kInt64).to(device);
      nas::GraphBatch fake =
          gan.generator()->forward(torch::randn({batch, cfg.model.latent_dim}).to(device), labels);
      nodes = fake.num_nodes.to(torch::kFloat64).mean().item<double>();
      edges = fake.adj.gt(0.5).sum().item<double>() / static_cast<double>(fake.adj.size(0) *
                                                                         fake.adj.size(1));
    }
    std::printf("nasgen nag_gan train space=%s g_params=%lld d_params=%lld batch=%lld threads=%d "
                "it/s=%.2f ms/it=%.1f nodes=%.2f edges=%.2f\n",
                space_name.c_str(), static_cast<long long>(g_params),
                static_cast<long long>(d_params), static_cast<long long>(batch),
                torch::get_num_threads(), iters / s, 1000.0 * s / iters, nodes, edges);
    std::fflush(stdout);

    // Sampling as generate_archs asks for it: one label per condition (the top accuracy class,
    // the middle parameter class), a fresh noise seed per call.
    const std::vector<int64_t> labels{cfg.classes - 1, cfg.classes / 2};
    int64_t valid = 0;
    auto sample = [&](int64_t call) {
      nas::nag::Generated g = gan.sample(labels, samples, static_cast<uint64_t>(seed + call));
      for (const auto& a : g.archs) valid += a.has_value();
    };
    for (int64_t i = 0; i < sample_warmup; ++i) sample(i);
    valid = 0;
    start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < sample_batches; ++i) sample(sample_warmup + i);
    s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("nasgen nag_gan sample space=%s g_params=%lld d_params=%lld batch=%lld threads=%d "
                "archs/s=%.0f ms/batch=%.2f valid=%.3f\n",
                space_name.c_str(), static_cast<long long>(g_params),
                static_cast<long long>(d_params), static_cast<long long>(samples),
                torch::get_num_threads(), sample_batches * samples / s,
                1000.0 * s / sample_batches,
                static_cast<double>(valid) / static_cast<double>(sample_batches * samples));
    return 0;
  });
}
