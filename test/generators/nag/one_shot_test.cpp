// The NAG one-shot scorer on a tiny synthetic run: one score per pool architecture, the mean of
// the last epochs' saved single-batch scores, and a run interrupted after an epoch's scores and
// resumed from its run directory ending with exactly the scores of an uninterrupted run.
#include "generators/nag/one_shot.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "libnas/spaces/nag_cell.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/rng.h"
#include "test_util.h"

namespace nas::nag {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

struct Interrupted {};

OneShotConfig tiny_config(int64_t epochs) {
  OneShotConfig cfg = one_shot_recipe("synthetic");
  cfg.synthetic_size = 320;
  cfg.valid_fraction = 0.2;  // 256 training images (8 batches), 64 held out
  cfg.seed = 5;
  cfg.network.layers = 1;
  cfg.network.channels = 4;
  cfg.train.epochs = epochs;
  cfg.train.batch_size = 32;
  cfg.train.prefetch = 0;
  cfg.score_batch = 48;
  cfg.average_last = 2;
  return cfg;
}

std::vector<Arch> tiny_pool() {
  NagCellSpace space;
  std::vector<Arch> pool = {NagCellSpace::published("RS-NAG-E2"),
                            NagCellSpace::published("RS-NAG-E1")};
  Rng rng(9);
  for (int i = 0; i < 3; ++i) pool.push_back(space.sample(rng));
  return pool;
}

std::vector<double> saved_scores(const std::string& dir, int epoch) {
  const std::string path = fmt::format("{}/one_shot/scores_{:04d}.json", dir, epoch);
  return parse_json(read_file(path), path).at("scores").get<std::vector<double>>();
}

TEST(NagOneShotTest, ScoresEveryPoolArchAsTheMeanOfTheLastEpochs) {
  TempDir tmp;
  const std::vector<Arch> pool = tiny_pool();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int64_t> hooked;
  RunDir run_dir("one_shot", tmp.file("run"), false);
  const std::vector<double> scores = score_one_shot(
      tiny_config(3), pool, torch::kCPU, run_dir, [&](int64_t e) { hooked.push_back(e); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 60.0);
  EXPECT_EQ(hooked, (std::vector<int64_t>{1, 2, 3}));
  ASSERT_EQ(scores.size(), pool.size());
  const std::string dir = tmp.file("run");
  std::vector<std::vector<double>> per_epoch;
  for (int e = 1; e <= 3; ++e) {
    per_epoch.push_back(saved_scores(dir, e));
    ASSERT_EQ(per_epoch.back().size(), pool.size());
    for (double s : per_epoch.back()) {
      // One batch of 48 images: a multiple of 100/48.
      EXPECT_NEAR(s * 48 / 100, std::round(s * 48 / 100), 1e-9);
    }
  }
  bool any_differs = false;
  for (size_t i = 0; i < pool.size(); ++i) {
    EXPECT_GE(scores[i], 0.0);
    EXPECT_LE(scores[i], 100.0);
    EXPECT_DOUBLE_EQ(scores[i], (per_epoch[1][i] + per_epoch[2][i]) / 2) << "arch " << i;
    any_differs = any_differs || scores[i] != scores[0];
  }
  EXPECT_TRUE(any_differs) << "every arch got the same score";
  // The supernet learns the synthetic classes: by the last epoch the best arch beats chance.
  EXPECT_GT(*std::max_element(per_epoch[2].begin(), per_epoch[2].end()), 20.0);
  Json final = parse_json(read_file(dir + "/one_shot/final.json"), "final");
  EXPECT_EQ(final["scores"].get<std::vector<double>>(), scores);
  EXPECT_EQ(final["archs"].size(), pool.size());
  EXPECT_TRUE(fs::exists(dir + "/checkpoints/last.pt"));

  // Reopening a finished run trains nothing and returns the same scores.
  RunDir again("one_shot", dir, true);
  hooked.clear();
  EXPECT_EQ(score_one_shot(tiny_config(3), pool, torch::kCPU, again,
                           [&](int64_t e) { hooked.push_back(e); }),
            scores);
  EXPECT_TRUE(hooked.empty());
  // ...but not with another pool.
  std::vector<Arch> other = pool;
  std::swap(other[0], other[1]);
  EXPECT_THROW(score_one_shot(tiny_config(3), other, torch::kCPU, again), Error);
}

TEST(NagOneShotTest, ResumedRunGivesTheScoresOfAnUninterruptedOne) {
  TempDir tmp;
  const std::vector<Arch> pool = tiny_pool();
  RunDir whole_dir("one_shot", tmp.file("whole"), false);
  const std::vector<double> whole = score_one_shot(tiny_config(3), pool, torch::kCPU, whole_dir);

  // Interrupted after epoch 2's scores were saved but before its checkpoint was written (the
  // latest point a kill can hit an epoch): the resumed run trains epoch 2 again.
  const std::string part = tmp.file("part");
  {
    RunDir run_dir("one_shot", part, false);
    EXPECT_THROW(score_one_shot(tiny_config(3), pool, torch::kCPU, run_dir,
                                [](int64_t e) {
                                  if (e == 2) throw Interrupted{};
                                }),
                 Interrupted);
  }
  EXPECT_FALSE(fs::exists(part + "/one_shot/final.json"));
  EXPECT_TRUE(fs::exists(part + "/one_shot/scores_0002.json"));
  std::vector<int64_t> hooked;
  RunDir resumed_dir("one_shot", part, true);
  const std::vector<double> resumed = score_one_shot(
      tiny_config(3), pool, torch::kCPU, resumed_dir, [&](int64_t e) { hooked.push_back(e); });
  EXPECT_EQ(hooked, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(resumed, whole);
  for (int e = 1; e <= 3; ++e) EXPECT_EQ(saved_scores(part, e), saved_scores(tmp.file("whole"), e));
  EXPECT_EQ(test::history_without_times(part), test::history_without_times(tmp.file("whole")));
}

TEST(NagOneShotTest, ScoringOnlyTheAveragedEpochsGivesTheSameScores) {
  TempDir tmp;
  const std::vector<Arch> pool = tiny_pool();
  RunDir all_dir("one_shot", tmp.file("all"), false);
  const std::vector<double> all = score_one_shot(tiny_config(3), pool, torch::kCPU, all_dir);
  OneShotConfig cfg = tiny_config(3);
  cfg.score_averaged_only = true;
  RunDir some_dir("one_shot", tmp.file("some"), false);
  std::vector<int64_t> hooked;
  EXPECT_EQ(score_one_shot(cfg, pool, torch::kCPU, some_dir, [&](int64_t e) { hooked.push_back(e); }),
            all);
  EXPECT_EQ(hooked, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_FALSE(fs::exists(tmp.file("some") + "/one_shot/scores_0001.json"));
  EXPECT_EQ(saved_scores(tmp.file("some"), 2), saved_scores(tmp.file("all"), 2));
}

TEST(NagOneShotTest, RecipeAndBadInput) {
  const OneShotConfig d;
  EXPECT_EQ(d.dataset, "fashion-mnist");
  EXPECT_EQ(d.network.channels, 20);
  EXPECT_EQ(d.network.layers, 3);
  EXPECT_TRUE(d.network.auxiliary);
  EXPECT_DOUBLE_EQ(d.network.drop_path_keep, 0.9);
  EXPECT_EQ(d.train.epochs, 150);
  EXPECT_EQ(d.train.batch_size, 128);
  EXPECT_DOUBLE_EQ(d.train.lr.lr_min, 0.001);
  EXPECT_EQ(d.score_batch, 500);
  EXPECT_EQ(d.average_last, 10);
  EXPECT_EQ(d.augment.cutout, 0);
  EXPECT_EQ(one_shot_recipe("cifar10").augment.cutout, 16);
  EXPECT_NO_THROW(d.validate());

  TempDir tmp;
  RunDir run_dir("one_shot", tmp.file("run"), false);
  const std::vector<Arch> pool = tiny_pool();
  OneShotConfig bad = tiny_config(1);
  bad.average_last = 0;
  EXPECT_THROW(score_one_shot(bad, pool, torch::kCPU, run_dir), Error);
  bad = tiny_config(1);
  bad.valid_fraction = 1.0;
  EXPECT_THROW(score_one_shot(bad, pool, torch::kCPU, run_dir), Error);
  bad = tiny_config(1);
  bad.network.imagenet = true;
  EXPECT_THROW(score_one_shot(bad, pool, torch::kCPU, run_dir), Error);
  EXPECT_THROW(score_one_shot(tiny_config(1), {}, torch::kCPU, run_dir), Error);
  std::vector<Arch> with_bad = pool;
  with_bad[1].cells.pop_back();  // one cell only
  EXPECT_THROW(score_one_shot(tiny_config(1), with_bad, torch::kCPU, run_dir), Error);
}

}  // namespace
}  // namespace nas::nag
