#include "generators/nag/nag_gan.h"

#include <chrono>
#include <cmath>

#include "libnas/train/adam.h"
#include "libnas/train/trainer.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas::nag {

void GanTrainConfig::validate(const std::string& where) const {
  NAS_CHECK(epochs >= 0, "config key {}.epochs: expected >= 0, found {}", where, epochs);
  NAS_CHECK(batch_size >= 1, "config key {}.batch_size: expected >= 1, found {}", where, batch_size);
  NAS_CHECK(lr > 0, "config key {}.lr: expected a positive value, found {}", where, lr);
  NAS_CHECK(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
            "config key {}.beta1/beta2: expected values in [0, 1), found {} and {}", where, beta1,
            beta2);
  NAS_CHECK(clip_norm >= 0, "config key {}.clip_norm: expected >= 0, found {}", where, clip_norm);
  NAS_CHECK(quality_samples >= 0, "config key {}.quality_samples: expected >= 0, found {}", where,
            quality_samples);
}

void GanConfig::validate() const {
  NAS_CHECK(!conditions.empty() && conditions.size() <= 2 && conditions[0] == "acc" &&
                (conditions.size() == 1 || conditions[1] == "params"),
            "config key conditions: expected [acc] or [acc, params], found [{}]",
            fmt::join(conditions, ", "));
  NAS_CHECK(classes >= 2 && classes <= 100, "config key classes: expected 2..100, found {}", classes);
  NAS_CHECK(seed >= 0, "config key seed: expected >= 0, found {}", seed);
  model.validate("model");
  train.validate("train");
}

Json EpochStats::to_json() const {
  return {{"epoch", epoch},       {"d_loss", d_loss},         {"g_loss", g_loss},
          {"validity", validity}, {"uniqueness", uniqueness}, {"novelty", novelty},
          {"seconds", seconds}};
}

std::vector<std::optional<Arch>> decode_generated(
    const SearchSpace& space, const GraphBatch& batch, std::vector<bool>* repaired,
    const std::vector<std::optional<CellDag>>& topology) {
  std::vector<Arch> raw = from_graph_batch(batch, 0.5);
  const int num_inputs = static_cast<int>(space.vocab().input_ids.size());
  std::vector<int> inputs;
  for (int i = 0; i < num_inputs; ++i) inputs.push_back(i);
  std::vector<std::optional<Arch>> out;
  if (repaired) repaired->assign(raw.size(), false);
  for (size_t b = 0; b < raw.size(); ++b) {
    if (space.is_valid(raw[b])) {
      out.emplace_back(std::move(raw[b]));
      continue;
    }
    Arch fixed;
    for (size_t c = 0; c < raw[b].cells.size(); ++c) {
      const CellDag& cell = raw[b].cells[c];
      if (c < topology.size() && topology[c] && topology[c]->num_nodes() == cell.num_nodes()) {
        fixed.cells.emplace_back(cell.ops, topology[c]->adj);
      } else if (cell.num_nodes() <= num_inputs) {
        fixed.cells.push_back(cell);
      } else {
        fixed.cells.push_back(prune(cell, inputs, cell.num_nodes() - 1, inputs));
      }
    }
    if (space.is_valid(fixed)) {
      out.emplace_back(std::move(fixed));
      if (repaired) (*repaired)[b] = true;
    } else {
      out.emplace_back(std::nullopt);
    }
  }
  return out;
}

struct NagGan::Optimisers {
  FlatAdam g, d;
};

