#include "generators/nag/generate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "libnas/models/network.h"
#include "libnas/util/error.h"
#include "libnas/util/strings.h"
#include "predictors/features.h"
#include "predictors/predictor.h"

namespace nas::nag {

namespace {

std::string format_count(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

}  // namespace

ParamCounter make_param_counter(const NasDataset& data, std::shared_ptr<const SearchSpace> space) {
  if (!data.benchmark.empty()) {
    std::shared_ptr<TabularBenchmark> bench = open_benchmark(data.benchmark);
    // An arch the table lacks has no count to check a bound against: it never meets one.
    return [bench](const Arch& a) {
      return bench->contains(a) ? bench->query(a).params : std::numeric_limits<double>::infinity();
    };
  }
  NAS_CHECK(data.network.has_value(),
            "NAS dataset of space {}: it names neither a benchmark nor the network its parameter "
            "counts are for",
            data.space);
  const NetworkConfig cfg = *data.network;
  // The closed form equals the built network's count and costs microseconds, so no cache.
  return [space, cfg](const Arch& a) { return static_cast<double>(param_count(*space, a, cfg)); };
}

std::vector<int64_t> request_labels(const std::vector<ConditionScale>& scales,
                                    const GenerateRequest& request, std::vector<std::string>* notes) {
  std::vector<int64_t> labels;
  for (const auto& s : scales) {
    const int64_t K = s.classes();
    std::optional<double> want = s.name == "acc" ? request.acc : request.params;
    int64_t label;
    std::string note;
    if (!want) {
      label = s.name == "acc" ? K - 1 : K / 2;
      note = fmt::format("{}: not requested, class {} of {}", s.name, label + 1, K);
      if (s.name == "acc") note = fmt::format("acc: not requested, the top class ({} of {})", K, K);
    } else {
      // Accuracy is a target: the class that holds it. Parameters are an upper bound: the
      // largest class lying wholly within it (class 0 when none does).
      label = s.label(*want);
      if (s.name == "params") {
        label = 0;
        for (int64_t k = 0; k < K; ++k)
          if (s.range(k).second <= *want) label = k;
      }
      const auto [lo, hi] = s.range(label);
      if (s.name == "acc") {
        note = fmt::format(
            "acc {:.2f} % (a target): class {} of {} ({:.2f}-{:.2f} % in the NAS dataset)", *want,
            label + 1, K, lo, hi);
        if (label + 1 < K)
          note += fmt::format(
              "; the top class holds {:.2f}-{:.2f} % (leave --acc out to ask for it)",
              s.range(K - 1).first, s.range(K - 1).second);
        if (*want > s.max)
          note += fmt::format("; no architecture of the NAS dataset reaches it (best {:.2f} %), so the "
                              "top class is the closest",
                              s.max);
      } else {
        note = fmt::format("params <= {}: class {} of {} ({}-{} in the NAS dataset)", format_count(*want),
                           label + 1, K, format_count(lo), format_count(hi));
        if (*want < s.min)
          note += fmt::format("; below every architecture of the NAS dataset (smallest {})",
                              format_count(s.min));
      }
    }
    // A class no record of the NAS dataset fell into (tied values) taught the generator
    // nothing: the nearest class below it instead (class 0 always holds the minimum).
    const std::vector<int64_t> empty = s.empty_classes();
    const int64_t asked = label;
    while (label > 0 && std::find(empty.begin(), empty.end(), label) != empty.end()) --label;
    if (label != asked) {
      const auto [lo, hi] = s.range(label);
      note += fmt::format("; class {} is empty in the NAS dataset (tied values), so class {} "
                          "({:.6g}..{:.6g})",
                          asked + 1, label + 1, lo, hi);
    }
    labels.push_back(label);
    if (notes) notes->push_back(note);
  }
  return labels;
}

void rank_by_predicted_accuracy(const SearchSpace& space, const std::vector<NasRecord>& records,
                                std::vector<Candidate>& candidates, const std::string& predictor) {
  if (candidates.empty()) return;
  std::vector<Arch> archs;
  std::vector<double> acc;
  for (const auto& r : records) {
    archs.push_back(r.arch);
    acc.push_back(r.acc);
  }
  std::unique_ptr<Predictor> model = make_predictor(predictor);
  model->fit(graph_features(space, archs), acc);
  archs.clear();
  for (const auto& c : candidates) archs.push_back(c.arch);
  const std::vector<double> pred = model->predict(graph_features(space, archs));
  for (size_t i = 0; i < candidates.size(); ++i) candidates[i].predicted_acc = pred[i];
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.predicted_acc > b.predicted_acc;
  });
}

