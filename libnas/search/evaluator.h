// Evaluators measure architectures for the Runner: a tabular lookup here; a supernet score or
// real training elsewhere. They hide the cost: a lookup also reports the training time the
// benchmark recorded, so budgets in training seconds compare strategies honestly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/encoding/cell_dag.h"

namespace nas {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Metrics for each arch, in order. Throws nas::Error when an arch cannot be measured.
  virtual std::vector<Metrics> evaluate(const std::vector<Arch>& archs) = 0;
  // Whether the metrics carry train_seconds (a budget in seconds needs them).
  virtual bool records_train_seconds() const { return false; }
  // One line naming what is measured, for logs.
  virtual std::string describe() const = 0;
};

// Looks architectures up in a tabular benchmark.
class TabularEvaluator : public Evaluator {
 public:
  explicit TabularEvaluator(std::shared_ptr<const TabularBenchmark> benchmark);
  // An arch absent from the table is a nas::Error naming it and the benchmark.
  std::vector<Metrics> evaluate(const std::vector<Arch>& archs) override;
  // True when at least one record has a training time.
  bool records_train_seconds() const override { return has_train_seconds_; }
  std::string describe() const override;
  const TabularBenchmark& benchmark() const { return *benchmark_; }

 private:
  std::shared_ptr<const TabularBenchmark> benchmark_;
  bool has_train_seconds_ = false;
};

}  // namespace nas