namespace {

// Everything a checkpoint holds, as one module.
struct GanModules : torch::nn::Module {
  GanModules(Generator g, Discriminator d) {
    register_module("generator", g);
    register_module("discriminator", d);
  }
};

// The random streams of a run, each a function of (seed, epoch) only.
enum Stream : uint64_t { kInitStream = 0x77, kTrainStream = 1, kOrderStream = 2, kQualityStream = 3 };

uint64_t stream_seed(uint64_t seed, uint64_t epoch, Stream what) {
  return mix64(mix64(seed * 0x9e3779b97f4a7c15ULL + epoch) ^ what);
}

torch::Tensor random_labels(int64_t n, int64_t conditions, int64_t classes, torch::Device device) {
  return torch::randint(0, classes, {n, conditions},
                        torch::TensorOptions().dtype(torch::kInt64)).to(device);
}

// The generator as sampling runs it, for the scope: dropout on when `dropout` (the
// reference's sampling), its masks from LibTorch's dropout (see set_fast_dropout); back to
// training mode after.
class SamplingMode {
 public:
  SamplingMode(Generator& g, bool dropout) : g_(g) {
    g_->train(dropout);
    g_->set_fast_dropout(false);
  }
  ~SamplingMode() {
    g_->set_fast_dropout(true);
    g_->train();
  }
  SamplingMode(const SamplingMode&) = delete;
  SamplingMode& operator=(const SamplingMode&) = delete;

 private:
  Generator& g_;
};

}  // namespace

NagGan::NagGan(std::shared_ptr<const SearchSpace> space, const GanConfig& cfg,
               std::vector<ConditionScale> scales, torch::Device device)
    : space_(std::move(space)), cfg_(cfg), scales_(std::move(scales)), device_(device),
      shape_(GraphShape::of(*space_)) {
  cfg_.validate();
  NAS_CHECK(scales_.size() == cfg_.conditions.size(), "gan: {} condition scales for {} conditions",
            scales_.size(), cfg_.conditions.size());
  for (const auto& s : scales_)
    NAS_CHECK(s.classes() == cfg_.classes, "gan: condition {} has {} classes, the config {}", s.name,
              s.classes(), cfg_.classes);
  torch::manual_seed(stream_seed(static_cast<uint64_t>(cfg_.seed), 0, kInitStream));
  const int nc = static_cast<int>(cfg_.conditions.size());
  g_ = Generator(shape_, cfg_.model, nc, cfg_.classes);
  d_ = Discriminator(shape_, cfg_.model, nc, cfg_.classes);
  g_->to(device_);
  d_->to(device_);
  const AdamConfig adam{cfg_.train.lr, cfg_.train.beta1, cfg_.train.beta2, 1e-8, 0.0};
  opt_ = std::make_shared<Optimisers>(Optimisers{FlatAdam(g_->parameters(), adam),
                                                 FlatAdam(d_->parameters(), adam)});
}

std::vector<ConditionScale> NagGan::fit_scales(const GanConfig& cfg,
                                               const std::vector<NasRecord>& records) {
  std::vector<ConditionScale> out;
  for (const auto& name : cfg.conditions) {
    std::vector<double> values;
    for (const auto& r : records) values.push_back(condition_value(r, name));
    out.push_back(ConditionScale::fit(name, values, cfg.classes));
  }
  return out;
}

void NagGan::set_data(const std::vector<NasRecord>& records) {
  NAS_CHECK(!records.empty(), "gan: no training records");
  std::vector<Arch> archs;
  auto labels = torch::zeros({static_cast<int64_t>(records.size()),
                              static_cast<int64_t>(cfg_.conditions.size())},
                             torch::kInt64);
  auto l = labels.accessor<int64_t, 2>();
  real_hashes_.clear();
  for (size_t i = 0; i < records.size(); ++i) {
    archs.push_back(records[i].arch);
    real_hashes_.insert(space_->hash(records[i].arch));
    for (size_t k = 0; k < cfg_.conditions.size(); ++k)
      l[static_cast<int64_t>(i)][static_cast<int64_t>(k)] =
          scales_[k].label(condition_value(records[i], cfg_.conditions[k]));
  }
  real_ = to_graph_batch(*space_, archs, device_);
  topology_.assign(static_cast<size_t>(shape_.cells), std::nullopt);
  for (size_t c = 0; c < topology_.size(); ++c) {
    bool shared = true;
    for (const Arch& a : archs) shared = shared && a.cells[c].adj == archs[0].cells[c].adj;
    if (shared) topology_[c] = archs[0].cells[c];
  }
  real_labels_ = labels.to(device_);
}

