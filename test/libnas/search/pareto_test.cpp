// The Pareto front of a run's answers: dominated points left out, ties kept once, the files a
// hardware-aware run writes.
#include "libnas/search/pareto.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libnas/util/json.h"
#include "libnas/util/plot.h"
#include "libnas/util/strings.h"
#include "test/libnas/search/toy_search.h"
#include "test_util.h"

namespace nas {
namespace {

Trial trial(int64_t id, double acc, double latency, bool duplicate = false) {
  Trial t;
  t.id = id;
  t.arch = test::ToySpace(3, 4).parse(std::to_string(id % 4) + "00");
  t.metrics.val_acc = acc;
  t.metrics.extra["latency_ms"] = latency;
  t.duplicate = duplicate;
  return t;
}

TEST(ParetoFront, KeepsTheAnswersNoOtherBeatsOnBothMetrics) {
  // (acc, latency): 1 dominates 0; 3 ties 2 (kept once, the first); 4 is dominated by 2; 5 is
  // the most accurate and the slowest; 6 is a duplicate; 7 has no latency.
  std::vector<Trial> t = {trial(0, 80, 3.0), trial(1, 85, 2.0), trial(2, 90, 4.0),
                          trial(3, 90, 4.0), trial(4, 88, 5.0), trial(5, 95, 9.0),
                          trial(6, 99, 1.0, true), trial(7, 99, kMissing)};
  EXPECT_EQ(pareto_front(t, "val_acc", "latency_ms"), (std::vector<int64_t>{1, 2, 5}));
}

TEST(ParetoFront, WritesTheFrontAndAPlot) {
  test::TempDir tmp;
  std::vector<Trial> t = {trial(0, 80, 3.0), trial(1, 85, 2.0), trial(2, 90, 4.0), trial(3, 95, 9.0)};
  RunConfig cfg;
  cfg.constraint.metric = "latency_ms";
  cfg.constraint.max = 5.0;
  test::ToySpace space(3, 4);
  const bool drawn = write_pareto(tmp.path(), t, space, cfg);
  std::vector<Json> lines;
  for (const auto& l : split(test::read_text(tmp.file("pareto.jsonl")), '\n'))
    if (!l.empty()) lines.push_back(Json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["id"], 1);
  EXPECT_EQ(lines[1]["id"], 2);
  EXPECT_EQ(lines[2]["id"], 3);
  EXPECT_EQ(lines[2]["latency_ms"], 9.0);
  EXPECT_EQ(lines[2]["meets_bound"], false);
  EXPECT_EQ(lines[0]["meets_bound"], true);
  EXPECT_EQ(lines[0]["arch"], "100");
  // The plot's data: every answer, then the front, then the bound.
  const std::string dat = test::read_text(tmp.file("pareto.dat"));
  EXPECT_NE(dat.find("3 80 "), std::string::npos) << dat;  // the first answer
  if (find_program("gnuplot").empty()) GTEST_SKIP() << "gnuplot not installed: no images";
  EXPECT_TRUE(drawn);
  EXPECT_TRUE(std::filesystem::exists(tmp.file("pareto.svg")));
  const std::string svg = test::read_text(tmp.file("pareto.svg"));
  EXPECT_NE(svg.find("Pareto front"), std::string::npos);
}

}  // namespace
}  // namespace nas
