#include "libnas/search/runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "libnas/search/history.h"
#include "libnas/util/error.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas {
namespace {

using test::ScriptedStrategy;
using test::TempDir;
using test::ToyEvaluator;
using test::ToySpace;

RunConfig budget_of(int64_t n, int64_t batch = 1) {
  RunConfig c;
  c.budget = n;
  c.batch_size = batch;
  return c;
}

// Every line of a history file with wall_s removed (the one field that may differ between an
// interrupted-and-resumed run and an uninterrupted one).
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

TEST(SearchRunner, SpendsTheQueryBudgetExactly) {
  for (int64_t batch : {1, 4, 7}) {
    auto space = std::make_shared<ToySpace>(5, 4);
    auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{3, 1, 2, 0, 3});
    TempDir tmp;
    RunDir dir("search", tmp.path() + "/run", false);
    Runner runner(budget_of(37, batch), space, make_strategy("random", {}, space, 3), eval, &dir);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    EXPECT_EQ(r.trials.size(), 37u) << "batch " << batch;
    EXPECT_EQ(eval->evaluated.size(), 37u) << "batch " << batch;
    EXPECT_EQ(r.stop, StopReason::Budget);
    EXPECT_EQ(read_history(dir.file("history.jsonl")).records.size(), 37u);
    for (size_t i = 0; i < r.trials.size(); ++i) EXPECT_EQ(r.trials[i].id, static_cast<int64_t>(i));
  }
}

TEST(SearchRunner, DuplicatesAreAnsweredFromTheCacheAndNotCharged) {
  // order_free: "0010" is the same network as "0001".
  auto space = std::make_shared<ToySpace>(4, 3, /*order_free=*/true);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{0, 1, 2, 2}, true);
  auto script = std::make_unique<ScriptedStrategy>(
      space, std::vector<std::string>{"0000", "0001", "0000", "0010", "0001", "0002", "1111"});
  ScriptedStrategy* s = script.get();
  TempDir tmp;
  RunDir dir("search", tmp.path() + "/run", false);
  // Batch of 3: "0000" repeats across batches, "0010"/"0001" repeat inside the second batch.
  Runner runner(budget_of(3, 3), space, std::move(script), eval, &dir);
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  ASSERT_EQ(r.trials.size(), 3u);
  EXPECT_EQ(space->format(r.trials[2].arch), "0002");
  EXPECT_EQ(eval->evaluated.size(), 3u);
  EXPECT_EQ(r.duplicates, 3);
  ASSERT_EQ(s->told.size(), 6u);
  const bool dup[] = {false, false, true, true, true, false};
  const int64_t ids[] = {0, 1, 0, 1, 1, 2};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s->told[i].duplicate, dup[i]) << i;
    EXPECT_EQ(s->told[i].id, ids[i]) << i;
  }
  // A duplicate carries the original's metrics but is told under the arch that was proposed.
  EXPECT_EQ(space->format(s->told[3].arch), "0010");
  EXPECT_DOUBLE_EQ(s->told[3].objective, r.trials[1].objective);
  EXPECT_EQ(read_history(dir.file("history.jsonl")).records.size(), 3u);
}

