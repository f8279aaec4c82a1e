// The search tool as a user runs it: bad input, configs, a full run, and a real SIGKILL+resume.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "libnas/util/json.h"
#include "libnas/util/plot.h"
#include "libnas/util/strings.h"
#include "libnas/util/rng.h"
#include "test/generators/llm/scripted_endpoint.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::run_tool;
using test::ScriptedEndpoint;
using test::TempDir;

void expect_usage_error(const std::vector<std::string>& args, const std::string& needle) {
  auto r = run_tool("search", args);
  std::string joined = join(args, " ");
  EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << "\n" << r.err;
  EXPECT_TRUE(starts_with(r.err, "search: error: ")) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << joined << "\n" << r.err;
}

TEST(SearchTool, BadInputIsOneLineAndExitTwo) {
  TempDir tmp;
  const std::string out = tmp.file("run");
  const std::vector<std::string> ok = {"--benchmark", "nb201-cifar10", "--out", out};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = ok;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  expect_usage_error(with({"--strategy", "bogus", "--budget", "10"}), "unknown strategy 'bogus'");
  expect_usage_error(with({"--strategy", "rea,bogus", "--budget", "10"}), "known strategies");
  expect_usage_error({"--strategy", "rea", "--benchmark", "nb999", "--budget", "10", "--out", out},
                     "nb999");
  expect_usage_error(with({"--strategy", "rea", "--budget", "-5"}), "--budget");
  expect_usage_error(with({"--strategy", "rea", "--budget", "0"}), "--budget");
  expect_usage_error(with({"--strategy", "rea", "--budget-seconds", "-1"}), "--budget-seconds");
  expect_usage_error(with({"--strategy", "rea"}), "no budget");
  expect_usage_error(with({"--strategy", "rea", "--budget", "10", "--seeds", "5:2"}), "--seeds");
  expect_usage_error(with({"--strategy", "rea", "--budget", "10", "--seeds", "a:b"}), "--seeds");
  expect_usage_error(with({"--strategy", "rea", "--budget", "10", "--seeds", "-2:3"}), "--seeds");
  expect_usage_error(with({"--budget", "10"}), "no strategy");
  expect_usage_error({"--strategy", "rea", "--budget", "10", "--out", out}, "no benchmark");
  expect_usage_error({"--strategy", "rea", "--benchmark", "nb201-cifar10", "--budget", "10",
                      "--resume"},
                     "--resume");

  test::write_text(tmp.file("typo.yaml"), "strategy: rea\nbenchmark: nb201-cifar10\nbudgett: 10\n");
  expect_usage_error({"--config", tmp.file("typo.yaml"), "--out", out}, "budgett");
  test::write_text(tmp.file("bad.yaml"), "strategy: rea\nbenchmark: nb201-cifar10\nbudget: [1, 2]\n");
  expect_usage_error({"--config", tmp.file("bad.yaml"), "--out", out}, "budget");
  expect_usage_error({"--config", tmp.file("missing.yaml"), "--out", out}, "missing.yaml");
  EXPECT_FALSE(fs::exists(out)) << "a rejected command must not create the run directory";
}

TEST(SearchTool, HelpShowsExamples) {
  auto r = run_tool("search", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--budget-seconds"), std::string::npos);
  auto l = run_tool("search", {"--list"});
  EXPECT_EQ(l.exit_code, 0);
  EXPECT_NE(l.out.find("rea"), std::string::npos);
  EXPECT_NE(l.out.find("nb201-cifar10"), std::string::npos);
}

std::vector<std::string> lines_without_wall(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& line : split(test::read_text(path), '\n')) {
    if (line.empty()) continue;
    Json j = Json::parse(line);
    j.erase("wall_s");
    out.push_back(j.dump());
  }
  return out;
}

