// Gradient-boosted trees through XGBoost's C API (Debian libxgboost-dev): AG-Net's XGB surrogate
// (specs/agnet.md §3.3: squared error, gbtree, max_depth 6, min_child_weight 1, learning rate
// 0.3, 500 rounds, refitted from scratch each time).
#pragma once

#include <cstdint>
#include <memory>

#include "predictors/predictor.h"

namespace nas {

struct XgboostConfig {
  int64_t rounds = 500;
  int64_t max_depth = 6;
  double min_child_weight = 1.0;
  double learning_rate = 0.3;
  uint64_t seed = 0;
};

class XgboostPredictor : public Predictor {
 public:
  explicit XgboostPredictor(XgboostConfig cfg = {});
  ~XgboostPredictor() override;
  std::string name() const override { return "xgboost"; }
  void fit(const torch::Tensor& features, const std::vector<double>& targets) override;
  std::vector<double> predict(const torch::Tensor& features) const override;
  bool fitted() const override { return booster_ != nullptr; }
  void save(const std::string& path) const override;
  void load(const std::string& path) override;

 private:
  struct Booster;  // owns the BoosterHandle
  XgboostConfig cfg_;
  std::unique_ptr<Booster> booster_;
  int64_t width_ = 0;
};

}  // namespace nas
