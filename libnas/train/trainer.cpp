#include "libnas/train/trainer.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libnas/data/loader.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/progress.h"
#include "libnas/util/rng.h"

namespace nas {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

constexpr const char* kMetaKey = "nasgen_meta";

// The loss of a batch; label smoothing as in PyTorch (target (1 - e) one-hot + e / classes).
torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                  double smoothing) {
  auto options = F::CrossEntropyFuncOptions();
  if (smoothing > 0) options.label_smoothing(smoothing);
  return F::cross_entropy(logits, labels, options);
}

// Everything of a run that a checkpoint must match to be resumed bit for bit (the loader's
// threads and the evaluation batch do not change the weights).
Json setup_of(const TrainConfig& cfg, const Json& meta, uint64_t seed, int64_t train_size,
              bool channels_last) {
  Json j;
  j["channels_last"] = channels_last;
  j["network"] = meta;
  j["seed"] = seed;
  j["train_size"] = train_size;
  j["epochs"] = cfg.epochs;
  j["batch_size"] = cfg.batch_size;
  j["lr"] = {{"kind", cfg.lr.kind},       {"lr", cfg.lr.lr},
             {"lr_min", cfg.lr.lr_min},   {"gamma", cfg.lr.gamma},
             {"warmup", cfg.lr.warmup_epochs}, {"offset", cfg.lr.offset},
             {"per_step", cfg.lr.per_step}};
  j["sgd"] = {{"momentum", cfg.sgd.momentum},
              {"nesterov", cfg.sgd.nesterov},
              {"weight_decay", cfg.sgd.weight_decay}};
  j["grad_clip"] = cfg.grad_clip;
  j["aux_weight"] = cfg.aux_weight;
  j["label_smoothing"] = cfg.label_smoothing;
  return j;
}

// Keeps the history lines of the epochs a checkpoint has (a line written after the checkpoint
// was taken, or torn by a kill, is dropped; the resumed run writes it again).
void truncate_history(const std::string& path, int64_t epochs_done) {
  if (!file_exists(path)) return;
  std::istringstream in(read_file(path));
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception&) {
      break;  // a torn last line
    }
    if (!j.contains("epoch") || j["epoch"].get<int64_t>() > epochs_done) break;
    kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  NAS_CHECK(out.good(), "cannot append to {}", path);
  out << line << "\n";
  out.flush();
  NAS_CHECK(out.good(), "cannot append to {}", path);
}

}  // namespace

void TrainConfig::validate() const {
  NAS_CHECK(epochs >= 1, "train.epochs: expected at least 1 epoch, found {}", epochs);
  NAS_CHECK(batch_size >= 1, "train.batch_size: expected >= 1, found {}", batch_size);
  NAS_CHECK(eval_batch_size >= 1, "train.eval_batch_size: expected >= 1, found {}",
            eval_batch_size);
  lr.validate(epochs);
  NAS_CHECK(grad_clip >= 0, "train.grad_clip: expected >= 0 (0 = off), found {}", grad_clip);
  NAS_CHECK(aux_weight >= 0, "train.aux_weight: expected >= 0, found {}", aux_weight);
  NAS_CHECK(label_smoothing >= 0 && label_smoothing < 1,
            "train.label_smoothing: expected a value in [0, 1), found {}", label_smoothing);
  NAS_CHECK(eval_every >= 1, "train.eval_every: expected >= 1, found {}", eval_every);
  NAS_CHECK(checkpoint_batches >= 0, "train.checkpoint_batches: expected >= 0, found {}",
            checkpoint_batches);
  NAS_CHECK(workers >= 1, "train.workers: expected >= 1, found {}", workers);
  NAS_CHECK(prefetch >= 0, "train.prefetch: expected >= 0, found {}", prefetch);
  NAS_CHECK(memory_format == "auto" || memory_format == "channels_last" ||
                memory_format == "contiguous",
            "train.memory_format: expected auto, channels_last or contiguous, found {}",
            memory_format);
}