TEST(SearchRunner, HistoryLinesHaveTheDocumentedFormat) {
  auto space = std::make_shared<ToySpace>(4, 3);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{0, 1, 2, 2});
  TempDir tmp;
  RunDir dir("search", tmp.path() + "/run", false);
  auto strategy = std::make_unique<ScriptedStrategy>(space, std::vector<std::string>{"0122", "2100"});
  Runner runner(budget_of(2), space, std::move(strategy), eval, &dir);
  runner.on_step([](int64_t, double) {});
  runner.run();
  const std::string text = test::read_text(dir.file("history.jsonl"));
  auto lines = split(text, '\n');
  ASSERT_EQ(lines.size(), 3u);  // two lines and the empty tail after the last newline
  EXPECT_EQ(lines[2], "");
  OrderedJson j = OrderedJson::parse(lines[0]);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "arch", "hash", "metrics", "wall_s"}));
  EXPECT_EQ(j["id"], 0);
  EXPECT_EQ(j["arch"], "0122");
  EXPECT_EQ(j["hash"], "0122");
  std::vector<std::string> mkeys;
  for (auto it = j["metrics"].begin(); it != j["metrics"].end(); ++it) mkeys.push_back(it.key());
  EXPECT_EQ(mkeys, (std::vector<std::string>{"val_acc", "test_acc", "params", "flops",
                                              "train_seconds", "latency_ms"}));
  EXPECT_DOUBLE_EQ(j["metrics"]["val_acc"].get<double>(), 90.0);
  EXPECT_TRUE(j["metrics"]["params"].is_null());  // NaN is written as null
  EXPECT_TRUE(j["metrics"]["train_seconds"].is_null());
  EXPECT_TRUE(j["wall_s"].is_number());
  EXPECT_EQ(OrderedJson::parse(lines[1])["id"], 1);
  // Round trip through the reader.
  HistoryFile h = read_history(dir.file("history.jsonl"));
  ASSERT_EQ(h.records.size(), 2u);
  EXPECT_FALSE(h.torn);
  EXPECT_EQ(h.records[1].arch, "2100");
  EXPECT_TRUE(std::isnan(h.records[1].metrics.params));
  EXPECT_DOUBLE_EQ(h.records[1].metrics.extra.at("latency_ms"), 2.5);
  EXPECT_EQ(history_line(h.records[0]) + "\n" + history_line(h.records[1]) + "\n", text);
}

// Runs `strategy` for `budget` queries into dir (resumed when resume), returns the result and
// the number of archs the evaluator measured.
std::pair<RunResult, size_t> run_into(const std::string& path, bool resume, const std::string& strategy,
                                      uint64_t seed, int64_t budget, int64_t batch) {
  auto space = std::make_shared<ToySpace>(6, 4);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{3, 0, 2, 1, 3, 2});
  RunDir dir("search", path, resume, false);
  Runner runner(budget_of(budget, batch), space, make_strategy(strategy, {}, space, seed), eval, &dir);
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  return {r, eval->evaluated.size()};
}

TEST(SearchRunner, ResumeAfterAKillGivesTheUninterruptedHistory) {
  for (const std::string strategy : {"rea", "local", "random"}) {
    for (int64_t batch : {1, 3}) {
      TempDir tmp;
      const std::string full = tmp.path() + "/full";
      run_into(full, false, strategy, 11, 80, batch);
      const std::string text = test::read_text(full + "/history.jsonl");
      const auto want = lines_without_wall(full + "/history.jsonl");
      ASSERT_EQ(want.size(), 80u);

      // Killed at a line boundary (after 30 lines), and in the middle of line 51.
      size_t cut_line = 0;
      for (int i = 0; i < 30; ++i) cut_line = text.find('\n', cut_line) + 1;
      size_t line50 = 0;
      for (int i = 0; i < 50; ++i) line50 = text.find('\n', line50) + 1;
      const size_t cut_mid = line50 + 17;
      for (auto [cut, kept] : {std::pair<size_t, size_t>{cut_line, 30}, {cut_mid, 50}}) {
        const std::string part = tmp.path() + "/part" + std::to_string(cut);
        std::filesystem::create_directories(part);
        test::write_text(part + "/history.jsonl", text.substr(0, cut));
        auto [r, measured] = run_into(part, true, strategy, 11, 80, batch);
        EXPECT_EQ(lines_without_wall(part + "/history.jsonl"), want)
            << strategy << " batch " << batch << " cut " << cut;
        EXPECT_EQ(measured, 80 - kept) << strategy;
        EXPECT_EQ(r.replayed, static_cast<int64_t>(kept));
        // The recorded lines are kept byte for byte.
        EXPECT_EQ(test::read_text(part + "/history.jsonl").substr(0, cut_line),
                  text.substr(0, cut_line));
      }
    }
  }
}

