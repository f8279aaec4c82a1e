#include "libnas/util/rng.h"

#include <cmath>
#include <sstream>

#include "libnas/util/error.h"

namespace nas {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) {
    x = mix64(x);
    s = x;
  }
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  NAS_CHECK(lo <= hi, "uniform_int: empty range [{}, {}]", lo, hi);
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
  if (range == 0) return static_cast<int64_t>(next_u64());  // full 64-bit range
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return lo + static_cast<int64_t>(x % range);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::normal(double mean, double stddev) {
  // Box-Muller; one draw per call keeps the state simple to save.
  double u1 = uniform();
  double u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

bool Rng::bernoulli(double p) { return uniform() < p; }

size_t Rng::weighted_index(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) {
    NAS_CHECK(w >= 0, "weighted_index: negative weight {}", w);
    total += w;
  }
  NAS_CHECK(total > 0, "weighted_index: weights sum to zero");
  double r = uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  for (size_t i = weights.size(); i-- > 0;)
    if (weights[i] > 0) return i;
  return 0;
}

Rng Rng::split(uint64_t stream) {
  Rng child(0);
  uint64_t base = next_u64();
  for (int i = 0; i < 4; ++i) child.s_[i] = mix64(base ^ mix64(stream + static_cast<uint64_t>(i)));
  return child;
}

std::string Rng::state() const {
  std::ostringstream os;
  os << s_[0] << ' ' << s_[1] << ' ' << s_[2] << ' ' << s_[3];
  return os.str();
}

void Rng::set_state(const std::string& s) {
  std::istringstream is(s);
  uint64_t v[4];
  for (auto& x : v) {
    NAS_CHECK(static_cast<bool>(is >> x), "rng state: expected 4 integers, found '{}'", s);
  }
  for (int i = 0; i < 4; ++i) s_[i] = v[i];
}

}  // namespace nas
