#include "predictors/ranking.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"
#include "libnas/util/rng.h"
#include "predictors/features.h"
#include "predictors/predictor.h"

namespace nas {

std::vector<double> ensemble_scores(const std::vector<std::vector<double>>& member_predictions,
                                    double explore) {
  NAS_CHECK(!member_predictions.empty(), "ensemble_scores: no member");
  const size_t candidates = member_predictions.front().size();
  std::vector<double> sum(candidates, 0.0), sum_sq(candidates, 0.0);
  for (const auto& p : member_predictions) {
    NAS_CHECK(p.size() == candidates, "ensemble_scores: members scored {} and {} candidates",
              candidates, p.size());
    for (size_t i = 0; i < candidates; ++i) {
      sum[i] += p[i];
      sum_sq[i] += p[i] * p[i];
    }
  }
  std::vector<double> score(candidates);
  const auto k = static_cast<double>(member_predictions.size());
  for (size_t i = 0; i < candidates; ++i) {
    const double mu = sum[i] / k;
    score[i] = mu + explore * std::sqrt(std::max(0.0, sum_sq[i] / k - mu * mu));
  }
  return score;
}

std::vector<double> bagged_scores(Predictor& model, const torch::Tensor& x,
                                  const std::vector<double>& y, const torch::Tensor& candidates,
                                  int64_t members, double explore, uint64_t seed) {
  NAS_CHECK(members >= 1, "bagged_scores: expected at least one member, found {}", members);
  if (members == 1) {
    model.fit(x, y);
    return model.predict(candidates);
  }
  const auto n = static_cast<int64_t>(y.size());
  std::vector<std::vector<double>> predictions;
  for (int64_t m = 0; m < members; ++m) {
    Rng rng(mix64(seed ^ mix64(static_cast<uint64_t>(n) * 0x100 + static_cast<uint64_t>(m))));
    std::vector<int64_t> rows(static_cast<size_t>(n));
    std::vector<double> ys(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      rows[static_cast<size_t>(i)] = rng.uniform_int(0, n - 1);
      ys[static_cast<size_t>(i)] = y[static_cast<size_t>(rows[static_cast<size_t>(i)])];
    }
    model.fit(x.index_select(0, torch::tensor(rows)), ys);
    predictions.push_back(model.predict(candidates));
  }
  return ensemble_scores(predictions, explore);
}

std::vector<double> standardized(std::vector<double> y) {
  double mean = 0, var = 0;
  for (double v : y) mean += v / static_cast<double>(y.size());
  for (double v : y) var += (v - mean) * (v - mean) / static_cast<double>(y.size());
  const double sd = var > 0 ? std::sqrt(var) : 1.0;
  for (double& v : y) v = (v - mean) / sd;
  return y;
}

std::vector<int64_t> change_counts(const torch::Tensor& answers, const torch::Tensor& candidates,
                                   const torch::Tensor& centre) {
  NAS_CHECK(answers.dim() == 2 && candidates.dim() == 2 && centre.dim() == 1 &&
                answers.size(1) == centre.size(0) && candidates.size(1) == centre.size(0),
            "change_counts: expected answers and candidates as rows of the centre's {} features",
            centre.numel());
  const int64_t n = answers.size(0);
  // shared[m][j]: answers whose feature j equals candidate m's.
  const torch::Tensor shared = answers.unsqueeze(0).eq(candidates.unsqueeze(1)).sum(1);
  const torch::Tensor changed = candidates.ne(centre.unsqueeze(0));
  const torch::Tensor counts =
      torch::where(changed, shared, torch::full_like(shared, n)).amin(1).to(torch::kInt64).contiguous();
  return std::vector<int64_t>(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel());
}

void promote_rare_changes(const SearchSpace& space, const std::vector<Arch>& answered,
                          const Arch& centre, size_t ranked, std::vector<Arch>& local) {
  if (local.size() <= ranked) return;
  std::vector<Arch> rest(std::make_move_iterator(local.begin() + static_cast<std::ptrdiff_t>(ranked)),
                         std::make_move_iterator(local.end()));
  local.resize(ranked);
  const std::vector<int64_t> counts =
      change_counts(graph_features(space, answered), graph_features(space, rest),
                    graph_features(space, {centre})[0]);
  std::vector<size_t> order(rest.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return counts[a] < counts[b]; });
  for (size_t i : order) local.push_back(std::move(rest[i]));
}

}  // namespace nas