// Every file of two run directories is equal, history lines compared without wall_s; log.txt
// (timestamps) is left out.
void expect_same_runs(const std::string& a, const std::string& b) {
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(a)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), a).string();
    if (rel == "log.txt" || ends_with(rel, ".svg") || ends_with(rel, ".png")) continue;
    ASSERT_TRUE(fs::exists(fs::path(b) / rel)) << rel;
    ++files;
    if (ends_with(rel, "history.jsonl")) {
      EXPECT_EQ(lines_without_wall(e.path().string()), lines_without_wall((fs::path(b) / rel).string()))
          << rel;
    } else {
      EXPECT_EQ(test::read_text(e.path().string()), test::read_text((fs::path(b) / rel).string()))
          << rel;
    }
  }
  EXPECT_GT(files, 0u);
}

TEST(SearchTool, RunsSeveralStrategiesAndSeedsIntoOneRunDirectory) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/genius/nasbench201_cifar10.json");
  TempDir tmp;
  const std::string out = tmp.file("run");
  auto r = run_tool("search", {"--strategy", "rea,random", "--benchmark", "nb201-cifar10",
                               "--budget", "30", "--seeds", "0:3", "--out", out,
                               "--set", "rea.population=8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"rea", "random"})
    for (int k = 0; k < 3; ++k)
      EXPECT_EQ(lines_without_wall(fmt::format("{}/{}/seed_{}/history.jsonl", out, s, k)).size(), 30u);
  Json summary = Json::parse(test::read_text(out + "/summary.json"));
  EXPECT_EQ(summary["benchmark"], "nb201-cifar10");
  EXPECT_NEAR(summary["oracle"]["val_acc"].get<double>(), 91.6067, 1e-3);
  EXPECT_EQ(summary["budgets"], Json({10, 20, 30}));
  EXPECT_EQ(summary["strategies"]["rea"]["seeds"].size(), 3u);
  EXPECT_NE(r.out.find("regret"), std::string::npos);
  EXPECT_NE(r.out.find("random"), std::string::npos);
  const std::string config = test::read_text(out + "/config.yaml");
  EXPECT_NE(config.find("population: 8"), std::string::npos) << config;
  EXPECT_NE(config.find("budget: 30"), std::string::npos) << config;
  if (!find_program("gnuplot").empty()) {
    EXPECT_GT(fs::file_size(out + "/best_so_far.png"), 0u);
    EXPECT_GT(fs::file_size(out + "/best_so_far.svg"), 0u);
  }

  // The same command again refuses to clobber the finished run; --overwrite starts afresh and
  // gives the same files.
  auto again = run_tool("search", {"--strategy", "rea,random", "--benchmark", "nb201-cifar10",
                                   "--budget", "30", "--seeds", "0:3", "--out", out});
  EXPECT_EQ(again.exit_code, 2);
  fs::copy(out, tmp.file("first"), fs::copy_options::recursive);
  auto over = run_tool("search", {"--strategy", "rea,random", "--benchmark", "nb201-cifar10",
                                  "--budget", "30", "--seeds", "0:3", "--out", out, "--overwrite",
                                  "--set", "rea.population=8"});
  ASSERT_EQ(over.exit_code, 0) << over.err;
  expect_same_runs(tmp.file("first"), out);

  // Resuming with only --out reuses config.yaml; a larger budget continues every seed.
  auto more = run_tool("search", {"--out", out, "--resume", "--budget", "40"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(lines_without_wall(out + "/rea/seed_2/history.jsonl").size(), 40u);
  EXPECT_EQ(lines_without_wall(out + "/rea/seed_2/history.jsonl")[29],
            lines_without_wall(tmp.file("first") + "/rea/seed_2/history.jsonl")[29]);
}

TEST(SearchTool, ShippedConfigsRun) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/genius/nasbench201_cifar10.json");
  int found = 0;
  for (const auto& e : fs::directory_iterator(std::string(NASGEN_SOURCE_DIR) + "/configs")) {
    const std::string name = e.path().filename().string();
    if (!starts_with(name, "search_") || !ends_with(name, ".yaml")) continue;
    ++found;
    TempDir tmp;
    auto r = run_tool("search", {"--config", e.path().string(), "--budget", "12", "--seeds", "0:2",
                                 "--out", tmp.file("run"), "--set", "plot=false"});
    // A config for a benchmark whose data is not shipped fails with one clear line.
    if (r.exit_code == 2 && r.err.find("not found") != std::string::npos) continue;
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_TRUE(fs::exists(tmp.file("run/summary.json"))) << name;
  }
  EXPECT_GT(found, 0);
}

size_t total_history_bytes(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().filename() == "history.jsonl") n += e.file_size(ec);
  return n;
}

// Waits until the run has written at least `bytes` of history (or exited), then kills it.
// Returns false when the process finished on its own first.
bool kill_after(pid_t pid, const std::string& dir, size_t bytes) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    if (total_history_bytes(dir) >= bytes) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// Runs the search with `args` into full/ uninterrupted, then into part/ killed (SIGKILL) at
// `first` and `second` of the full run's history bytes and resumed each time, and expects the
// same files.
void expect_sigkill_and_resume_match(const std::vector<std::string>& args, double first,
                                     double second) {
  TempDir tmp;
  auto with_out = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> a = args;
    a.push_back("--out");
    a.push_back(out);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::string full = tmp.file("full"), part = tmp.file("part");
  auto r = run_tool("search", with_out(full, {}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto total = static_cast<double>(total_history_bytes(full));

  // Killed early, resumed, killed again later, resumed to the end.
  bool killed1 = kill_after(test::spawn_tool("search", with_out(part, {})), part,
                            static_cast<size_t>(first * total));
  bool killed2 = kill_after(test::spawn_tool("search", with_out(part, {"--resume"})), part,
                            static_cast<size_t>(second * total));
  EXPECT_TRUE(killed1 || killed2) << "the run finished before it could be killed";
  if (killed1) {
    EXPECT_FALSE(fs::exists(part + "/summary.json"));
  }
  auto done = run_tool("search", with_out(part, {"--resume"}));
  ASSERT_EQ(done.exit_code, 0) << done.err;
  expect_same_runs(full, part);
  expect_same_runs(part, full);
}

TEST(SearchTool, SigkillAndResumeGiveTheUninterruptedFiles) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/genius/nasbench201_cifar10.json");
  expect_sigkill_and_resume_match({"--strategy", "rea,local,random", "--benchmark", "nb201-cifar10",
                                   "--budget", "300", "--seeds", "0:12", "--batch-size", "2"},
                                  0.1, 0.5);
}

}  // namespace
}  // namespace nas