EpochStats NagGan::train_epoch(int64_t epoch) {
  NAS_CHECK(real_labels_.defined(), "gan: train_epoch before set_data");
  const auto start = std::chrono::steady_clock::now();
  const uint64_t seed = static_cast<uint64_t>(cfg_.seed);
  torch::manual_seed(stream_seed(seed, static_cast<uint64_t>(epoch), kTrainStream));
  Rng rng(stream_seed(seed, static_cast<uint64_t>(epoch), kOrderStream));
  const int64_t N = real_labels_.size(0);
  const int64_t batch = std::min(cfg_.train.batch_size, N);
  const int64_t iters = N / batch;
  std::vector<int64_t> order(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) order[static_cast<size_t>(i)] = i;
  rng.shuffle(order);
  auto index = torch::tensor(order, torch::kInt64).to(device_);
  const int64_t nc = static_cast<int64_t>(cfg_.conditions.size());
  g_->train();
  d_->train();
  double d_sum = 0, g_sum = 0;
  std::vector<torch::Tensor> d_losses, g_losses;
  for (int64_t it = 0; it < iters; ++it) {
    torch::Tensor idx = index.narrow(0, it * batch, batch);
    GraphBatch real{real_.adj.index_select(0, idx), real_.ops.index_select(0, idx),
                    real_.num_nodes.index_select(0, idx)};
    torch::Tensor real_labels = real_labels_.index_select(0, idx);

    GraphBatch fake;
    torch::Tensor fake_labels = random_labels(batch, nc, cfg_.classes, device_);
    {
      torch::NoGradGuard no_grad;
      fake = g_->forward(torch::randn({batch, cfg_.model.latent_dim}).to(device_), fake_labels);
    }
    torch::Tensor d_real = d_->forward(real, real_labels);
    torch::Tensor d_fake = d_->forward(fake, fake_labels);
    torch::Tensor d_loss = 0.5 * (d_real.pow(2).mean() + (d_fake - 1.0).pow(2).mean());
    opt_->d.zero_grad();
    d_loss.backward();
    if (cfg_.train.clip_norm > 0) opt_->d.clip_grad_norm(cfg_.train.clip_norm);
    opt_->d.step();

    torch::Tensor g_labels = random_labels(batch, nc, cfg_.classes, device_);
    GraphBatch g_fake = g_->forward(torch::randn({batch, cfg_.model.latent_dim}).to(device_), g_labels);
    torch::Tensor g_loss = d_->forward(g_fake, g_labels).pow(2).mean();
    opt_->g.zero_grad();
    g_loss.backward();
    if (cfg_.train.clip_norm > 0) opt_->g.clip_grad_norm(cfg_.train.clip_norm);
    opt_->g.step();
    d_losses.push_back(d_loss.detach());
    g_losses.push_back(g_loss.detach());
  }
  EpochStats s;
  s.epoch = epoch;
  if (iters > 0) {
    d_sum = torch::stack(d_losses).mean().item<double>();
    g_sum = torch::stack(g_losses).mean().item<double>();
  }
  s.d_loss = d_sum;
  s.g_loss = g_sum;
  epochs_done_ = epoch;
  if (cfg_.train.quality_samples > 0)
    measure_quality(cfg_.train.quality_samples,
                    stream_seed(seed, static_cast<uint64_t>(epoch), kQualityStream), s);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Generated NagGan::sample(const std::vector<int64_t>& labels, int64_t n, uint64_t seed) {
  NAS_CHECK(labels.size() == cfg_.conditions.size(), "gan: {} labels for {} conditions",
            labels.size(), cfg_.conditions.size());
  for (int64_t l : labels)
    NAS_CHECK(l >= 0 && l < cfg_.classes, "gan: class {} out of range 0..{}", l, cfg_.classes - 1);
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  SamplingMode sampling(g_, cfg_.sample_dropout);
  d_->eval();
  Generated out;
  std::vector<torch::Tensor> scores;
  const int64_t chunk = 256;
  auto label_row = torch::tensor(labels, torch::kInt64).to(device_);
  for (int64_t done = 0; done < n; done += chunk) {
    const int64_t b = std::min(chunk, n - done);
    torch::Tensor lab = label_row.unsqueeze(0).expand({b, -1}).contiguous();
    GraphBatch fake = g_->forward(torch::randn({b, cfg_.model.latent_dim}).to(device_), lab);
    scores.push_back(d_->forward(fake, lab).to(torch::kCPU));
    std::vector<bool> rep;
    auto archs = decode_generated(*space_, fake, &rep, topology_);
    for (size_t i = 0; i < archs.size(); ++i) {
      out.archs.push_back(std::move(archs[i]));
      out.repaired.push_back(rep[i]);
    }
  }
  out.fakeness = scores.empty() ? torch::zeros({0}) : torch::cat(scores);
  d_->train();
  return out;
}

void NagGan::measure_quality(int64_t n, uint64_t seed, EpochStats& stats) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  GraphBatch fake;
  {
    SamplingMode sampling(g_, cfg_.sample_dropout);
    torch::Tensor labels =
        random_labels(n, static_cast<int64_t>(cfg_.conditions.size()), cfg_.classes, device_);
    fake = g_->forward(torch::randn({n, cfg_.model.latent_dim}).to(device_), labels);
  }
  auto archs = decode_generated(*space_, fake, nullptr, topology_);
  std::unordered_set<std::string> unique;
  int64_t valid = 0, novel = 0;
  for (const auto& a : archs) {
    if (!a) continue;
    ++valid;
    const std::string h = space_->hash(*a);
    if (unique.insert(h).second && !real_hashes_.count(h)) ++novel;
  }
  stats.validity = n > 0 ? static_cast<double>(valid) / static_cast<double>(n) : 0.0;
  stats.uniqueness = valid > 0 ? static_cast<double>(unique.size()) / static_cast<double>(valid) : 0.0;
  stats.novelty = unique.empty() ? 0.0 : static_cast<double>(novel) / static_cast<double>(unique.size());
}

