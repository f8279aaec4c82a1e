#include "libnas/train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "libnas/util/error.h"

namespace nas {
namespace {

TEST(LrSchedule, CosineRunsOneEpochAheadLikeTheNaoScripts) {
  LrSchedule s;  // cosine 0.025 -> 0, offset 1
  const int64_t T = 600;
  // Epoch e trains with lr(e + 1): the first epoch is already decayed, the last runs at 0.
  EXPECT_DOUBLE_EQ(s.at(0, 0, 391, T), 0.5 * 0.025 * (1 + std::cos(M_PI * 1 / 600.0)));
  EXPECT_DOUBLE_EQ(s.at(299, 17, 391, T), 0.5 * 0.025 * (1 + std::cos(M_PI * 300 / 600.0)));
  EXPECT_NEAR(s.at(T - 1, 390, 391, T), 0.0, 1e-18);
  // Stepped per epoch: the same value for every batch of an epoch.
  EXPECT_EQ(s.at(10, 0, 391, T), s.at(10, 390, 391, T));
  s.offset = 0;
  EXPECT_DOUBLE_EQ(s.at(0, 0, 391, T), 0.025);
  s.lr_min = 0.001;
  EXPECT_DOUBLE_EQ(s.at(300, 0, 391, T), 0.001 + 0.5 * 0.024);
}

TEST(LrSchedule, ExponentialDecaysFromTheFirstEpoch) {
  LrSchedule s;
  s.kind = "exponential";
  s.lr = 0.1;
  s.gamma = 0.97;
  EXPECT_DOUBLE_EQ(s.at(0, 5, 100, 250), 0.1 * 0.97);
  EXPECT_DOUBLE_EQ(s.at(9, 0, 100, 250), 0.1 * std::pow(0.97, 10));
}

TEST(LrSchedule, WarmupRisesPerStepThenTheScheduleStarts) {
  LrSchedule s;
  s.kind = "constant";
  s.lr = 0.4;
  s.warmup_epochs = 2;
  const int64_t spe = 10;
  EXPECT_DOUBLE_EQ(s.at(0, 0, spe, 20), 0.4 / 20);
  EXPECT_DOUBLE_EQ(s.at(0, 9, spe, 20), 0.4 * 10 / 20);
  EXPECT_DOUBLE_EQ(s.at(1, 9, spe, 20), 0.4);
  EXPECT_DOUBLE_EQ(s.at(2, 0, spe, 20), 0.4);
  s.kind = "cosine";
  s.offset = 0;
  // After the warm-up the cosine starts at its peak and spans the remaining 18 epochs.
  EXPECT_DOUBLE_EQ(s.at(2, 0, spe, 20), 0.4);
  EXPECT_DOUBLE_EQ(s.at(11, 0, spe, 20), 0.2);
}

TEST(LrSchedule, PerStepMovesWithinAnEpoch) {
  LrSchedule s;
  s.offset = 0;
  s.per_step = true;
  EXPECT_GT(s.at(0, 0, 100, 10), s.at(0, 50, 100, 10));
  EXPECT_DOUBLE_EQ(s.at(4, 50, 100, 10), s.lr * 0.5 * (1 + std::cos(M_PI * 4.5 / 10)));
}

TEST(LrSchedule, ValidateNamesTheKey) {
  auto expect_error = [](LrSchedule s, int64_t epochs, const std::string& needle) {
    try {
      s.validate(epochs);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  LrSchedule s;
  s.validate(600);
  LrSchedule bad = s;
  bad.kind = "step";
  expect_error(bad, 10, "lr.kind");
  bad = s;
  bad.lr = -1;
  expect_error(bad, 10, "lr.lr");
  bad = s;
  bad.lr_min = 1;
  expect_error(bad, 10, "lr.lr_min");
  bad = s;
  bad.gamma = 1.5;
  expect_error(bad, 10, "lr.gamma");
  bad = s;
  bad.warmup_epochs = 10;
  expect_error(bad, 10, "lr.warmup_epochs");
}

}  // namespace
}  // namespace nas