namespace nas {
namespace {

// Small sizes for the generators' strategies in tool runs.
std::vector<std::string> small_generators() {
  return {"--set", "nao.ensemble=1", "--set", "nao.explore=0", "--set", "nao.controller.epochs=5", "--set",
          "nag.iterations=20", "--set", "nag.samples=100", "--set", "agnet.pretrain.steps=200",
          "--set", "agnet.epochs=3", "--set", "agnet-hw.pretrain.steps=200", "--set",
          "agnet-hw.epochs=3", "--set", "agnet-xgb.pretrain.steps=200"};
}

// The Runner's constraint, with every strategy the search tool has: every architecture reported
// as best meets the bound, the regret is measured against the best architecture within it, and
// each run writes its Pareto front.
TEST(SearchTool, EveryStrategySearchesUnderAConstraint) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_latency_help.csv");
  TempDir tmp;
  ::setenv("NASGEN_CACHE", tmp.file("cache").c_str(), 1);
  const std::string out = tmp.file("run");
  const double bound = 10.6756;  // the median latency_pixel3_ms of NB201
  // The language model's part: random cells, as lists in a chatty reply.
  ScriptedEndpoint model;
  Rng rng(5);
  for (int i = 0; i < 60; ++i) {
    std::vector<int64_t> ops;
    for (int e = 0; e < 6; ++e) ops.push_back(rng.uniform_int(0, 4));
    model.add(ScriptedEndpoint::reply(fmt::format("Try this one: [{}]", fmt::join(ops, ", "))));
  }
  std::vector<std::string> args = {
      "--strategy", "random,rea,local,nao,nag,agnet,agnet-xgb,agnet-hw,llm,predictor", "--benchmark",
      "nb201-cifar10", "--budget", "40", "--seeds", "0:1", "--batch-size", "4", "--out", out,
      "--set", "constraint.metric=latency_pixel3_ms", "--set", fmt::format("constraint.max={}", bound),
      "--set", "plot=false", "--set", "llm.endpoint=" + model.url(), "--set", "llm.api_key_env="};
  for (const auto& a : small_generators()) args.push_back(a);
  auto r = run_tool("search", args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = Json::parse(test::read_text(out + "/summary.json"));
  EXPECT_NEAR(summary["oracle"]["val_acc"].get<double>(), 90.834, 1e-3);  // the best within it
  for (const std::string s :
       {"random", "rea", "local", "nao", "nag", "agnet", "agnet-xgb", "agnet-hw", "llm", "predictor"}) {
    const std::string dir = out + "/" + s + "/seed_0";
    Json result = Json::parse(test::read_text(dir + "/result.json"));
    ASSERT_TRUE(result["best"].is_object()) << s;
    const int64_t best = result["best"]["id"].get<int64_t>();
    int over = 0;
    int64_t line = 0;
    for (const auto& l : split(test::read_text(dir + "/history.jsonl"), '\n')) {
      if (l.empty()) continue;
      Json j = Json::parse(l);
      const double latency = j["metrics"]["latency_pixel3_ms"].get<double>();
      if (line == best) {
        EXPECT_LE(latency, bound) << s;
      }
      over += latency > bound;
      ++line;
    }
    EXPECT_EQ(line, 40) << s;
    EXPECT_TRUE(fs::exists(dir + "/pareto.jsonl")) << s;
    EXPECT_FALSE(test::read_text(dir + "/pareto.jsonl").empty()) << s;
  }
}

TEST(SearchTool, BadConstraintsAndAgNetInputAreOneLineAndExitTwo) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_latency_help.csv");
  TempDir tmp;
  ::setenv("NASGEN_CACHE", tmp.file("cache").c_str(), 1);
  const std::vector<std::string> base = {"--strategy", "rea", "--benchmark", "nb201-cifar10",
                                         "--budget", "10", "--out", tmp.file("run")};
  auto with = [&](std::vector<std::string> extra, std::vector<std::string> b) {
    b.insert(b.end(), extra.begin(), extra.end());
    return b;
  };
  const std::string metric = "constraint.metric=latency_pixel3_ms";
  expect_usage_error(with({"--set", "constraint.metric=latency_toaster_ms", "--set", "constraint.max=5"}, base),
                     "has no column 'latency_toaster_ms'");
  expect_usage_error(with({"--set", metric, "--set", "constraint.max=-5"}, base), "constraint.max");
  expect_usage_error(with({"--set", metric, "--set", "constraint.max=fast"}, base), "constraint.max");
  expect_usage_error(with({"--set", metric, "--set", "constraint.max=0.001"}, base),
                     "no architecture of nb201-cifar10 has latency_pixel3_ms <= 0.001");
  expect_usage_error(with({"--set", "constraint.max=5"}, base), "bounds no metric");
  std::vector<std::string> hw = base;
  hw[1] = "agnet-hw";
  expect_usage_error(with({"--set", "agnet-hw.pretrain.steps=20"}, hw), "needs a constraint");

