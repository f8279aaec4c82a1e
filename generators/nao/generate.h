// The generation step shared by the NAO search loops (on benchmarks and with a supernet):
// move the encodings of the best architectures along the predictor's gradient with growing
// step sizes and keep the new architectures that decode (specs/nao.md §4.6).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "generators/nao/controller.h"
#include "libnas/spaces/search_space.h"

namespace nas::nao {

struct GenerationConfig {
  int64_t top = 100;          // best architectures whose encodings are moved
  int64_t new_archs = 300;    // new architectures wanted
  double step_start = 1.0;    // step sizes step_start, step_start + step_increment, ...
  double step_increment = 1.0;
  double max_step = 50.0;     // ... up to this
  int64_t candidates = 0;     // decode this many new ones and keep the new_archs the predictor
                              // rates best (0: keep the first new_archs found, as NAO does)
  int64_t samples = 0;        // sampled decodings per seed and step size besides the greedy one
  double temperature = 1.0;   // of the sampled decodings
  double explore = 0.0;       // ensembles: rank candidates by mean + explore x std

  template <class V>
  void fields(V& v) {
    v("top", top, "best evaluated architectures whose encodings are moved");
    v("new_archs", new_archs, "new architectures decoded per controller update");
    v("step_start", step_start, "first step size along the predictor's gradient");
    v("step_increment", step_increment, "step-size increase while too few new archs decode");
    v("max_step", max_step, "largest step size tried");
    v("candidates", candidates,
      "new architectures decoded before keeping the new_archs the predictor rates best (0: the "
      "first new_archs found)");
    v("samples", samples, "sampled decodings per seed and step size besides the greedy one");
    v("temperature", temperature, "softmax temperature of the sampled decodings");
    v("explore", explore,
      "with an ensemble, candidates are ranked by the mean prediction plus explore x the "
      "members' standard deviation");
  }
  // nas::Error naming `section`.key for a value out of range.
  void validate(const std::string& section) const;
};

struct Generated {
  std::vector<Arch> archs;  // new architectures: in the order found (step size, then seed
                            // rank), or best predicted first when cfg.candidates is set
  int64_t invalid = 0;      // decoded sequences the space rejected
  int64_t decoded = 0;      // new architectures decoded (more than archs when some were dropped)
  double last_step = 0.0;   // largest step size used
};

// Decodes new architectures from `seeds` (token sequences, best first; the first cfg.top are
// used). `known` holds the canonical hashes not to propose again; the returned ones are added
// (candidates dropped by the predictor are not, so a later round may still propose them).
// With several controllers (an ensemble) the seeds move along each member's gradient, every
// step size in turn for all members, and candidates are ranked by the members' mean prediction.
Generated generate_new_archs(std::vector<Controller>& controllers, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg);
Generated generate_new_archs(Controller& controller, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg);

// Min-max normalisation of objectives to [0, 1] (the controller's targets): a missing (NaN)
// value maps to 0; when all present values are equal (or none is present) every target is 0.5.
std::vector<double> normalise_targets(const std::vector<double>& values);
// Rank normalisation to [0, 1]: the worst value maps to 0, the best to 1, evenly spaced by
// rank (ties share their mean rank; a missing value ranks below all). Unlike min-max it does
// not squash the good architectures together when a few very bad ones stretch the range.
std::vector<double> rank_targets(const std::vector<double>& values);

}  // namespace nas::nao