TEST(SearchRunner, ResumingAFinishedRunMeasuresNothing) {
  TempDir tmp;
  run_into(tmp.path() + "/r", false, "rea", 2, 40, 1);
  const std::string before = test::read_text(tmp.path() + "/r/history.jsonl");
  auto [r, measured] = run_into(tmp.path() + "/r", true, "rea", 2, 40, 1);
  EXPECT_EQ(measured, 0u);
  EXPECT_EQ(r.trials.size(), 40u);
  EXPECT_EQ(test::read_text(tmp.path() + "/r/history.jsonl"), before);
  // A larger budget continues where the finished run stopped.
  auto [r2, measured2] = run_into(tmp.path() + "/r", true, "rea", 2, 55, 1);
  EXPECT_EQ(measured2, 15u);
  EXPECT_EQ(r2.trials.size(), 55u);
}

TEST(SearchRunner, ResumeWithAnotherSeedIsAnError) {
  TempDir tmp;
  run_into(tmp.path() + "/r", false, "rea", 1, 30, 1);
  try {
    run_into(tmp.path() + "/r", true, "rea", 2, 30, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the config or the seed changed"), std::string::npos)
        << e.what();
  }
  // A lower budget than recorded cannot reproduce the history either.
  EXPECT_THROW(run_into(tmp.path() + "/r", true, "rea", 1, 20, 1), Error);
}

TEST(SearchRunner, SecondsBudgetStopsAfterTheEvaluationThatCrossesIt) {
  auto space = std::make_shared<ToySpace>(5, 4);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{3, 1, 2, 0, 3}, false, true);
  RunConfig cfg;
  cfg.budget_seconds = 500;
  cfg.batch_size = 4;
  Runner runner(cfg, space, make_strategy("random", {}, space, 5), eval);
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  EXPECT_EQ(r.stop, StopReason::BudgetSeconds);
  double sum = 0;
  for (const auto& t : r.trials) sum += t.metrics.train_seconds;
  EXPECT_DOUBLE_EQ(sum, r.train_seconds);
  EXPECT_GE(sum, 500.0);
  EXPECT_LT(sum - r.trials.back().metrics.train_seconds, 500.0);

  // Both budgets: whichever runs out first.
  cfg.budget = 5;
  Runner both(cfg, space, make_strategy("random", {}, space, 5), eval);
  both.on_step([](int64_t, double) {});
  EXPECT_EQ(both.run().trials.size(), 5u);

  // An evaluator without training times cannot spend seconds.
  auto no_time = std::make_shared<ToyEvaluator>(std::vector<int>{3, 1, 2, 0, 3});
  Runner bad(cfg, space, make_strategy("random", {}, space, 5), no_time);
  try {
    bad.run();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--budget-seconds"), std::string::npos) << e.what();
  }
}

TEST(SearchRunner, BadBudgetsNameTheFlag) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{0, 1, 2});
  auto message = [&](RunConfig cfg) {
    try {
      Runner r(cfg, space, make_strategy("random", {}, space, 0), eval);
      r.run();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  RunConfig neg;
  neg.budget = -3;
  EXPECT_NE(message(neg).find("--budget"), std::string::npos) << message(neg);
  RunConfig none;
  EXPECT_NE(message(none).find("no budget"), std::string::npos) << message(none);
  RunConfig neg_s;
  neg_s.budget_seconds = -1;
  EXPECT_NE(message(neg_s).find("--budget-seconds"), std::string::npos) << message(neg_s);
  RunConfig batch = budget_of(3, 0);
  EXPECT_NE(message(batch).find("batch_size"), std::string::npos) << message(batch);
}

TEST(SearchRunner, GivesUpAfterTooManyDuplicatesInARow) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{0, 1, 2});
  std::vector<std::string> script{"012"};
  for (int i = 0; i < 50; ++i) script.push_back("012");
  script.push_back("111");
  RunConfig cfg = budget_of(10);
  cfg.max_duplicates = 20;
  Runner runner(cfg, space, std::make_unique<ScriptedStrategy>(space, script), eval);
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  EXPECT_EQ(r.stop, StopReason::Duplicates);
  EXPECT_EQ(r.trials.size(), 1u);
  EXPECT_EQ(r.duplicates, 20);
}