  // A pre-trained generator file of another space is refused; a truncated one is trained again.
  const std::string gen = tmp.file("nb201_generator.pt");
  std::vector<std::string> ag = base;
  ag[1] = "agnet";
  ag[5] = "20";  // past the 16 random seeds, so the generator is loaded
  auto made = run_tool("search", with({"--set", "agnet.pretrain.steps=20", "--set",
                                        "agnet.generator_file=" + gen, "--overwrite"}, ag));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ASSERT_TRUE(fs::exists(gen));
  expect_usage_error({"--strategy", "agnet", "--benchmark", "macro-cifar10", "--budget", "10",
                      "--out", tmp.file("macro"), "--set", "agnet.pretrain.steps=20", "--set",
                      "agnet.generator_file=" + gen},
                     "is for space nb201, not macro");
  fs::resize_file(gen, fs::file_size(gen) / 3);
  auto again = run_tool("search", with({"--set", "agnet.pretrain.steps=20", "--set",
                                         "agnet.generator_file=" + gen, "--overwrite"}, ag));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("unreadable"), std::string::npos) << again.err;
}

// AG-Net killed mid-search and resumed gives the files of an uninterrupted run (its rounds are
// read back from their checkpoints).
TEST(SearchTool, AgNetSigkillAndResumeGiveTheUninterruptedFiles) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_all.csv");
  TempDir cache;  // the first (uninterrupted) run pre-trains into it, the others read it
  ::setenv("NASGEN_CACHE", cache.path().c_str(), 1);
  expect_sigkill_and_resume_match({"--strategy", "agnet", "--benchmark", "nb201-cifar10", "--budget",
                                   "64", "--seeds", "0:2", "--set", "agnet.pretrain.steps=200",
                                   "--set", "agnet.epochs=10", "--set", "plot=false"},
                                  1.0 / 3, 2.0 / 3);
}

}  // namespace
}  // namespace nas

