// Ridge regression with an intercept (the intercept is penalised like the weights, on centred
// targets): the cheap accuracy predictor NAG ranks its generated architectures with.
#pragma once

#include "predictors/predictor.h"

namespace nas {

class RidgePredictor : public Predictor {
 public:
  explicit RidgePredictor(double lambda = 1.0);
  std::string name() const override { return "ridge"; }
  void fit(const torch::Tensor& features, const std::vector<double>& targets) override;
  std::vector<double> predict(const torch::Tensor& features) const override;
  bool fitted() const override { return w_.defined(); }
  void save(const std::string& path) const override;
  void load(const std::string& path) override;

 private:
  double lambda_;
  torch::Tensor w_;  // [d + 1] float64, the last entry the intercept's weight
  double mean_ = 0;
};

}  // namespace nas