GenerateResult generate_archs(NagGan& gan, const NasDataset& data, const GenerateRequest& request,
                              const ParamCounter& count_params) {
  NAS_CHECK(request.num >= 1 && request.samples >= 1,
            "generate: expected positive num and samples, found {} and {}", request.num,
            request.samples);
  const SearchSpace& space = gan.space();
  GenerateResult r;
  r.labels = request_labels(gan.scales(), request, &r.notes);
  if (request.params && std::find(gan.config().conditions.begin(), gan.config().conditions.end(),
                                  "params") == gan.config().conditions.end())
    r.notes.push_back("params: the generator is not conditioned on parameters; the bound only filters");

  Generated g = gan.sample(r.labels, request.samples, request.seed);
  r.sampled = request.samples;
  std::unordered_map<std::string, double> dataset_acc;
  for (const auto& rec : data.records) dataset_acc.emplace(space.hash(rec.arch), rec.acc);
  std::vector<Candidate> unique;
  std::unordered_set<std::string> seen;
  auto fakeness = g.fakeness.contiguous();
  for (size_t i = 0; i < g.archs.size(); ++i) {
    if (!g.archs[i]) continue;
    ++r.valid;
    if (g.repaired[i]) ++r.repaired;
    Candidate c;
    c.arch = *g.archs[i];
    c.hash = space.hash(c.arch);
    if (!seen.insert(c.hash).second) continue;
    c.repaired = g.repaired[i];
    c.fakeness = fakeness[static_cast<int64_t>(i)].item<double>();
    auto it = dataset_acc.find(c.hash);
    if (it != dataset_acc.end()) c.dataset_acc = it->second;
    unique.push_back(std::move(c));
  }
  r.unique = static_cast<int64_t>(unique.size());
  if (unique.empty()) {
    r.notes.push_back("no valid architecture was generated");
    return r;
  }
  rank_by_predicted_accuracy(space, data.records, unique);
  std::vector<Candidate> meet;
  for (auto& c : unique) {
    c.params = count_params(c.arch);
    if (request.params && !(c.params <= *request.params)) {
      ++r.over_bound;
      continue;
    }
    meet.push_back(c);
  }
  if (static_cast<int64_t>(meet.size()) > request.num) meet.resize(static_cast<size_t>(request.num));
  r.chosen = std::move(meet);
  if (r.chosen.empty()) {
    std::stable_sort(unique.begin(), unique.end(),
                     [](const Candidate& a, const Candidate& b) { return a.params < b.params; });
    if (unique.size() > 5) unique.resize(5);
    r.closest = std::move(unique);
    r.notes.push_back(fmt::format("no generated architecture has at most {} parameters (of {} "
                                  "distinct valid ones; the smallest has {})",
                                  format_count(*request.params), r.unique,
                                  format_count(r.closest.front().params)));
  }
  return r;
}

double parse_count(const std::string& text, const std::string& what) {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(), "{}: expected a count such as 3M, 250k or 2000000, found nothing", what);
  double scale = 1;
  std::string digits = t;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
  if (std::isalpha(static_cast<unsigned char>(last))) {
    if (last == 'K')
      scale = 1e3;
    else if (last == 'M')
      scale = 1e6;
    else if (last == 'G' || last == 'B')
      scale = 1e9;
    else
      fail("{}: unknown suffix '{}' in '{}'; expected K, M or G (3M = 3,000,000)", what, t.back(), t);
    digits = t.substr(0, t.size() - 1);
  }
  double v = 0;
  try {
    v = parse_double(digits, what);
  } catch (const Error&) {
    fail("{}: expected a count such as 3M, 250k or 2000000, found '{}'", what, t);
  }
  NAS_CHECK(std::isfinite(v) && v > 0, "{}: expected a positive count, found '{}'", what, t);
  return v * scale;
}

}  // namespace nas::nag
