// How a surrogate ranks unqueried architectures in a search round, shared by the strategies that
// rank with a Predictor (`predictor`, AG-Net's `agnet-xgb`): a bagged ensemble scored
// optimistically, and the local step's choice among the best answer's neighbours.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "libnas/encoding/cell_dag.h"

namespace nas {

class Predictor;
class SearchSpace;

// The bagged ensemble's optimistic score of each candidate: the members' mean prediction plus
// explore x their standard deviation (member_predictions[m][i]: member m on candidate i).
std::vector<double> ensemble_scores(const std::vector<std::vector<double>>& member_predictions,
                                    double explore);

// Fits `model` on (x, y) and scores the rows of `candidates`: with members 1 its prediction;
// else `members` fits on bootstrap resamples of the rows (member m's drawn from seed, the row
// count and m), combined by ensemble_scores. `model` is left fitted on the last resample.
std::vector<double> bagged_scores(Predictor& model, const torch::Tensor& x,
                                  const std::vector<double>& y, const torch::Tensor& candidates,
                                  int64_t members, double explore, uint64_t seed);

// Targets standardised to mean 0 and standard deviation 1 (all 0 when they are equal).
std::vector<double> standardized(std::vector<double> y);

// How often the answers tried each candidate's change: per candidate (a row of `candidates`),
// the fewest answers (rows of `answers`) that share one of the feature values in which the
// candidate differs from `centre`; the number of answers when it differs in none.
std::vector<int64_t> change_counts(const torch::Tensor& answers, const torch::Tensor& candidates,
                                   const torch::Tensor& centre);

// The local step's order of `local` (neighbours of the answer `centre`, best-ranked first):
// the first `ranked` stay; then the `rare` whose change the answers tried least (change_counts
// over the graph view; ties in their order) follow; the rest keep their order after them.
void promote_rare_changes(const SearchSpace& space, const std::vector<Arch>& answered,
                          const Arch& centre, size_t ranked, std::vector<Arch>& local);

}  // namespace nas
