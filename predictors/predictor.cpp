#include "predictors/predictor.h"

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/strings.h"
#include "predictors/predictor_io.h"
#include "predictors/ridge.h"
#include "predictors/xgboost.h"

namespace nas {

std::unique_ptr<Predictor> make_predictor(const std::string& name) {
  if (name == "ridge") return std::make_unique<RidgePredictor>();
  if (name == "xgboost") return std::make_unique<XgboostPredictor>();
  fail("unknown predictor {}; known predictors: {}", quote(name), join(predictor_names(), ", "));
}

std::vector<std::string> predictor_names() { return {"ridge", "xgboost"}; }

void check_fit_input(const std::string& who, const torch::Tensor& features,
                     const std::vector<double>& targets) {
  NAS_CHECK(features.dim() == 2 && features.size(0) >= 1 && features.size(1) >= 1,
            "{}: expected features [n, d] with at least one row and column, found {} dimensions",
            who, features.dim());
  NAS_CHECK(static_cast<int64_t>(targets.size()) == features.size(0),
            "{}: expected one target per row, found {} targets for {} rows", who, targets.size(),
            features.size(0));
}

void check_predict_input(const std::string& who, const torch::Tensor& features, int64_t width) {
  NAS_CHECK(features.dim() == 2 && features.size(1) == width,
            "{}: fitted on {} features per row, asked to predict rows of {}", who, width,
            features.dim() == 2 ? std::to_string(features.size(1)) : "another shape");
}

Json read_predictor_file(const std::string& path, const std::string& kind) {
  const std::string text = read_file(path, "a predictor file");
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception&) {
    fail("predictor file {}: not a complete JSON document (truncated?)", path);
  }
  const std::string found = doc.is_object() ? doc.value("kind", std::string()) : std::string();
  NAS_CHECK(found == kind, "predictor file {}: holds a {} model, expected {}", path,
            found.empty() ? "non-predictor" : quote(found), quote(kind));
  return doc;
}

}  // namespace nas