bool TrainConfig::channels_last(torch::Device device) const {
  if (memory_format == "auto") return prefers_channels_last(device);
  return memory_format == "channels_last";
}

// ---- Checkpoint files ------------------------------------------------------------------------

void save_checkpoint(const std::string& path, torch::nn::Module& net, const Json& meta,
                     const std::vector<std::pair<std::string, torch::Tensor>>& extra) {
  torch::serialize::OutputArchive archive;
  // Contiguous copies, so a file does not depend on the layout the network trained in.
  auto compact = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU).contiguous().clone(); };
  for (const auto& p : net.named_parameters(true)) archive.write("param/" + p.key(), compact(p.value()));
  for (const auto& b : net.named_buffers(true))
    archive.write("buffer/" + b.key(), compact(b.value()), /*is_buffer=*/true);
  for (const auto& e : extra) archive.write("extra/" + e.first, compact(e.second));
  archive.write(kMetaKey, c10::IValue(meta.dump()));
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    fail_runtime("cannot write checkpoint {}: {}", tmp, e.what_without_backtrace());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail_runtime("cannot move checkpoint {} to {}: {}", tmp, path, ec.message());
}

namespace {

torch::serialize::InputArchive open_checkpoint(const std::string& path) {
  NAS_CHECK(file_exists(path), "checkpoint {}: file not found", path);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    fail("checkpoint {}: not a readable nasgen checkpoint (truncated or another format): {}", path,
         what.substr(0, what.find('\n')));
  }
  return archive;
}

Json meta_of(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  bool ok = false;
  try {
    ok = archive.try_read(kMetaKey, value) && value.isString();
  } catch (const c10::Error&) {
    ok = false;
  }
  NAS_CHECK(ok, "checkpoint {}: no nasgen description inside (not written by nasgen)", path);
  return parse_json(value.toStringRef(), "checkpoint " + path);
}

}  // namespace

Json read_checkpoint_meta(const std::string& path) {
  auto archive = open_checkpoint(path);
  return meta_of(archive, path);
}

std::vector<std::pair<std::string, torch::Tensor>> load_checkpoint(
    const std::string& path, torch::nn::Module& net, const std::vector<std::string>& extra_names) {
  auto archive = open_checkpoint(path);
  meta_of(archive, path);
  torch::NoGradGuard no_grad;
  auto load_into = [&](const std::string& key, torch::Tensor& target) {
    torch::Tensor t;
    bool ok = false;
    try {
      ok = archive.try_read(key, t);
    } catch (const c10::Error&) {
      ok = false;
    }
    NAS_CHECK(ok, "checkpoint {}: tensor {} missing (written for another network?)", path, key);
    NAS_CHECK(t.sizes() == target.sizes(),
              "checkpoint {}: tensor {} has shape {}, the network expects {}", path, key,
              fmt::format("{}", fmt::join(t.sizes(), "x")),
              fmt::format("{}", fmt::join(target.sizes(), "x")));
    target.copy_(t);
  };
  for (auto& p : net.named_parameters(true)) load_into("param/" + p.key(), p.value());
  for (auto& b : net.named_buffers(true)) load_into("buffer/" + b.key(), b.value());
  std::vector<std::pair<std::string, torch::Tensor>> extra;
  for (const auto& name : extra_names) {
    torch::Tensor t;
    bool ok = false;
    try {
      ok = archive.try_read("extra/" + name, t);
    } catch (const c10::Error&) {
      ok = false;
    }
    NAS_CHECK(ok, "checkpoint {}: {} missing", path, name);
    extra.emplace_back(name, t);
  }
  return extra;
}

// ---- Evaluation ------------------------------------------------------------------------------

