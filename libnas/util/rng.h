// Seeded random numbers. Own distributions (not <random>'s, whose output differs between
// standard libraries) so a seed gives the same stream everywhere; the state is a string so a
// run can save and restore it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();                       // xoshiro256** step
  int64_t uniform_int(int64_t lo, int64_t hi);  // inclusive [lo, hi], unbiased
  double uniform();                          // [0, 1)
  double uniform(double lo, double hi);      // [lo, hi)
  double normal(double mean = 0.0, double stddev = 1.0);
  bool bernoulli(double p);
  // Index drawn with probability proportional to weights[i] (all >= 0, sum > 0).
  size_t weighted_index(const std::vector<double>& weights);

  template <typename T>
  const T& choice(const std::vector<T>& items) {
    return items[static_cast<size_t>(uniform_int(0, static_cast<int64_t>(items.size()) - 1))];
  }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(uniform_int(0, static_cast<int64_t>(i) - 1));
      std::swap(items[i - 1], items[j]);
    }
  }

  // A new generator whose stream is independent of this one's (for sub-components).
  Rng split(uint64_t stream);

  std::string state() const;             // serialised state
  void set_state(const std::string& s);  // throws nas::Error on a malformed state

 private:
  uint64_t s_[4];
};

// Mixes a 64-bit value (splitmix64 finaliser); also used to derive seeds.
uint64_t mix64(uint64_t x);

}  // namespace nas
