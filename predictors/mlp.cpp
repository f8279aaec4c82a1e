#include "predictors/mlp.h"

#include "libnas/util/error.h"

namespace nas {

MlpRegressorImpl::MlpRegressorImpl(int64_t inputs, int64_t hidden, int64_t layers,
                                   int64_t outputs) {
  NAS_CHECK(inputs >= 1 && layers >= 1 && outputs >= 1,
            "mlp regressor: expected at least 1 input, layer and output, found {}, {}, {}", inputs,
            layers, outputs);
  if (hidden <= 0) hidden = inputs;
  int64_t width = inputs;
  for (int64_t l = 0; l < layers; ++l) {
    layers_.push_back(register_module("fc" + std::to_string(l), torch::nn::Linear(width, hidden)));
    width = hidden;
  }
  layers_.push_back(register_module("out", torch::nn::Linear(width, outputs)));
}

torch::Tensor MlpRegressorImpl::forward(torch::Tensor x) {
  for (size_t l = 0; l + 1 < layers_.size(); ++l) x = torch::relu(layers_[l](x));
  return layers_.back()(x);
}

}  // namespace nas
