// Predictors: regressors from an architecture's features to its accuracy, trained on the
// architectures answered so far. One interface for all of them (fit, predict, save, load), so a
// search strategy or a generator picks one by name: NAG ranks its generated architectures with
// one, AG-Net's `agnet-xgb` surrogate is one.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace nas {

class Predictor {
 public:
  virtual ~Predictor() = default;
  // The registry name ("ridge", "xgboost", ...).
  virtual std::string name() const = 0;
  // Fits on rows of `features` [n, d] (any float dtype, CPU) and one target per row; a new fit
  // replaces the last. nas::Error for no rows or a target count that differs.
  virtual void fit(const torch::Tensor& features, const std::vector<double>& targets) = 0;
  // One prediction per row; nas::Error before a fit or for another feature width.
  virtual std::vector<double> predict(const torch::Tensor& features) const = 0;
  virtual bool fitted() const = 0;
  // Writes the fitted predictor to `path` (JSON naming its kind, atomically) and reads it back;
  // load gives nas::Error naming the file when it is truncated or holds another kind.
  virtual void save(const std::string& path) const = 0;
  virtual void load(const std::string& path) = 0;
};

// The predictor `name` (ridge, xgboost) with its default settings; nas::Error listing the known
// names otherwise.
std::unique_ptr<Predictor> make_predictor(const std::string& name);
std::vector<std::string> predictor_names();

}  // namespace nas
