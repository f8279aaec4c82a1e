// Generating architectures for a request ("accuracy 97 %, at most 3 M parameters") from a
// trained NAG GAN (specs/nag.md §5.4): map the request to condition classes through the
// calibrated scales, sample, decode (repairing or dropping invalid cells), de-duplicate by
// canonical hash, keep those whose exact parameter count meets the bound, rank them by the
// accuracy a ridge regression on the NAS dataset predicts, and return the best.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generators/nag/nag_gan.h"
#include "generators/nag/nas_dataset.h"

namespace nas::nag {

// The exact parameter count of an arch's network: the benchmark's params column for a dataset
// drawn from a benchmark, else the parameters of build_network with the dataset's network
// config (auxiliary head excluded, as train_cifar --summary reports them).
using ParamCounter = std::function<double(const Arch&)>;
ParamCounter make_param_counter(const NasDataset& data, std::shared_ptr<const SearchSpace> space);

struct GenerateRequest {
  std::optional<double> acc;     // percent
  std::optional<double> params;  // upper bound, count
  int64_t num = 20;              // architectures to return
  int64_t samples = 1000;        // architectures to generate
  uint64_t seed = 0;
};

struct Candidate {
  Arch arch;
  std::string hash;
  double predicted_acc = 0;
  double params = 0;
  double fakeness = 0;        // discriminator score (0 = like the real data, 1 = fake)
  bool repaired = false;
  double dataset_acc = kMissing;  // the record's accuracy when the arch is in the NAS dataset
};

struct GenerateResult {
  std::vector<int64_t> labels;      // condition classes used
  std::vector<std::string> notes;   // how the request was mapped, what could not be met
  std::vector<Candidate> chosen;    // best first; empty when nothing met the bound
  std::vector<Candidate> closest;   // when nothing met the bound: the smallest ones generated
  int64_t sampled = 0, valid = 0, repaired = 0, unique = 0, over_bound = 0;
};

// The classes for a request, with notes saying what was chosen: for accuracy the class whose
// range holds the requested value (beyond the data: the end class); for a parameter bound the
// largest class whose range lies within it (class 0 when none does). An objective not requested
// gets the top accuracy class or the middle parameter class.
std::vector<int64_t> request_labels(const std::vector<ConditionScale>& scales,
                                    const GenerateRequest& request, std::vector<std::string>* notes);

// Sets each candidate's predicted_acc from `predictor` (a ridge regression by default) fitted on
// the records' accuracies over the graph view, and sorts the candidates best first (ties keep
// their order).
void rank_by_predicted_accuracy(const SearchSpace& space, const std::vector<NasRecord>& records,
                                std::vector<Candidate>& candidates,
                                const std::string& predictor = "ridge");

GenerateResult generate_archs(NagGan& gan, const NasDataset& data, const GenerateRequest& request,
                              const ParamCounter& count_params);

// "3M", "250k", "1.5G", "2000000" -> a count; nas::Error for anything else (negative, zero,
// unknown suffix), naming `what`.
double parse_count(const std::string& text, const std::string& what);

}  // namespace nas::nag