void NagGan::save(const std::string& path, Json meta) const {
  meta["kind"] = "nag_gan";
  meta["space"] = space_->name();
  meta["epochs_done"] = epochs_done_;
  meta["config"] = YAML::Dump(encode_config(cfg_));
  meta["scales"] = Json::array();
  for (const auto& s : scales_) meta["scales"].push_back(s.to_json());
  GanModules modules(g_, d_);
  auto extra = opt_->g.state("g_adam.");
  for (auto& kv : opt_->d.state("d_adam.")) extra.push_back(kv);
  save_checkpoint(path, modules, meta, extra);
}

Json NagGan::load(const std::string& path) {
  Json meta = read_checkpoint_meta(path);
  NAS_CHECK(meta.value("kind", "") == "nag_gan", "{}: not a NAG GAN checkpoint (kind '{}')", path,
            meta.value("kind", ""));
  NAS_CHECK(meta.value("space", "") == space_->name(), "{}: a GAN of space {}, expected {}", path,
            meta.value("space", ""), space_->name());
  GanModules modules(g_, d_);
  auto extra = load_checkpoint(path, modules,
                               {"g_adam.exp_avg", "g_adam.exp_avg_sq", "g_adam.steps",
                                "d_adam.exp_avg", "d_adam.exp_avg_sq", "d_adam.steps"});
  opt_->g.load_state(extra, "g_adam.");
  opt_->d.load_state(extra, "d_adam.");
  scales_ = read_scales(meta);
  epochs_done_ = meta.value("epochs_done", int64_t{0});
  return meta;
}

std::vector<ConditionScale> NagGan::read_scales(const Json& meta) {
  std::vector<ConditionScale> out;
  if (meta.contains("scales"))
    for (const auto& j : meta["scales"]) out.push_back(ConditionScale::from_json(j));
  return out;
}

}  // namespace nas::nag
