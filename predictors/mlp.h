// A multi-layer perceptron regressor (AG-Net's surrogate, specs/agnet.md §2.1): Linear(in -> h),
// `layers - 1` x Linear(h -> h), Linear(h -> outputs), ReLU between them. AG-Net trains it jointly
// with its generator on the generator's logits; it is a plain module, so any feature vector
// can feed it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace nas {

class MlpRegressorImpl : public torch::nn::Module {
 public:
  // hidden <= 0 means hidden = inputs (AG-Net's width). nas::Error for inputs < 1, layers < 1
  // or outputs < 1.
  MlpRegressorImpl(int64_t inputs, int64_t hidden, int64_t layers, int64_t outputs = 1);
  // x [B, inputs] -> [B, outputs].
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<torch::nn::Linear> layers_;
};
TORCH_MODULE(MlpRegressor);

}  // namespace nas
