// train_cifar and train_imagenet as a user runs them: --summary figures, bad input, a tiny real
// training run evaluated again with --eval, and a SIGKILL in the middle of an epoch followed by
// --resume that must end with the uninterrupted run's weights and history.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>

#include "libnas/train/job.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::run_tool;
using test::TempDir;

Json summary_of(const std::string& tool, std::vector<std::string> args) {
  args.push_back("--summary");
  auto r = run_tool(tool, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? Json::parse(r.out) : Json::object();
}

// --summary --arch all: one JSON line per architecture of a finite space, in its order, with the
// benchmark network's published counts (NB201 at C = 16, N = 5: PROVENANCE of nb201_all.csv).
TEST(TrainCifarTool, SummaryOfEveryArchitectureOfASpace) {
  auto r = run_tool("train_cifar", {"--space", "nb201", "--arch", "all", "--summary", "--channels",
                                    "16", "--layers", "5", "--log-level", "warn"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = split(trim(r.out), '\n');
  ASSERT_EQ(lines.size(), 15625u);
  int64_t min_params = INT64_MAX, max_params = 0;
  double max_flops = 0;
  for (const std::string& line : lines) {
    const Json j = Json::parse(line);
    min_params = std::min(min_params, j["params"].get<int64_t>());
    max_params = std::max(max_params, j["params"].get<int64_t>());
    max_flops = std::max(max_flops, j["flops"].get<double>());
  }
  EXPECT_EQ(min_params, 73306);
  EXPECT_EQ(max_params, 1531546);
  EXPECT_EQ(max_flops, 220119690.0);
  const Json first = Json::parse(lines.front());
  EXPECT_EQ(first["arch"], "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  auto arch0 = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|") != std::string::npos;
  });
  ASSERT_NE(arch0, lines.end());
  EXPECT_EQ(Json::parse(*arch0)["flops"], 15647370.0);

  auto infinite = run_tool("train_cifar", {"--space", "nao", "--arch", "all", "--summary"});
  EXPECT_EQ(infinite.exit_code, 2);
  EXPECT_NE(infinite.err.find("space nao is not finite"), std::string::npos) << infinite.err;
  auto no_space = run_tool("train_cifar", {"--arch", "all", "--summary"});
  EXPECT_EQ(no_space.exit_code, 2);
  EXPECT_NE(no_space.err.find("name the space with --space"), std::string::npos) << no_space.err;
}

TEST(TrainCifarTool, SummaryGivesTheReferenceParameterCounts) {
  Json a = summary_of("train_cifar", {"--arch", "NAONet-A", "--channels", "36"});
  EXPECT_EQ(a["params"], 11470150);
  EXPECT_EQ(a["space"], "nao-11");
  EXPECT_GT(a["aux_params"].get<int64_t>(), 0);
  EXPECT_GT(a["flops_M"].get<double>(), 1000.0);
  Json b = summary_of("train_cifar", {"--arch", "NAONet-B"});
  EXPECT_EQ(b["params"], 2921302);
  Json c100 = summary_of("train_cifar", {"--arch", "NAONet-A", "--dataset", "cifar100"});
  EXPECT_NEAR(c100["params_M"].get<double>(), 11.509, 0.001);
  Json f = summary_of("train_cifar", {"--arch", "NAONet-B", "--dataset", "fashion-mnist",
                                      "--channels", "16", "--layers", "1"});
  EXPECT_EQ(f["image_size"], 28);
  Json img = summary_of("train_imagenet", {"--arch", "NAONet-A"});
  EXPECT_NEAR(img["params_M"].get<double>(), 11.354, 0.001);
  EXPECT_EQ(img["image_size"], 224);
  // An arch given by its text form, and one from a file.
  TempDir tmp;
  test::write_text(tmp.file("arch.txt"), "# the best of a search\n" + b["arch"].get<std::string>() + "\n");
  Json from_file = summary_of("train_cifar", {"--arch-file", tmp.file("arch.txt")});
  EXPECT_EQ(from_file["params"], 2921302);
  Json darts = summary_of("train_cifar", {"--arch", "DARTS-V2"});
  EXPECT_EQ(darts["space"], "darts");
  // A random architecture of a space: the same seed gives the same one, another seed another.
  Json r3 = summary_of("train_cifar", {"--space", "nao", "--arch", "random:3"});
  Json r3_again = summary_of("train_cifar", {"--space", "nao", "--arch", "random:3"});
  Json r4 = summary_of("train_cifar", {"--space", "nao", "--arch", "random:4"});
  EXPECT_EQ(r3["space"], "nao");
  EXPECT_EQ(r3["arch"], r3_again["arch"]);
  EXPECT_NE(r3["arch"], r4["arch"]);
}

void expect_usage_error(const std::string& tool, const std::vector<std::string>& args,
                        const std::string& needle) {
  auto r = run_tool(tool, args);
  const std::string joined = join(args, " ");
  EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << "\n" << r.err;
  EXPECT_TRUE(starts_with(r.err, tool + ": error: ")) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << joined << "\n" << r.err;
}

TEST(TrainCifarTool, BadInputIsOneLineAndExitTwo) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  auto bad = [&](std::vector<std::string> args, const std::string& needle) {
    args.push_back("--out");
    args.push_back(out);
    expect_usage_error("train_cifar", args, needle);
  };
  bad({"--arch", "bogus"}, "not an architecture");
  bad({"--arch", "0 1 2", "--space", "nao"}, "nao");
  bad({"--arch", "NAONet-B", "--arch-file", tmp.file("a.txt")}, "not both");
  bad({"--arch", "random:1"}, "needs --space");
  bad({"--arch", "random:x", "--space", "nao"}, "random:SEED");
  bad({"--arch", "random:-2", "--space", "nao"}, "seed >= 0");
  bad({"--arch-file", tmp.file("missing.txt")}, "missing.txt");
  test::write_text(tmp.file("empty.txt"), "# nothing\n\n");
  bad({"--arch-file", tmp.file("empty.txt")}, "no architecture");
  bad({}, "no architecture");
  bad({"--arch", "NAONet-B", "--epochs", "0"}, "--epochs");
  bad({"--arch", "NAONet-B", "--channels", "-4"}, "--channels");
  bad({"--arch", "NAONet-B", "--lr", "-1"}, "--lr");
  bad({"--arch", "NAONet-B", "--dataset", "bogus"}, "bogus");
  bad({"--arch", "NAONet-B", "--dataset", "imagenet"}, "train_cifar trains on");
  bad({"--arch", "NAONet-B", "--set", "network.num_classes=5"}, "comes from the data set");
  bad({"--arch", "NAONet-B", "--set", "train.batch_size=0"}, "train.batch_size");
  bad({"--arch", "NAONet-B", "--set", "train.lr.kind=step"}, "lr.kind");
  bad({"--arch", "NAONet-B", "--set", "train.label_smoothing=1.5"}, "train.label_smoothing");
  bad({"--arch", "NAONet-B", "--set", "trian.epochs=3"}, "trian");
  bad({"--arch", "NAONet-B", "--set", "augment.cutout=-1"}, "cutout");
  bad({"--arch", "NAONet-B", "--dataset", "cifar10", "--data-dir", tmp.file("nowhere")}, "nowhere");
  bad({"--arch", "NAONet-B", "--device", "cuda"}, "cuda");
  test::write_text(tmp.file("typo.yaml"), "arch: NAONet-B\nepochs: 3\n");
  bad({"--config", tmp.file("typo.yaml")}, "epochs");
  bad({"--config", tmp.file("missing.yaml")}, "missing.yaml");
  expect_usage_error("train_cifar", {"--arch", "NAONet-B", "--resume"}, "--resume");
  expect_usage_error("train_cifar", {"--eval", tmp.file("missing.pt")}, "missing.pt");
  test::write_text(tmp.file("garbage.pt"), "not a model");
  expect_usage_error("train_cifar", {"--eval", tmp.file("garbage.pt")}, "not a readable");
  expect_usage_error("train_imagenet", {"--arch", "NAONet-A", "--data-dir", tmp.file("nowhere")},
                     "nowhere");
  EXPECT_FALSE(fs::exists(out)) << "a rejected command must not create the run directory";
}

