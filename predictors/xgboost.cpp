#include "predictors/xgboost.h"

#include <xgboost/c_api.h>

#include <fmt/format.h>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "predictors/predictor_io.h"

namespace nas {

namespace {

void xgb_check(int rc, const char* call) {
  if (rc != 0) fail("xgboost: {} failed: {}", call, XGBGetLastError());
}

// A dense float matrix handed to XGBoost (freed with it).
class Matrix {
 public:
  explicit Matrix(const torch::Tensor& features) {
    torch::Tensor x = features.to(torch::kCPU, torch::kFloat32).contiguous();
    xgb_check(XGDMatrixCreateFromMat(x.data_ptr<float>(), static_cast<bst_ulong>(x.size(0)),
                                     static_cast<bst_ulong>(x.size(1)), std::nanf(""), &h_),
              "XGDMatrixCreateFromMat");
  }
  ~Matrix() { XGDMatrixFree(h_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

}  // namespace

struct XgboostPredictor::Booster {
  BoosterHandle h = nullptr;
  explicit Booster(const Matrix* train) {
    DMatrixHandle m[1] = {train ? train->get() : nullptr};
    xgb_check(XGBoosterCreate(m, train ? 1 : 0, &h), "XGBoosterCreate");
  }
  ~Booster() { XGBoosterFree(h); }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  void set(const char* key, const std::string& value) {
    xgb_check(XGBoosterSetParam(h, key, value.c_str()), "XGBoosterSetParam");
  }
};

XgboostPredictor::XgboostPredictor(XgboostConfig cfg) : cfg_(cfg) {
  NAS_CHECK(cfg.rounds >= 1 && cfg.max_depth >= 1 && cfg.learning_rate > 0,
            "xgboost: expected at least 1 round, a depth of at least 1 and a positive learning "
            "rate, found {}, {}, {}",
            cfg.rounds, cfg.max_depth, cfg.learning_rate);
}

XgboostPredictor::~XgboostPredictor() = default;

void XgboostPredictor::fit(const torch::Tensor& features, const std::vector<double>& targets) {
  check_fit_input("xgboost", features, targets);
  Matrix train(features);
  std::vector<float> labels(targets.begin(), targets.end());
  xgb_check(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(),
                                  static_cast<bst_ulong>(labels.size())),
            "XGDMatrixSetFloatInfo");
  auto b = std::make_unique<Booster>(&train);
  b->set("objective", "reg:squarederror");
  b->set("booster", "gbtree");
  b->set("max_depth", std::to_string(cfg_.max_depth));
  b->set("min_child_weight", fmt::format("{}", cfg_.min_child_weight));
  b->set("eta", fmt::format("{}", cfg_.learning_rate));
  b->set("colsample_bytree", "1");
  b->set("colsample_bylevel", "1");
  b->set("seed", std::to_string(cfg_.seed));
  b->set("nthread", std::to_string(torch::get_num_threads()));
  b->set("verbosity", "0");
  for (int64_t i = 0; i < cfg_.rounds; ++i)
    xgb_check(XGBoosterUpdateOneIter(b->h, static_cast<int>(i), train.get()),
              "XGBoosterUpdateOneIter");
  booster_ = std::move(b);
  width_ = features.size(1);
}

std::vector<double> XgboostPredictor::predict(const torch::Tensor& features) const {
  NAS_CHECK(fitted(), "xgboost: predict before fit");
  check_predict_input("xgboost", features, width_);
  if (features.size(0) == 0) return {};
  Matrix m(features);
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  bst_ulong const* shape = nullptr;
  bst_ulong dim = 0;
  float const* out = nullptr;
  xgb_check(XGBoosterPredictFromDMatrix(booster_->h, m.get(), config, &shape, &dim, &out),
            "XGBoosterPredictFromDMatrix");
  return std::vector<double>(out, out + features.size(0));
}

void XgboostPredictor::save(const std::string& path) const {
  NAS_CHECK(fitted(), "xgboost: save before fit");
  bst_ulong len = 0;
  const char* data = nullptr;
  xgb_check(XGBoosterSaveModelToBuffer(booster_->h, R"({"format": "json"})", &len, &data),
            "XGBoosterSaveModelToBuffer");
  Json doc;
  doc["kind"] = name();
  doc["features"] = width_;
  doc["model"] = std::string(data, len);
  write_file_atomic(path, doc.dump());
}

void XgboostPredictor::load(const std::string& path) {
  Json doc = read_predictor_file(path, name());
  std::string model;
  int64_t width = 0;
  try {
    model = doc.at("model").get<std::string>();
    width = doc.at("features").get<int64_t>();
  } catch (const Json::exception& e) {
    fail("predictor file {}: malformed xgboost model ({})", path, e.what());
  }
  auto b = std::make_unique<Booster>(nullptr);
  if (XGBoosterLoadModelFromBuffer(b->h, model.data(), static_cast<bst_ulong>(model.size())) != 0)
    fail("predictor file {}: XGBoost cannot read the model inside: {}", path, XGBGetLastError());
  b->set("nthread", std::to_string(torch::get_num_threads()));
  booster_ = std::move(b);
  width_ = width;
}

}  // namespace nas
