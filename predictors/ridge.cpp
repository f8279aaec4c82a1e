#include "predictors/ridge.h"

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "predictors/predictor_io.h"

namespace nas {

namespace {

torch::Tensor with_intercept(const torch::Tensor& x) {
  torch::Tensor X = x.to(torch::kCPU, torch::kFloat64);
  return torch::cat({X, torch::ones({X.size(0), 1}, X.options())}, 1);
}

}  // namespace

RidgePredictor::RidgePredictor(double lambda) : lambda_(lambda) {
  NAS_CHECK(lambda > 0, "ridge: expected a positive lambda, found {}", lambda);
}

void RidgePredictor::fit(const torch::Tensor& features, const std::vector<double>& targets) {
  check_fit_input("ridge", features, targets);
  torch::Tensor X = with_intercept(features);
  torch::Tensor t = torch::tensor(targets, torch::kFloat64);
  mean_ = t.mean().item<double>();
  const int64_t d = X.size(1);
  torch::Tensor A = X.t().mm(X) + lambda_ * torch::eye(d, torch::kFloat64);
  w_ = torch::linalg::solve(A, X.t().mv(t - mean_), true);
}

std::vector<double> RidgePredictor::predict(const torch::Tensor& features) const {
  NAS_CHECK(fitted(), "ridge: predict before fit");
  check_predict_input("ridge", features, w_.size(0) - 1);
  if (features.size(0) == 0) return {};
  torch::Tensor p = (with_intercept(features).mv(w_) + mean_).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

void RidgePredictor::save(const std::string& path) const {
  NAS_CHECK(fitted(), "ridge: save before fit");
  torch::Tensor w = w_.contiguous();
  Json doc;
  doc["kind"] = name();
  doc["lambda"] = lambda_;
  doc["mean"] = mean_;
  doc["weights"] = std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
  write_file_atomic(path, doc.dump());
}

void RidgePredictor::load(const std::string& path) {
  Json doc = read_predictor_file(path, name());
  try {
    lambda_ = doc.at("lambda").get<double>();
    mean_ = doc.at("mean").get<double>();
    w_ = torch::tensor(doc.at("weights").get<std::vector<double>>(), torch::kFloat64);
  } catch (const Json::exception& e) {
    fail("predictor file {}: malformed ridge model ({})", path, e.what());
  }
}

}  // namespace nas