EvalResult evaluate_network(NetworkImpl& net, std::shared_ptr<const ImageSource> source,
                            const Augmenter& eval_aug, int64_t batch_size, torch::Device device,
                            bool channels_last) {
  LoaderConfig lc;
  lc.batch_size = batch_size;
  lc.shuffle = false;
  DataLoader loader(source, lc, device);
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  torch::Tensor loss_sum = torch::zeros({}, f64), top1 = torch::zeros({}, f64),
                top5 = torch::zeros({}, f64);
  const int64_t k = std::min<int64_t>(5, source->num_classes());
  int64_t seen = 0;
  loader.start_epoch(0);
  Batch b;
  while (loader.next(b)) {
    torch::Tensor x = eval_aug.eval(b.images);
    if (channels_last) x = to_channels_last(x);
    torch::Tensor logits = net.forward(x).logits;
    loss_sum += F::cross_entropy(logits, b.labels, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    torch::Tensor topk = std::get<1>(logits.topk(k, 1));
    torch::Tensor hit = topk.eq(b.labels.unsqueeze(1));
    top1 += hit.select(1, 0).sum().to(torch::kFloat64);
    top5 += hit.any(1).sum().to(torch::kFloat64);
    seen += b.labels.size(0);
  }
  net.train(was_training);
  EvalResult r;
  r.samples = seen;
  r.loss = loss_sum.item<double>() / static_cast<double>(std::max<int64_t>(seen, 1));
  r.acc = 100.0 * top1.item<double>() / static_cast<double>(std::max<int64_t>(seen, 1));
  r.top5 = 100.0 * top5.item<double>() / static_cast<double>(std::max<int64_t>(seen, 1));
  return r;
}

// ---- Trainer ---------------------------------------------------------------------------------

namespace {

std::shared_ptr<NetworkImpl> prepared(std::shared_ptr<NetworkImpl> net, const TrainConfig& config,
                                      torch::Device device) {
  config.validate();
  net->to(device);
  if (config.channels_last(device)) to_channels_last(*net);
  return net;
}

}  // namespace

Trainer::Trainer(std::shared_ptr<NetworkImpl> net, TrainConfig config, torch::Device device,
                 uint64_t seed)
    : net_(prepared(std::move(net), config, device)),
      config_(std::move(config)),
      device_(device),
      seed_(seed),
      channels_last_(config_.channels_last(device)),
      sgd_(net_->parameters(), config_.sgd) {}

EvalResult Trainer::evaluate(std::shared_ptr<const ImageSource> source,
                             const Augmenter& eval_aug) {
  return evaluate_network(*net_, std::move(source), eval_aug, config_.eval_batch_size, device_,
                          channels_last_);
}

TrainResult Trainer::fit(std::shared_ptr<const ImageSource> train,
                         std::shared_ptr<const ImageSource> test, const Augmenter& train_aug,
                         const Augmenter& eval_aug, const std::string& run_dir, bool resume,
                         const Json& meta) {
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  const TrainConfig& cfg = config_;
  make_dirs(run_dir + "/checkpoints");
  const std::string last = run_dir + "/checkpoints/last.pt";
  const std::string history = run_dir + "/history.jsonl";
  // A kill during a checkpoint write leaves its temporary file behind.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_dir + "/checkpoints", ec))
    if (e.path().filename().string().rfind("last.pt.tmp.", 0) == 0) fs::remove(e.path(), ec);
  const Json setup = setup_of(cfg, meta, seed_, train->size(), channels_last_);

  LoaderConfig lc;
  lc.batch_size = cfg.batch_size;
  lc.seed = seed_;
  lc.workers = cfg.workers;
  lc.prefetch = cfg.prefetch;
  DataLoader loader(train, lc, device_);
  const int64_t spe = loader.batches_per_epoch();
  const int64_t total_steps = spe * cfg.epochs;

  // Where training stands; a checkpoint restores all of it.
  int64_t epoch = 0, first_batch = 0;
  double loss_sum0 = 0, correct0 = 0, seen0 = 0, best_acc = 0;
  if (resume && file_exists(last)) {
    Json saved = read_checkpoint_meta(last);
    NAS_CHECK(saved.contains("setup") && saved["setup"] == setup,
              "--resume: checkpoint {} was written for another network, data set or training "
              "setup; start a new run (--out) or pass the run's own config",
              last);
    auto extra = load_checkpoint(last, *net_, {"momentum"});
    const Json& st = saved["state"];
    sgd_.load_state(extra[0].second.to(device_), st["momentum_started"].get<bool>());
    epoch = st["epoch"].get<int64_t>();
    first_batch = st["batch"].get<int64_t>();
    loss_sum0 = st["loss_sum"].get<double>();
    correct0 = st["correct"].get<double>();
    seen0 = st["seen"].get<double>();
    best_acc = st["best_test_acc"].get<double>();
    truncate_history(history, epoch);
    spdlog::info("train: resuming at epoch {} batch {} from {}", epoch + 1, first_batch, last);
  } else {
    // Without a checkpoint nothing is finished: a history line can only come from a first
    // epoch killed between its line and its checkpoint, so a resume starts afresh.
    if (resume && file_exists(history))
      spdlog::info("train: {} has no checkpoint yet; starting from the first epoch", run_dir);
    if (file_exists(history)) fs::remove(history);
  }

  auto checkpoint = [&](int64_t ep, int64_t batch, double ls, double cor, double seen) {
    Json m;
    m["kind"] = "nasgen-train-checkpoint";
    m["meta"] = meta;
    m["setup"] = setup;
    m["state"] = {{"epoch", ep},         {"batch", batch},   {"loss_sum", ls},
                  {"correct", cor},      {"seen", seen},     {"best_test_acc", best_acc},
                  {"momentum_started", sgd_.started()}};
    save_checkpoint(last, *net_, m, {{"momentum", sgd_.momentum_buffer()}});
  };

  TrainResult result;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
  const bool check_every_step = device_.is_cpu();  // free on the CPU; a sync on a GPU
  for (; epoch < cfg.epochs; ++epoch) {
    const auto te = std::chrono::steady_clock::now();
    net_->train();
    torch::Tensor loss_sum = torch::full({}, loss_sum0, f64);
    torch::Tensor correct = torch::full({}, correct0, f64);
    torch::Tensor bad = torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(device_));
    double seen = seen0;
    int64_t images_this_call = 0;
    loss_sum0 = correct0 = seen0 = 0;
    Progress progress(fmt::format("epoch {}/{}", epoch + 1, cfg.epochs), spe, "batches");
    loader.start_epoch(epoch, first_batch);
    first_batch = 0;
    double lr = 0;
    Batch b;
    while (loader.next(b)) {
      const int64_t step = epoch * spe + b.index;
      lr = cfg.lr.at(epoch, b.index, spe, cfg.epochs);
      torch::manual_seed(mix64(seed_ ^ mix64(static_cast<uint64_t>(step) + 1)));
      net_->set_progress(static_cast<double>(step + 1) / static_cast<double>(total_steps));
      torch::Tensor x = train_aug.train(b.images, augment_seed(seed_, epoch, b.index));
      if (channels_last_) x = to_channels_last(x);
      NetworkOutput out = net_->forward(x);
      torch::Tensor loss = classification_loss(out.logits, b.labels, cfg.label_smoothing);
      torch::Tensor objective = loss;
      if (out.aux.defined() && cfg.aux_weight > 0)
        objective = loss + cfg.aux_weight * classification_loss(out.aux, b.labels,
                                                                cfg.label_smoothing);
      sgd_.zero_grad();
      objective.backward();
      if (cfg.grad_clip > 0) sgd_.clip_grad_norm(cfg.grad_clip);
      {
        torch::NoGradGuard no_grad;
        bad.logical_or_(objective.detach().isfinite().logical_not());
        const int64_t n = b.labels.size(0);
        loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(n);
        correct += out.logits.detach().argmax(1).eq(b.labels).sum().to(torch::kFloat64);
        seen += static_cast<double>(n);
        images_this_call += n;
      }
      const bool last_batch = b.index + 1 == spe;
      const bool ckpt = cfg.checkpoint_batches > 0 && !last_batch &&
                        (b.index + 1) % cfg.checkpoint_batches == 0;
      const bool report = last_batch || ckpt || b.index % 20 == 0;
      if ((check_every_step || report) && bad.item<bool>()) {
        fail_runtime(
            "training diverged: the loss became {} at epoch {}, batch {} (lr {:.4g}); the last "
            "good checkpoint is {}; lower train.lr.lr or set train.grad_clip",
            objective.item<double>(), epoch + 1, b.index + 1, lr,
            file_exists(last) ? last : std::string("not written yet"));
      }
      // Updated only once the gradient was seen to be finite.
      sgd_.step(lr);
      if (ckpt) checkpoint(epoch, b.index + 1, loss_sum.item<double>(), correct.item<double>(), seen);
      if (report) {
        const double s = seconds_since(te);
        progress.update(b.index + 1, best_acc > 0 ? best_acc : Progress::kNoBest,
                        fmt::format("loss {:.4f} acc {:.2f}% lr {:.4g} {:.0f} img/s",
                                    loss_sum.item<double>() / std::max(seen, 1.0),
                                    100.0 * correct.item<double>() / std::max(seen, 1.0), lr,
                                    s > 0 ? images_this_call / s : 0.0));
      }
    }
    progress.finish();
    const double train_seconds = seconds_since(te);
    result.train_loss = loss_sum.item<double>() / std::max(seen, 1.0);
    result.train_acc = 100.0 * correct.item<double>() / std::max(seen, 1.0);

    OrderedJson line;
    line["epoch"] = epoch + 1;
    line["lr"] = lr;
    line["train_loss"] = json_number(result.train_loss);
    line["train_acc"] = result.train_acc;
    const bool eval_now = test && ((epoch + 1) % cfg.eval_every == 0 || epoch + 1 == cfg.epochs);
    if (eval_now) {
      result.test = evaluate(test, eval_aug);
      best_acc = std::max(best_acc, result.test.acc);
      line["test_loss"] = json_number(result.test.loss);
      line["test_acc"] = result.test.acc;
      if (test->num_classes() > 5) line["test_top5"] = result.test.top5;
    }
    line["images_per_s"] = train_seconds > 0 ? images_this_call / train_seconds : 0.0;
    line["wall_s"] = seconds_since(te);
    append_line(history, line.dump());
    spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.2f}%{} lr {:.4g}, {:.0f} img/s, {}",
                 epoch + 1, cfg.epochs, result.train_loss, result.train_acc,
                 eval_now ? fmt::format(", test loss {:.4f} acc {:.2f}%", result.test.loss,
                                        result.test.acc)
                          : std::string(),
                 lr, line["images_per_s"].get<double>(), format_duration(seconds_since(te)));
    if (on_epoch_end_) on_epoch_end_(epoch + 1);
    checkpoint(epoch + 1, 0, 0, 0, 0);
    ++result.epochs_run;
  }
  if (result.epochs_run == 0 && test) {  // resumed after the last epoch: report the end state
    result.test = evaluate(test, eval_aug);
  }
  result.best_test_acc = std::max(best_acc, result.test.acc);
  result.model_path = run_dir + "/model.pt";
  Json m;
  m["kind"] = "nasgen-model";
  m["meta"] = meta;
  m["test_acc"] = result.test.acc;
  m["epochs"] = cfg.epochs;
  save_checkpoint(result.model_path, *net_, m);
  result.seconds = seconds_since(t0);
  return result;
}

}  // namespace nas
