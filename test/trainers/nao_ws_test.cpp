// nao_ws as a user runs it: a tiny real search on synthetic images (files, pool updates, the
// final architectures retrainable by train_cifar), bad input, and a SIGKILL followed by
// --resume that must end exactly as the uninterrupted search.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "libnas/spaces/nao_cell.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::run_tool;
using test::TempDir;

std::vector<std::string> tiny_search(const std::string& out) {
  return {"--dataset", "synthetic", "--epochs", "3", "--threads", "1", "--seed", "3",
          "--set", "synthetic_size=640", "--set", "network.layers=1", "--set", "network.channels=4",
          "--set", "train.batch_size=32", "--set", "train.eval_every=1", "--set", "train.prefetch=0",
          "--set", "search.pool_size=8", "--set", "search.new_archs=4", "--set", "search.top=4",
          "--set", "search.score_batch=32", "--set", "search.controller.epochs=5",
          "--set", "search.controller.batch_size=4", "--set", "final.top=2",
          "--set", "final.epochs=1", "--out", out};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& l : split(read_file(path), '\n'))
    if (!trim(l).empty()) out.push_back(trim(l));
  return out;
}

TEST(NaoWsTool, SearchesWritesThePoolsAndTheFinalArchsTrainCifarReads) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  auto r = run_tool("nao_ws", tiny_search(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NaoCellSpace space(NaoCellSpace::OpSet::Five);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    auto pool = lines_of(fmt::format("{}/arch_pool.{}", out, epoch));
    auto perf = lines_of(fmt::format("{}/arch_pool.perf.{}", out, epoch));
    ASSERT_EQ(pool.size(), 8u) << "epoch " << epoch;
    ASSERT_EQ(perf.size(), 8u);
    for (size_t i = 1; i < perf.size(); ++i) EXPECT_GE(std::stod(perf[i - 1]), std::stod(perf[i]));
    std::set<std::string> hashes;
    for (const auto& a : pool) hashes.insert(space.hash(space.parse(a)));
    EXPECT_EQ(hashes.size(), 8u) << "a pool holds distinct architectures";
  }
  // After round 1 the pool keeps its best 4 and adds 4 new ones.
  Json round1 = parse_json(read_file(out + "/rounds/round_0001.json"), "round 1");
  auto pool1 = lines_of(out + "/arch_pool.1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(round1["archs"][i].get<std::string>(), pool1[static_cast<size_t>(i)]);
  EXPECT_TRUE(fs::exists(out + "/rounds/controller_0001.pt"));

  auto final_archs = lines_of(out + "/arch_pool.final");
  auto final_perf = lines_of(out + "/arch_pool.perf.final");
  ASSERT_EQ(final_archs.size(), 2u);
  ASSERT_EQ(final_perf.size(), 2u);
  EXPECT_GE(std::stod(final_perf[0]), std::stod(final_perf[1]));
  for (const auto& a : final_archs) EXPECT_NO_THROW(space.parse(a));
  Json summary = parse_json(read_file(out + "/summary.json"), "summary");
  EXPECT_EQ(summary["best_arch"], final_archs[0]);
  EXPECT_EQ(summary["rounds"], 3);
  EXPECT_EQ(test::history_without_times(out).size(), 3u);  // the supernet's epochs

  auto t = run_tool("train_cifar", {"--arch-file", out + "/arch_pool.final", "--summary"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(Json::parse(t.out)["arch"], final_archs[0]);
}

TEST(NaoWsTool, BadInputIsOneLineAndExitTwo) {
  TempDir tmp;
  const std::vector<std::vector<std::string>> cases = {
      {"--dataset", "imagenet"},
      {"--dataset", "mnist-ish"},
      {"--set", "network.num_classes=3"},
      {"--set", "network.auxiliary=true"},
      {"--set", "search.new_archs=600"},
      {"--set", "search.pool_size=1"},
      {"--set", "search.controller.epochs=0"},
      {"--set", "search.controler.epochs=3"},
      {"--set", "search.explore=1"},  // one controller: no ensemble spread to weigh
      {"--set", "search.temperature=0"},
      {"--set", "final.top=0"},
      {"--set", "valid_fraction=1.5"},
      {"--epochs", "0"},
      {"--resume"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c;
    args.push_back("--print-config");
    auto r = run_tool("nao_ws", args);
    EXPECT_EQ(r.exit_code, 2) << join(c, " ") << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << join(c, " ") << ": " << r.err;
  }
  // Missing data is found before anything is written.
  auto r = run_tool("nao_ws", {"--dataset", "cifar10", "--data-dir", tmp.file("nothing"), "--out",
                               tmp.file("run")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(NaoWsTool, ResumesAfterSigkillExactlyAsAnUninterruptedSearch) {
  TempDir tmp;
  const std::string full = tmp.file("full"), part = tmp.file("part");
  auto r = run_tool("nao_ws", tiny_search(full));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int pid = test::spawn_tool("nao_ws", tiny_search(part));
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (fs::exists(part + "/rounds/round_0001.json")) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(killed) << "the search ended before it could be killed";
  EXPECT_FALSE(fs::exists(part + "/arch_pool.final"));
  auto rr = run_tool("nao_ws", {"--out", part, "--resume", "--threads", "1"});
  ASSERT_EQ(rr.exit_code, 0) << rr.err;
  for (const char* f : {"arch_pool.1", "arch_pool.2", "arch_pool.3", "arch_pool.perf.3",
                        "arch_pool.final", "arch_pool.perf.final"})
    EXPECT_EQ(read_file(part + "/" + f), read_file(full + "/" + f)) << f;
  EXPECT_EQ(test::history_without_times(part), test::history_without_times(full));
}

}  // namespace
}  // namespace nas
