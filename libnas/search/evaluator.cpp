#include "libnas/search/evaluator.h"

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

TabularEvaluator::TabularEvaluator(std::shared_ptr<const TabularBenchmark> benchmark)
    : benchmark_(std::move(benchmark)) {
  NAS_CHECK(benchmark_ != nullptr, "tabular evaluator: no benchmark given");
  benchmark_->for_each([this](const Arch&, const Metrics& m) {
    if (present(m.train_seconds)) has_train_seconds_ = true;
  });
}

std::vector<Metrics> TabularEvaluator::evaluate(const std::vector<Arch>& archs) {
  std::vector<Metrics> out;
  out.reserve(archs.size());
  for (const auto& a : archs) {
    if (!benchmark_->contains(a)) {
      std::string text;
      try {
        text = benchmark_->space().format(a);
      } catch (const Error&) {
        text = "(an arch the space cannot format)";
      }
      fail("benchmark {} has no record for arch {} (space {}, table {})", benchmark_->name(),
           quote(text, 200), benchmark_->space().name(), benchmark_->source());
    }
    out.push_back(benchmark_->query(a));
  }
  return out;
}

std::string TabularEvaluator::describe() const {
  return "benchmark " + benchmark_->name() + " (" + std::to_string(benchmark_->num_archs()) +
         " archs, " + benchmark_->source() + ")";
}

}  // namespace nas
