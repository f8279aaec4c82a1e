#include "libnas/train/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libnas/data/synthetic.h"
#include "libnas/train/job.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;

struct TinyRun {
  ResolvedArch arch = resolve_arch("NAONet-B");
  NetworkConfig net;
  TrainConfig train;
  std::shared_ptr<TensorImageSource> train_data, test_data;

  TinyRun() {
    SyntheticConfig sc;
    sc.size = 192;
    sc.shape = {3, 16, 16};
    sc.num_classes = 4;
    train_data = make_synthetic_source(sc, true);
    sc.size = 64;
    test_data = make_synthetic_source(sc, false);
    net.channels = 4;
    net.layers = 1;
    net.num_classes = 4;
    net.image_size = 16;
    net.auxiliary = true;
    net.dropout = 0.2;
    net.drop_path_keep = 0.8;
    train.epochs = 3;
    train.batch_size = 32;
    train.eval_batch_size = 64;
    train.lr.lr = 0.1;
    train.prefetch = 1;
  }
  std::shared_ptr<NetworkImpl> network() const {
    torch::manual_seed(7);
    return build_network(*arch.space, arch.arch, net);
  }
  Json meta() const {
    TrainJobConfig job;
    job.dataset = "synthetic";
    return describe_network(arch, job, net, train_data->mean(), train_data->stddev());
  }
  Augmenter augmenter() const {
    return Augmenter(default_augment("synthetic"), train_data->mean(), train_data->stddev());
  }
  TrainResult fit(Trainer& t, const std::string& dir, bool resume = false) const {
    return t.fit(train_data, test_data, augmenter(), augmenter(), dir, resume, meta());
  }
};

using test::expect_same_weights;
using test::history_without_times;

TEST(Trainer, LearnsWritesHistoryAndAModelThatLoadsAlone) {
  TinyRun s;
  s.train.sgd.weight_decay = 0;  // so only a gradient can move a weight
  test::TempDir tmp;
  auto initial = s.network();
  Trainer trainer(s.network(), s.train, torch::kCPU, 3);
  TrainResult r = s.fit(trainer, tmp.path());
  // Every parameter got a gradient: a cut in the graph (a cell, the aux head) leaves some as built.
  auto before = initial->named_parameters(), after = trainer.network().named_parameters();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_FALSE(torch::equal(before[i].value(), after[i].value().contiguous())) << before[i].key();
  EXPECT_EQ(r.epochs_run, 3);
  EXPECT_GT(r.test.acc, 50.0) << "4 classes: chance is 25%";
  auto h = history_without_times(tmp.path());
  ASSERT_EQ(h.size(), 3u);
  EXPECT_GT(h[0]["train_loss"].get<double>(), h[2]["train_loss"].get<double>());
  EXPECT_EQ(h[2]["epoch"], 3);
  EXPECT_DOUBLE_EQ(h[0]["lr"].get<double>(), s.train.lr.at(0, 0, 6, 3));
  EXPECT_TRUE(fs::exists(tmp.file("checkpoints/last.pt")));

  LoadedModel m = load_trained_model(r.model_path);
  EXPECT_EQ(m.arch.text, s.arch.text);
  EXPECT_EQ(m.network.channels, 4);
  expect_same_weights(*m.net, trainer.network());
  Augmenter eval_aug(AugmentConfig{}, m.mean, m.stddev);
  EvalResult e = evaluate_network(*m.net, s.test_data, eval_aug, 50, torch::kCPU, true);
  EXPECT_DOUBLE_EQ(e.acc, r.test.acc);
  EXPECT_EQ(e.samples, 64);
}

// Two runs of one setup give the same bits, and resuming a finished run changes nothing. (A
// SIGKILL in the middle of an epoch and --resume are tested on the tool, test/trainers.)
TEST(Trainer, RunsAreReproducibleAndResumingAFinishedRunChangesNothing) {
  TinyRun s;
  s.train.checkpoint_batches = 2;
  test::TempDir first, second;
  Trainer a(s.network(), s.train, torch::kCPU, 5);
  s.fit(a, first.path());
  Trainer b(s.network(), s.train, torch::kCPU, 5);
  s.fit(b, second.path());
  expect_same_weights(a.network(), b.network());
  EXPECT_EQ(history_without_times(first.path()), history_without_times(second.path()));

  Trainer c(s.network(), s.train, torch::kCPU, 5);
  TrainResult rc = s.fit(c, second.path(), /*resume=*/true);
  EXPECT_EQ(rc.epochs_run, 0);
  expect_same_weights(c.network(), a.network());
  EXPECT_EQ(history_without_times(second.path()), history_without_times(first.path()));
}

