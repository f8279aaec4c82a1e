// The ranking helpers of the predictor-ranked searches: the bagged ensemble's optimistic score,
// bagging itself, and the local step's rare changes.
#include "predictors/ranking.h"

#include <gtest/gtest.h>

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"
#include "predictors/features.h"
#include "predictors/predictor.h"

namespace nas {
namespace {

TEST(Ranking, EnsembleRanksTheDisputedCandidateAboveTheAgreedOne) {
  // Candidate 0: members say 0 and 2 (mean 1, std 1); candidate 1: 1 and 1; candidate 2: 1.5
  // and 1.5.
  const std::vector<std::vector<double>> members = {{0.0, 1.0, 1.5}, {2.0, 1.0, 1.5}};
  const std::vector<double> optimistic = ensemble_scores(members, 1.0);
  EXPECT_DOUBLE_EQ(optimistic[0], 2.0);
  EXPECT_DOUBLE_EQ(optimistic[1], 1.0);
  EXPECT_DOUBLE_EQ(optimistic[2], 1.5);
  EXPECT_GT(optimistic[0], optimistic[2]);  // the spread outweighs a 0.5 higher mean
  const std::vector<double> mean_only = ensemble_scores(members, 0.0);
  EXPECT_DOUBLE_EQ(mean_only[0], mean_only[1]);
  EXPECT_LT(mean_only[0], mean_only[2]);
  EXPECT_DOUBLE_EQ(ensemble_scores(members, 0.5)[0], 1.5);
  EXPECT_THROW(ensemble_scores({{1.0, 2.0}, {1.0}}, 1.0), Error);
}

TEST(Ranking, ChangeCountIsTheRarestValueACandidateChangesToAmongTheAnswers) {
  auto rows = [](std::vector<std::vector<float>> v) {
    std::vector<torch::Tensor> r;
    for (auto& x : v) r.push_back(torch::tensor(x));
    return torch::stack(r);
  };
  const torch::Tensor answers = rows({{1, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 1}});
  const torch::Tensor centre = torch::tensor(std::vector<float>{1, 0, 0});
  const torch::Tensor candidates = rows({
      {0, 0, 0},  // feature 0 to 0: one answer has it
      {1, 1, 0},  // feature 1 to 1: two answers
      {1, 0, 1},  // feature 2 to 1: one answer
      {0, 1, 0},  // both changes: the rarer of 1 and 2
      {1, 2, 0},  // a value no answer has
      {1, 0, 0},  // no change: every answer counts
  });
  EXPECT_EQ(change_counts(answers, candidates, centre),
            (std::vector<int64_t>{1, 2, 1, 1, 0, 4}));
  EXPECT_THROW(change_counts(answers, rows({{1, 0}}), centre), Error);
}

// Bagging with one member is the model's own fit; with several, the score of a candidate far
// from every answer (where resamples disagree) gains explore x their spread.
TEST(Ranking, BaggedScoresFitResamplesAndAddTheSpread) {
  auto model = make_predictor("ridge");
  const torch::Tensor x = torch::arange(0, 20, torch::kFloat32).view({20, 1});
  std::vector<double> y;
  for (int i = 0; i < 20; ++i) y.push_back(i % 2 ? 2.0 * i : 2.0 * i + 3.0);
  const torch::Tensor far = torch::tensor(std::vector<float>{100.0F}).view({1, 1});
  const std::vector<double> one = bagged_scores(*model, x, y, far, 1, 1.0, 7);
  auto direct = make_predictor("ridge");
  direct->fit(x, y);
  EXPECT_DOUBLE_EQ(one[0], direct->predict(far)[0]);
  const std::vector<double> mean_only = bagged_scores(*model, x, y, far, 5, 0.0, 7);
  const std::vector<double> optimistic = bagged_scores(*model, x, y, far, 5, 1.0, 7);
  EXPECT_GT(optimistic[0], mean_only[0]);
  EXPECT_EQ(bagged_scores(*model, x, y, far, 5, 1.0, 7), optimistic);  // seeded
  EXPECT_THROW(bagged_scores(*model, x, y, far, 0, 1.0, 7), Error);
}

TEST(Ranking, StandardizedHasMeanZeroAndUnitSpread) {
  const std::vector<double> z = standardized({1.0, 2.0, 3.0, 6.0});
  EXPECT_NEAR(z[0] + z[1] + z[2] + z[3], 0.0, 1e-12);
  EXPECT_NEAR((z[0] * z[0] + z[1] * z[1] + z[2] * z[2] + z[3] * z[3]) / 4, 1.0, 1e-12);
  EXPECT_EQ(standardized({5.0, 5.0}), (std::vector<double>{0.0, 0.0}));
}

// NB201 cells as digits (0 none, 1 skip, 2 conv1x1, 3 conv3x3, 4 avgpool): of the centre's
// neighbours the first stays, and the one changing an edge to an op no answer has there comes
// next, ahead of changes the answers have tried.
TEST(Ranking, PromoteRareChangesPutsTheUntriedChangeAfterTheRanked) {
  auto space = make_space("nb201");
  auto cell = [&](const std::string& digits) { return space->parse(digits); };
  const std::vector<Arch> answered = {cell("333333"), cell("233333"), cell("323333"),
                                      cell("332333"), cell("333233")};
  std::vector<Arch> local = {cell("233333"), cell("332333"), cell("333133"), cell("323333")};
  promote_rare_changes(*space, answered, cell("333333"), 1, local);
  ASSERT_EQ(local.size(), 4u);
  EXPECT_EQ(space->format(local[0]), space->format(cell("233333")));
  EXPECT_EQ(space->format(local[1]), space->format(cell("333133")));  // skip at edge 4: untried
  EXPECT_EQ(space->format(local[2]), space->format(cell("332333")));
  EXPECT_EQ(space->format(local[3]), space->format(cell("323333")));
}

}  // namespace
}  // namespace nas