namespace nas {
namespace {

// `search --strategy llm` on NAS-Bench-Macro against `server`, into `out`.
std::vector<std::string> llm_search(const ScriptedEndpoint& server, const std::string& out,
                                    int64_t budget) {
  return {"--strategy", "llm", "--benchmark", "macro-cifar10", "--budget",
          std::to_string(budget), "--seeds", "0:1", "--out", out, "--set", "plot=false",
          "--set", "llm.endpoint=" + server.url(), "--set", "llm.api_key_env=NASGEN_TEST_LLM_KEY",
          "--set", "llm.backoff=0.01", "--set", "llm.retries=1"};
}

std::vector<ScriptedEndpoint::Entry> macro_replies() {
  return {ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]"),
          ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]"),
          ScriptedEndpoint::reply("My answer: [1, 1, 1, 1, 1, 1, 1, 1]"),
          ScriptedEndpoint::slow(1.5, "[0, 1, 2, 1, 2, 1, 2, 1]"),
          ScriptedEndpoint::reply("[2, 1, 2, 1, 2, 1, 2, 1]"),
          ScriptedEndpoint::reply("[1, 2, 2, 1, 2, 2, 1, 2]")};
}

// Every file under `dir`, concatenated.
std::string all_files(const std::string& dir) {
  std::string out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out += test::read_text(e.path().string());
  return out;
}

TEST(SearchTool, LlmSearchResumesAfterSigkillMidCallAndRepeatsNoAnsweredRequest) {
  NAS_REQUIRE_DATA(file, "nas-bench-macro/nas-bench-macro_cifar10.json");
  const std::string secret = "sk-test-5ecret-417";
  ::setenv("NASGEN_TEST_LLM_KEY", secret.c_str(), 1);
  TempDir tmp;
  const std::string full = tmp.file("full"), part = tmp.file("part");
  ScriptedEndpoint whole(macro_replies());
  whole.set_keyed(true);
  auto r = run_tool("search", llm_search(whole, full, 6));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(whole.request_count(), 6u);
  EXPECT_EQ(whole.requests()[0].header("authorization"), "Bearer " + secret);

  ScriptedEndpoint server(macro_replies());
  server.set_keyed(true);
  const pid_t pid = test::spawn_tool("search", llm_search(server, part, 6));
  // Killed while the fourth call (the slow one) waits for its reply.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (server.request_count() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "finished before the kill";
  ASSERT_EQ(server.request_count(), 4u);

  std::vector<std::string> resume = llm_search(server, part, 6);
  resume.push_back("--resume");
  auto rr = run_tool("search", resume);
  ASSERT_EQ(rr.exit_code, 0) << rr.err;
  EXPECT_EQ(test::history_without_times(part + "/llm/seed_0"),
            test::history_without_times(full + "/llm/seed_0"));
  // Only the call in flight at the kill was sent again.
  EXPECT_EQ(server.request_count(), 7u);
  int repeated = 0;
  for (const auto& [body, count] : server.body_counts()) repeated += count > 1;
  EXPECT_EQ(repeated, 1);
  EXPECT_EQ(server.count(server.bodies()[3]), 2);
  // The key is sent, never stored.
  EXPECT_EQ(all_files(part).find(secret), std::string::npos);
  EXPECT_EQ(all_files(full).find(secret), std::string::npos);
  ::unsetenv("NASGEN_TEST_LLM_KEY");
}