TEST(TrainCifarTool, HelpShowsExamples) {
  auto r = run_tool("train_cifar", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--summary"), std::string::npos);
  EXPECT_NE(r.out.find("--eval"), std::string::npos);
  // The resolved config lists the recipe with the flags applied.
  auto c = run_tool("train_cifar", {"--arch", "NAONet-B", "--epochs", "7", "--print-config"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("epochs: 7"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("cutout: 16"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("drop_path_keep: 0.8"), std::string::npos) << c.out;
}

// A tiny network on the synthetic set: 512 images, 16 batches per epoch, a checkpoint after
// every batch so a kill lands in the middle of an epoch.
std::vector<std::string> tiny_run(const std::string& out) {
  return {"--dataset", "synthetic", "--arch", "NAONet-B", "--channels", "4", "--layers", "1",
          "--epochs", "3", "--batch-size", "32", "--threads", "1", "--seed", "11",
          "--set", "synthetic_size=512", "--set", "train.checkpoint_batches=1",
          "--set", "train.lr.lr=0.05", "--out", out};
}

using test::history_without_times;

// The checkpoint's position, or {-1, -1} while there is none.
std::pair<int64_t, int64_t> checkpoint_position(const std::string& dir) {
  const std::string path = dir + "/checkpoints/last.pt";
  if (!fs::exists(path)) return {-1, -1};
  try {
    Json st = read_checkpoint_meta(path)["state"];
    return {st["epoch"].get<int64_t>(), st["batch"].get<int64_t>()};
  } catch (const std::exception&) {
    return {-1, -1};
  }
}

TEST(TrainCifarTool, TrainsEvaluatesAndResumesAfterSigkillBitForBit) {
  TempDir tmp;
  const std::string full = tmp.file("full"), part = tmp.file("part");
  auto r = run_tool("train_cifar", tiny_run(full));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = Json::parse(read_file(full + "/summary.json"));
  EXPECT_GT(summary["test_acc"].get<double>(), 40.0) << "10 classes: chance is 10%";
  ASSERT_EQ(history_without_times(full).size(), 3u);
  for (const char* f : {"config.yaml", "log.txt", "model.pt", "checkpoints/last.pt"})
    EXPECT_TRUE(fs::exists(full + "/" + f)) << f;

  // --eval needs nothing but the model file.
  auto e = run_tool("train_cifar", {"--eval", full + "/model.pt", "--threads", "1"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  Json ev = Json::parse(e.out);
  EXPECT_DOUBLE_EQ(ev["test_acc"].get<double>(), summary["test_acc"].get<double>());
  EXPECT_EQ(ev["arch"], summary["arch"]);

  // Kill in the middle of epoch 2, then resume.
  const int pid = test::spawn_tool("train_cifar", tiny_run(part));
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    auto pos = checkpoint_position(part);
    if (pos.first == 1 && pos.second >= 5) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(killed) << "the run ended before it could be killed";
  auto pos = checkpoint_position(part);
  EXPECT_EQ(pos.first, 1) << "killed in epoch 2";
  EXPECT_GT(pos.second, 0) << "killed in the middle of an epoch";
  EXPECT_FALSE(fs::exists(part + "/model.pt"));
  std::vector<std::string> resume = {"--out", part, "--resume", "--threads", "1"};
  auto rr = run_tool("train_cifar", resume);
  ASSERT_EQ(rr.exit_code, 0) << rr.err;

  EXPECT_EQ(history_without_times(part), history_without_times(full));
  LoadedModel a = load_trained_model(full + "/model.pt");
  LoadedModel b = load_trained_model(part + "/model.pt");
  test::expect_same_weights(*a.net, *b.net);
  Json sp = Json::parse(read_file(part + "/summary.json"));
  EXPECT_EQ(sp["test_acc"], summary["test_acc"]);
}

}  // namespace
}  // namespace nas
