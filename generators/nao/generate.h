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

  template <class V>
  void fields(V& v) {
    v("top", top, "best evaluated architectures whose encodings are moved");
    v("new_archs", new_archs, "new architectures decoded per controller update");
    v("step_start", step_start, "first step size along the predictor's gradient");
    v("step_increment", step_increment, "step-size increase while too few new archs decode");
    v("max_step", max_step, "largest step size tried");
  }
  // nas::Error naming `section`.key for a value out of range.
  void validate(const std::string& section) const;
};

struct Generated {
  std::vector<Arch> archs;  // new architectures, in the order found (step size, then seed rank)
  int64_t invalid = 0;      // decoded sequences the space rejected
  double last_step = 0.0;   // largest step size used
};

// Decodes new architectures from `seeds` (token sequences, best first; the first cfg.top are
// used). `known` holds the canonical hashes not to propose again; the new ones are added.
Generated generate_new_archs(Controller& controller, const SearchSpace& space,
                             const std::vector<std::vector<int>>& seeds,
                             std::unordered_set<std::string>& known, const GenerationConfig& cfg);

// Min-max normalisation of objectives to [0, 1] (the controller's targets): a missing (NaN)
// value maps to 0; when all present values are equal (or none is present) every target is 0.5.
std::vector<double> normalise_targets(const std::vector<double>& values);

}  // namespace nas::nao
