// Checks and file reading shared by the predictors' implementations.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "libnas/util/json.h"

namespace nas {

// nas::Error unless features is [n >= 1, d >= 1] with one target per row.
void check_fit_input(const std::string& who, const torch::Tensor& features,
                     const std::vector<double>& targets);
// nas::Error unless features is [n, width].
void check_predict_input(const std::string& who, const torch::Tensor& features, int64_t width);
// The JSON document of a predictor file; nas::Error naming the file when it is missing,
// truncated, not JSON or of another kind than `kind`.
Json read_predictor_file(const std::string& path, const std::string& kind);

}  // namespace nas