TEST(SearchRunner, StopsWhenTheStrategyRunsDry) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{0, 1, 2});
  Runner runner(budget_of(10), space,
                std::make_unique<ScriptedStrategy>(space, std::vector<std::string>{"012", "210"}),
                eval);
  runner.on_step([](int64_t, double) {});
  RunResult r = runner.run();
  EXPECT_EQ(r.stop, StopReason::Exhausted);
  EXPECT_EQ(r.trials.size(), 2u);
  EXPECT_EQ(r.best, 0);  // "012" is the optimum
}

TEST(SearchRunner, AnArchAbsentFromTheTableIsAnErrorNamingIt) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto table = std::make_shared<TableBenchmark>("toy-table", space, "in memory");
  table->add(space->parse("012"), test::toy_metrics({0, 1, 2}, {0, 1, 2}, false, false));
  auto eval = std::make_shared<TabularEvaluator>(table);
  EXPECT_FALSE(eval->records_train_seconds());
  auto ok = eval->evaluate({space->parse("012")});
  EXPECT_DOUBLE_EQ(ok[0].val_acc, 90.0);
  try {
    eval->evaluate({space->parse("012"), space->parse("220")});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'220'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("toy-table"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nas

namespace nas {
namespace {

// A constraint: answers over the bound are charged and recorded with their metrics, carry a
// NaN objective (so strategies rank them last) and are never the best; the same for every
// baseline (the generators' strategies: test/trainers/search_test.cpp).
TEST(SearchRunner, AnswersOverTheConstraintCostTheirQueryButAreNeverBest) {
  for (const std::string name : {"random", "rea", "local"}) {
    auto space = std::make_shared<test::ToySpace>(5, 4);
    auto eval = std::make_shared<test::ToyEvaluator>(std::vector<int>{3, 1, 2, 0, 3});
    RunConfig cfg = budget_of(60, 3);
    cfg.constraint.metric = "latency_ms";  // 1.5 + 0.5 * first digit: digits 0 and 1 pass
    cfg.constraint.max = 2.0;
    test::TempDir tmp;
    RunDir dir("search", tmp.path() + "/run", false);
    Runner runner(cfg, space, make_strategy(name, {}, space, 2), eval, &dir);
    runner.on_step([](int64_t, double) {});
    RunResult r = runner.run();
    ASSERT_EQ(r.trials.size(), 60u) << name;
    int over = 0;
    double best_feasible = -1e9;
    for (const Trial& t : r.trials) {
      const bool ok = t.metrics.get("latency_ms") <= 2.0;
      if (!ok) {
        ++over;
        EXPECT_TRUE(std::isnan(t.objective)) << name;
      } else {
        EXPECT_EQ(t.objective, t.metrics.val_acc) << name;
        best_feasible = std::max(best_feasible, t.objective);
      }
    }
    EXPECT_GT(over, 0) << name << ": the test needs answers over the bound";
    ASSERT_GE(r.best, 0) << name;
    EXPECT_LE(r.trials[r.best].metrics.get("latency_ms"), 2.0) << name;
    EXPECT_EQ(r.trials[r.best].objective, best_feasible) << name;
    // The history keeps the real metrics of every answer, over the bound or not.
    auto h = read_history(dir.file("history.jsonl"));
    ASSERT_EQ(h.records.size(), 60u);
    for (size_t i = 0; i < 60; ++i) EXPECT_EQ(h.records[i].metrics.val_acc, r.trials[i].metrics.val_acc);
    // And a best read back from it honours the bound too.
    EXPECT_EQ(best_trial(r.trials, 60), r.best);
  }
}

TEST(SearchRunner, BadConstraintsNameTheKey) {
  RunConfig cfg = budget_of(5);
  cfg.constraint.metric = "latency_ms";
  cfg.constraint.max = -1;
  EXPECT_THROW(cfg.validate(), Error);
  cfg.constraint.max = std::nan("");
  EXPECT_THROW(cfg.validate(), Error);
  cfg.constraint.metric = "";
  cfg.constraint.max = 3;
  EXPECT_THROW(cfg.validate(), Error);  // a bound on no metric
}

}  // namespace
}  // namespace nas
