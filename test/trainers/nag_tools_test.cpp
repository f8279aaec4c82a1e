// build_nas_dataset, train_gan and generate_archs as a user runs them: a benchmark-mode dataset,
// a short GAN run, its resume, generation under a parameter bound, and bad requests.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "generators/nag/nas_dataset.h"
#include "libnas/models/network.h"
#include "libnas/util/rng.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

using test::run_tool;
using test::TempDir;
using test::ToolResult;

// Runs the scope in `path` (tools started meanwhile inherit it), back after.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& path) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(path);
  }
  ~WorkingDirectory() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

std::vector<std::string> small_gan(const std::string& dataset, const std::string& out, int epochs) {
  return {"--dataset", dataset, "--epochs", std::to_string(epochs), "--threads", "1",
          "--set", "conditions=[acc, params]", "--set", "model.g_node_size=16",
          "--set", "model.g_graph_size=8", "--set", "model.d_node_size=16",
          "--set", "model.d_graph_size=8", "--set", "train.batch_size=32",
          "--set", "train.quality_samples=20", "--out", out};
}

TEST(NagTools, BenchmarkDatasetGanResumeAndGenerationUnderABound) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_all.csv");
  TempDir dir;
  const std::string ds = dir.file("ds");
  ToolResult b = run_tool("build_nas_dataset", {"--benchmark", "nb201-cifar10", "--records", "200",
                                                "--seed", "1", "--out", ds});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("200 records of space nb201"), std::string::npos) << b.out;
  nag::NasDataset data = nag::read_nas_dataset(ds + "/nas_dataset.jsonl");
  ASSERT_EQ(data.records.size(), 200u);
  EXPECT_EQ(data.benchmark, "nb201-cifar10");

  // Three epochs at once, and two then a resume to three: the same history and generator.
  const std::string full = dir.file("full"), cut = dir.file("cut");
  ToolResult t = run_tool("train_gan", small_gan(ds + "/nas_dataset.jsonl", full, 3));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("trained on 200 records for 3 epochs"), std::string::npos) << t.out;
  ASSERT_EQ(run_tool("train_gan", small_gan(ds + "/nas_dataset.jsonl", cut, 2)).exit_code, 0);
  ToolResult r = run_tool("train_gan", {"--out", cut, "--resume", "--epochs", "3", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto strip = [](const std::string& path) {
    std::string out;
    for (const auto& line : split(read_file(path), '\n')) {
      if (trim(line).empty()) continue;
      Json j = parse_json(line, path);
      j.erase("seconds");
      out += j.dump() + "\n";
    }
    return out;
  };
  EXPECT_EQ(strip(full + "/history.jsonl"), strip(cut + "/history.jsonl"));
  const std::string h = read_file(full + "/history.jsonl");
  EXPECT_NE(h.find("\"validity\""), std::string::npos);

  ToolResult g = run_tool("generate_archs", {"--run", full, "--acc", "0.93", "--params", "0.4M",
                                             "--num", "5", "--samples", "300", "--threads", "1"});
  ASSERT_EQ(g.exit_code, 0) << g.out << g.err;
  EXPECT_NE(g.out.find("acc 93.00 % (a target): class 3 of 3"), std::string::npos) << g.out;
  auto lines = split(read_file(full + "/generated.txt"), '\n');
  auto bench = open_benchmark("nb201-cifar10");
  int archs = 0;
  for (const auto& line : lines) {
    if (trim(line).empty() || line[0] == '#') continue;
    ++archs;
    EXPECT_LE(bench->query(bench->space().parse(line)).params, 0.4e6) << line;
  }
  EXPECT_GE(archs, 1);
  EXPECT_LE(archs, 5);

  // A bound below every NB201 cell: nothing meets it, the closest are shown, exit 1.
  ToolResult none = run_tool("generate_archs", {"--run", full, "--params", "1k", "--samples", "50",
                                                "--threads", "1"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("closest (fewest parameters)"), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("no generated architecture has at most 1.0k parameters"), std::string::npos)
      << none.out;
}

// On the nag cell space the bound is checked the way a user checks it: every architecture
// generate_archs writes has at most the bound's parameters by train_cifar --summary.
TEST(NagTools, GeneratedNagArchsMeetTheBoundByTrainCifarSummary) {
  TempDir dir;
  auto space = make_space("nag");
  NetworkConfig net;
  net.channels = 8;
  net.layers = 1;
  net.in_channels = 1;
  net.image_size = 28;
  nag::NasDataset d;
  d.space = "nag";
  d.source = "test: accuracy grows with the op vertices";
  d.network = net;
  d.image_dataset = "fashion-mnist";
  Rng rng(5);
  std::vector<double> params;
  for (int i = 0; i < 60; ++i) {
    Arch a = space->sample(rng);
    const double p = static_cast<double>(model_stats(*space, a, net).params);
    params.push_back(p);
    d.records.push_back({a, 50.0 + a.cells[0].num_nodes() + a.cells[1].num_nodes(), p, kMissing});
  }
  // As build_nas_dataset leaves it: train_gan takes the run directory.
  std::filesystem::create_directories(dir.file("ds"));
  nag::write_nas_dataset(d, dir.file("ds/nas_dataset.jsonl"));
  std::sort(params.begin(), params.end());
  const std::string bound = std::to_string(static_cast<int64_t>(params[45]));
  // Two train_gan runs with --out from this working directory; the later one is the default.
  WorkingDirectory in(dir.path());
  ASSERT_EQ(run_tool("train_gan", small_gan(dir.file("ds"), dir.file("other"), 1)).exit_code, 0);
  ToolResult t = run_tool("train_gan", small_gan(dir.file("ds"), dir.file("gan"), 2));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  // Without --run: the last train_gan run from this directory, though it had --out.
  ToolResult g = run_tool("generate_archs", {"--params", bound, "--num", "6", "--samples", "400",
                                             "--threads", "1"});
  ASSERT_EQ(g.exit_code, 0) << g.out << g.err;
  EXPECT_NE(g.out.find("run: " + std::filesystem::weakly_canonical(dir.file("gan")).string() +
                       " (the last train_gan run)"),
            std::string::npos)
      << g.out;
  EXPECT_NE(g.out.find("train_cifar --space nag --dataset fashion-mnist --channels 8 --layers 1"),
            std::string::npos)
      << g.out;
  // The "train the best" command is a recipe that finishes on Fashion-MNIST, not the 600-epoch
  // one: run from the source tree, it trains a small network a few epochs on a subset.
  const auto best = g.out.find("train the best");
  ASSERT_NE(best, std::string::npos) << g.out;
  const std::string command = trim(split(g.out.substr(best), '\n').at(1));
  std::vector<std::string> args;
  for (const auto& a : split(command, ' '))
    if (!a.empty()) args.push_back(starts_with(a, "configs/") ? std::string(NASGEN_SOURCE_DIR) + "/" + a : a);
  ASSERT_GE(args.size(), 3u);
  ASSERT_EQ(args[0], "train_cifar") << command;
  args.erase(args.begin());
  args.push_back("--print-config");
  ToolResult c = run_tool("train_cifar", args);
  ASSERT_EQ(c.exit_code, 0) << command << ": " << c.err;
  const YAML::Node recipe = YAML::Load(c.out);
  EXPECT_EQ(recipe["dataset"].as<std::string>(), "fashion-mnist");
  EXPECT_EQ(recipe["space"].as<std::string>(), "nag");
  EXPECT_LE(recipe["train"]["epochs"].as<int>(), 5) << command;
  EXPECT_GT(recipe["train_subset"].as<int>(), 0) << command;
  EXPECT_LE(recipe["train_subset"].as<int>() * recipe["train"]["epochs"].as<int>(), 100000) << command;
  EXPECT_LE(recipe["network"]["layers"].as<int>() * recipe["network"]["channels"].as<int>(), 16) << command;
  int checked = 0;
  for (const auto& line : split(read_file(dir.file("gan/generated.txt")), '\n')) {
    if (trim(line).empty() || line[0] == '#') continue;
    ToolResult s = run_tool("train_cifar", {"--space", "nag", "--dataset", "fashion-mnist", "--channels",
                                            "8", "--layers", "1", "--arch", line, "--summary"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    const double p = parse_json(s.out, "summary").at("params").get<double>();
    EXPECT_LE(p, std::stod(bound)) << line;
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(NagTools, BadRequestsAreOneLineAndExitTwo) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("empty"));
  std::filesystem::create_directories(dir.file("unfinished/checkpoints"));
  test::write_text(dir.file("unfinished/checkpoints/gan.pt"), "x");
  const std::vector<std::vector<std::string>> cases = {
      {"--run", dir.path(), "--acc", "1.7"},
      {"--run", dir.path(), "--acc", "0"},
      {"--run", dir.path(), "--params", "-3M"},
      {"--run", dir.path(), "--params", "3Q"},
      {"--run", dir.path(), "--num", "0"},
      {"--run", dir.file("empty"), "--acc", "0.9"},
      {"--run", dir.file("unfinished"), "--acc", "0.9"},
      {"--run", dir.file("missing"), "--acc", "0.9"},
  };
  for (const auto& args : cases) {
    ToolResult r = run_tool("generate_archs", args);
    EXPECT_EQ(r.exit_code, 2) << join(args, " ") << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << join(args, " ") << ": " << r.err;
  }
  {
    // Without --run and no train_gan run from the working directory: one line naming both.
    WorkingDirectory in(dir.file("empty"));
    ToolResult none = run_tool("generate_archs", {"--acc", "0.9"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("runs/latest-train_gan"), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("train_gan first"), std::string::npos) << none.err;
  }
  ToolResult u = run_tool("generate_archs", {"--run", dir.file("unfinished"), "--acc", "0.9"});
  EXPECT_NE(u.err.find("train_gan has not finished"), std::string::npos) << u.err;
  ToolResult e = run_tool("generate_archs", {"--run", dir.file("empty"), "--acc", "0.9"});
  EXPECT_NE(e.err.find("not a train_gan run directory"), std::string::npos) << e.err;
  ToolResult q = run_tool("generate_archs", {"--run", dir.path(), "--params", "3Q"});
  EXPECT_NE(q.err.find("unknown suffix"), std::string::npos) << q.err;

  ToolResult t = run_tool("train_gan", {"--dataset", dir.file("nope.jsonl"), "--out", dir.file("o")});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("build_nas_dataset"), std::string::npos) << t.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
  ToolResult n = run_tool("train_gan", {"--dataset", dir.file("empty"), "--out", dir.file("o")});
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_NE(n.err.find("a directory without nas_dataset.jsonl"), std::string::npos) << n.err;
  ToolResult c = run_tool("train_gan", {"--dataset", dir.file("nope.jsonl"), "--set", "conditions=[params]"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("expected [acc] or [acc, params]"), std::string::npos) << c.err;
  ToolResult m = run_tool("build_nas_dataset", {"--set", "mode=grid", "--out", dir.file("b")});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("one-shot or benchmark"), std::string::npos) << m.err;
  ToolResult k = run_tool("build_nas_dataset", {"--benchmark", "nb999", "--out", dir.file("b")});
  EXPECT_EQ(k.exit_code, 2) << k.err;
}

}  // namespace
}  // namespace nas