TEST(SearchTool, LlmSearchEndpointDownExitsOneAndResumeContinues) {
  NAS_REQUIRE_DATA(file, "nas-bench-macro/nas-bench-macro_cifar10.json");
  ::setenv("NASGEN_TEST_LLM_KEY", "k", 1);
  TempDir tmp;
  const std::string out = tmp.file("run");
  // The third question always gets a 500.
  ScriptedEndpoint down({ScriptedEndpoint::reply("[1, 2, 0, 1, 2, 0, 1, 0]"),
                         ScriptedEndpoint::reply("[2, 2, 2, 2, 2, 2, 2, 2]"),
                         ScriptedEndpoint::status(500, "overloaded")});
  down.set_keyed(true);
  auto r = run_tool("search", llm_search(down, out, 4));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // After the run's log lines, one error line naming the failure.
  const auto lines = split(r.err, '\n');
  ASSERT_GE(lines.size(), 2u) << r.err;
  const std::string& last = lines[lines.size() - 2];
  EXPECT_TRUE(starts_with(last, "search: error: llm: ")) << r.err;
  EXPECT_NE(last.find("HTTP 500: overloaded"), std::string::npos) << r.err;
  EXPECT_EQ(down.request_count(), 4u);  // 2 answered, then the third twice (retries 1)
  ScriptedEndpoint up({ScriptedEndpoint::reply("[1, 1, 1, 1, 1, 1, 1, 1]"),
                       ScriptedEndpoint::reply("[0, 1, 2, 1, 2, 1, 2, 1]")});
  std::vector<std::string> resume = llm_search(up, out, 4);
  resume.push_back("--resume");
  auto rr = run_tool("search", resume);
  ASSERT_EQ(rr.exit_code, 0) << rr.err;
  EXPECT_EQ(up.request_count(), 2u);
  EXPECT_EQ(test::history_without_times(out + "/llm/seed_0").size(), 4u);
  ::unsetenv("NASGEN_TEST_LLM_KEY");
}

TEST(SearchTool, LlmSearchBadConfigIsOneLineExitTwoBeforeAnyCall) {
  NAS_REQUIRE_DATA(file, "nas-bench-macro/nas-bench-macro_cifar10.json");
  ::setenv("NASGEN_TEST_LLM_KEY", "k", 1);
  TempDir tmp;
  ScriptedEndpoint server;
  const std::vector<std::string> base = {"--strategy", "llm", "--benchmark", "macro-cifar10",
                                         "--budget", "5", "--out", tmp.file("run")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::string url = "llm.endpoint=" + server.url();
  expect_usage_error(with({}), "llm.endpoint");
  expect_usage_error(with({"--set", "llm.endpoint=localhost:8080/v1"}), "llm.endpoint");
  ::unsetenv("NASGEN_TEST_UNSET_KEY");
  expect_usage_error(with({"--set", url, "--set", "llm.api_key_env=NASGEN_TEST_UNSET_KEY"}),
                     "NASGEN_TEST_UNSET_KEY");
  test::write_text(tmp.file("t.prompt"), "protocol: fresh\n[system]\n{{colour}}\n");
  expect_usage_error(with({"--set", url, "--set", "llm.api_key_env=NASGEN_TEST_LLM_KEY", "--set",
                           "llm.prompt_file=" + tmp.file("t.prompt")}),
                     "{{colour}}");
  expect_usage_error({"--strategy", "llm", "--benchmark", "macro-cifar10", "--budget", "-3",
                      "--set", url},
                     "--budget");
  EXPECT_EQ(server.request_count(), 0u);
  ::unsetenv("NASGEN_TEST_LLM_KEY");
}

}  // namespace
}  // namespace nas
