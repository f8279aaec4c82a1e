#include "libnas/search/experiment.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libnas/search/history.h"
#include "libnas/search/summary.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::ToyEvaluator;
using test::ToySpace;

ExperimentConfig toy_config(int64_t budget) {
  ExperimentConfig cfg;
  cfg.strategies = {"rea", "random"};
  cfg.seeds = {0, 1, 2};
  cfg.run.budget = budget;
  cfg.sections = YAML::Load("{rea: {population: 6, sample_size: 2}}");
  return cfg;
}

std::vector<SeedRun> run_toy(const ExperimentConfig& cfg, const std::string& path, bool resume) {
  auto space = std::make_shared<ToySpace>(6, 4);
  auto eval = std::make_shared<ToyEvaluator>(std::vector<int>{3, 0, 2, 1, 3, 2});
  RunDir root("search", path, resume, false);
  return run_experiment(cfg, space, eval, root);
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

TEST(SearchSummary, BudgetsAreOneTwoFiveStepsUpToTheBudget) {
  EXPECT_EQ(summary_budgets(200), (std::vector<int64_t>{10, 20, 50, 100, 200}));
  EXPECT_EQ(summary_budgets(250), (std::vector<int64_t>{10, 20, 50, 100, 200, 250}));
  EXPECT_EQ(summary_budgets(1000), (std::vector<int64_t>{10, 20, 50, 100, 200, 500, 1000}));
  EXPECT_EQ(summary_budgets(7), (std::vector<int64_t>{7}));
  EXPECT_EQ(summary_budgets(0), (std::vector<int64_t>{}));
  auto [m, s] = mean_std({1.0, 2.0, 3.0, 4.0});
  EXPECT_DOUBLE_EQ(m, 2.5);
  EXPECT_DOUBLE_EQ(s, std::sqrt(1.25));  // population std
}

TEST(SearchSummary, NumbersEqualAHandComputationFromTheHistories) {
  TempDir tmp;
  const std::string root = tmp.path() + "/run";
  auto cfg = toy_config(25);
  auto runs = run_toy(cfg, root, false);
  ASSERT_EQ(runs.size(), 6u);
  Oracle oracle{"302132", 90.0, 93.03};
  OrderedJson j = summary_to_json(summarize(runs, "val_acc", oracle));
  EXPECT_EQ(j["budgets"], OrderedJson({10, 20, 25}));

  for (const std::string strategy : {"rea", "random"}) {
    const auto& points = j["strategies"][strategy]["at"];
    ASSERT_EQ(points.size(), 3u);
    for (size_t bi = 0; bi < 3; ++bi) {
      const int64_t b = points[bi]["queries"].get<int64_t>();
      std::vector<double> best, test, regret;
      for (int64_t seed : cfg.seeds) {
        HistoryFile h = read_history(seed_dir(root, strategy, seed) + "/history.jsonl");
        ASSERT_EQ(h.records.size(), 25u);
        size_t arg = 0;
        for (size_t i = 1; i < static_cast<size_t>(b); ++i)
          if (h.records[i].metrics.val_acc > h.records[arg].metrics.val_acc) arg = i;
        best.push_back(h.records[arg].metrics.val_acc);
        test.push_back(h.records[arg].metrics.test_acc);
        regret.push_back(90.0 - h.records[arg].metrics.val_acc);
      }
      auto check = [&](const char* key, const std::vector<double>& v) {
        double mean = (v[0] + v[1] + v[2]) / 3;
        double var = ((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) +
                      (v[2] - mean) * (v[2] - mean)) / 3;
        EXPECT_NEAR(points[bi][std::string(key) + "_mean"].get<double>(), mean, 1e-9)
            << strategy << " b=" << b << " " << key;
        EXPECT_NEAR(points[bi][std::string(key) + "_std"].get<double>(), std::sqrt(var), 1e-9)
            << strategy << " b=" << b << " " << key;
      };
      check("best", best);
      check("test", test);
      check("regret", regret);
      EXPECT_EQ(points[bi]["seeds"], 3);
    }
  }
  // The printed table has one row per strategy and budget.
  std::string table = summary_table(summarize(runs, "val_acc", oracle));
  EXPECT_NE(table.find("regret"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 2 + 6);
}

TEST(SearchExperiment, WritesOneDirectoryPerStrategyAndSeed) {
  TempDir tmp;
  auto runs = run_toy(toy_config(12), tmp.path() + "/run", false);
  for (const auto& r : runs) {
    EXPECT_EQ(r.dir, seed_dir(tmp.path() + "/run", r.strategy, r.seed));
    EXPECT_TRUE(fs::exists(r.dir + "/history.jsonl"));
    Json done = Json::parse(test::read_text(r.dir + "/result.json"));
    EXPECT_EQ(done["queries"], 12);
    EXPECT_EQ(done["stop"], "budget");
    EXPECT_EQ(done["best"]["id"], r.result.best);
  }
  EXPECT_TRUE(fs::exists(tmp.path() + "/run/random/seed_2/history.jsonl"));
}

TEST(SearchExperiment, ResumeReadsFinishedSeedsBackAndReplaysTheTornOne) {
  TempDir tmp;
  const std::string full = tmp.path() + "/full", part = tmp.path() + "/part";
  auto cfg = toy_config(30);
  run_toy(cfg, full, false);
  fs::copy(full, part, fs::copy_options::recursive);
  // rea seed 1 was killed in the middle of line 13; random seed 1 after its last line but before
  // result.json; random seed 2 never started.
  const std::string torn = part + "/rea/seed_1/history.jsonl";
  std::string text = test::read_text(torn);
  size_t pos = 0;
  for (int i = 0; i < 12; ++i) pos = text.find('\n', pos) + 1;
  test::write_text(torn, text.substr(0, pos + 9));
  fs::remove(part + "/rea/seed_1/result.json");
  fs::remove(part + "/random/seed_1/result.json");
  fs::remove_all(part + "/random/seed_2");
  // Killed while result.json of rea seed 0 was being written atomically.
  test::write_text(part + "/rea/seed_0/result.json.tmp.12345", "{\"stra");

  auto runs = run_toy(cfg, part, true);
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_FALSE(fs::exists(part + "/rea/seed_0/result.json.tmp.12345"));
  for (const auto& r : runs) {
    const bool touched = (r.strategy == "rea" && r.seed == 1) || (r.strategy == "random" && r.seed >= 1);
    EXPECT_EQ(r.read_back, !touched) << r.strategy << " " << r.seed;
    const std::string rel = fs::relative(r.dir, part).string();
    EXPECT_EQ(lines_without_wall(r.dir + "/history.jsonl"),
              lines_without_wall(full + "/" + rel + "/history.jsonl"))
        << rel;
    EXPECT_EQ(test::read_text(r.dir + "/result.json"), test::read_text(full + "/" + rel + "/result.json"))
        << rel;
  }
}

TEST(SearchExperiment, ResumeWithAChangedStrategyConfigIsAnError) {
  TempDir tmp;
  auto cfg = toy_config(20);
  run_toy(cfg, tmp.path() + "/run", false);
  cfg.sections = YAML::Load("{rea: {population: 5, sample_size: 2}}");
  try {
    run_toy(cfg, tmp.path() + "/run", true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config or the seed changed"), std::string::npos) << e.what();
  }
}

TEST(SearchExperiment, ValidatesBeforeRunning) {
  auto space = std::make_shared<ToySpace>(3, 3);
  auto msg = [&](ExperimentConfig cfg) {
    try {
      validate_experiment(cfg, space);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto cfg = toy_config(10);
  EXPECT_EQ(msg(cfg), "no error");
  auto bad = cfg;
  bad.strategies = {"rea", "bogus"};
  EXPECT_NE(msg(bad).find("unknown strategy 'bogus'"), std::string::npos) << msg(bad);
  bad = cfg;
  bad.seeds = {1, 1};
  EXPECT_NE(msg(bad).find("--seeds"), std::string::npos);
  bad = cfg;
  bad.seeds = {-1};
  EXPECT_NE(msg(bad).find("--seeds"), std::string::npos);
  bad = cfg;
  bad.sections = YAML::Load("{rea: {size: 3}}");
  EXPECT_NE(msg(bad).find("rea.size"), std::string::npos) << msg(bad);
}

}  // namespace
}  // namespace nas