TEST(Trainer, ResumeWithAnotherSetupIsRefused) {
  TinyRun s;
  s.train.epochs = 1;
  test::TempDir tmp;
  Trainer a(s.network(), s.train, torch::kCPU, 1);
  s.fit(a, tmp.path());
  Trainer b(s.network(), s.train, torch::kCPU, 2);  // another seed
  try {
    s.fit(b, tmp.path(), true);
    ADD_FAILURE() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another network"), std::string::npos) << e.what();
  }
}

TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  TinyRun s;
  s.train.epochs = 2;
  s.train.grad_clip = 0;
  s.train.lr.kind = "constant";
  s.train.lr.lr = 1e12;
  s.train.checkpoint_batches = 1;
  test::TempDir tmp;
  Trainer t(s.network(), s.train, torch::kCPU, 1);
  try {
    s.fit(t, tmp.path());
    ADD_FAILURE() << "expected the divergence to be caught";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    const std::string what = e.what();
    EXPECT_NE(what.find("training diverged"), std::string::npos) << what;
    EXPECT_NE(what.find("last good checkpoint"), std::string::npos) << what;
  }
  // Whatever checkpoint exists holds finite weights.
  if (fs::exists(tmp.file("checkpoints/last.pt"))) {
    auto net = s.network();
    load_checkpoint(tmp.file("checkpoints/last.pt"), *net);
    for (const auto& p : net->parameters()) EXPECT_TRUE(p.isfinite().all().item<bool>());
  }
}

// On a GPU: one epoch there ends close to the CPU's weights (NCHW on CUDA, channels-last on the
// CPU, so not bit for bit), and the NaN check runs only at progress reports.
TEST(Trainer, CudaEpochMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  TinyRun s;
  s.train.epochs = 1;
  s.net.dropout = 0;
  s.net.drop_path_keep = 1.0;
  test::TempDir cpu_dir, gpu_dir;
  Trainer cpu(s.network(), s.train, torch::kCPU, 1);
  s.fit(cpu, cpu_dir.path());
  Trainer gpu(s.network(), s.train, torch::Device(torch::kCUDA, 0), 1);
  s.fit(gpu, gpu_dir.path());
  auto pc = cpu.network().parameters();
  auto pg = gpu.network().parameters();
  for (size_t i = 0; i < pc.size(); ++i)
    EXPECT_TRUE(torch::allclose(pc[i], pg[i].cpu(), 1e-3, 1e-4)) << i;
}

TEST(Checkpoint, BadFilesAreClearErrors) {
  TinyRun s;
  test::TempDir tmp;
  auto net = s.network();
  auto expect_error = [&](const std::string& path, const std::string& needle) {
    try {
      load_trained_model(path);
      ADD_FAILURE() << "expected an error for " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Input);
      const std::string what = e.what();
      EXPECT_NE(what.find(needle), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    }
  };
  expect_error(tmp.file("missing.pt"), "file not found");
  test::write_text(tmp.file("garbage.pt"), "this is not a checkpoint");
  expect_error(tmp.file("garbage.pt"), "not a readable nasgen checkpoint");

  save_checkpoint(tmp.file("good.pt"), *net, Json{{"kind", "nasgen-model"}, {"meta", s.meta()}});
  const std::string bytes = read_file(tmp.file("good.pt"));
  test::write_text(tmp.file("truncated.pt"), bytes.substr(0, bytes.size() / 2));
  expect_error(tmp.file("truncated.pt"), "not a readable nasgen checkpoint");
  EXPECT_NO_THROW(load_trained_model(tmp.file("good.pt")));

  save_checkpoint(tmp.file("nometa.pt"), *net, Json{{"kind", "something"}});
  expect_error(tmp.file("nometa.pt"), "not a nasgen model");

  // Another network's weights.
  TinyRun other;
  other.net.channels = 8;
  save_checkpoint(tmp.file("wide.pt"), *other.network(), Json::object());
  try {
    load_checkpoint(tmp.file("wide.pt"), *net);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, ValidateNamesTheKey) {
  TrainConfig c;
  c.validate();
  c.batch_size = 0;
  EXPECT_THROW(c.validate(), Error);
  c = TrainConfig{};
  c.label_smoothing = 1.0;
  try {
    c.validate();
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.label_smoothing"), std::string::npos);
  }
}

}  // namespace
}  // namespace nas
