#include "libnas/spaces/categorical_space.h"

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {

CategoricalSpace::CategoricalSpace(int positions, int choices)
    : positions_(positions), choices_(choices) {
  NAS_CHECK(positions > 0 && choices > 1, "categorical space: {} positions of {} choices",
            positions, choices);
}

Arch CategoricalSpace::sample(Rng& rng) const {
  std::vector<int> c(static_cast<size_t>(positions_));
  for (auto& v : c) v = static_cast<int>(rng.uniform_int(0, choices_ - 1));
  return from_choice_indices(c);
}

Arch CategoricalSpace::mutate(const Arch& arch, Rng& rng) const {
  auto c = choice_indices(arch);
  const auto i = static_cast<size_t>(rng.uniform_int(0, positions_ - 1));
  // Draw from the other choices so the result always differs.
  int v = static_cast<int>(rng.uniform_int(0, choices_ - 2));
  if (v >= c[i]) ++v;
  c[i] = v;
  return from_choice_indices(c);
}

std::vector<Arch> CategoricalSpace::neighbors(const Arch& arch) const {
  const auto c = choice_indices(arch);
  std::vector<Arch> out;
  out.reserve(static_cast<size_t>(positions_ * (choices_ - 1)));
  for (int i = 0; i < positions_; ++i)
    for (int v = 0; v < choices_; ++v) {
      if (v == c[static_cast<size_t>(i)]) continue;
      auto next = c;
      next[static_cast<size_t>(i)] = v;
      out.push_back(from_choice_indices(next));
    }
  return out;
}

std::optional<uint64_t> CategoricalSpace::size() const {
  uint64_t n = 1;
  for (int i = 0; i < positions_; ++i) n *= static_cast<uint64_t>(choices_);
  return n;
}

void CategoricalSpace::enumerate(const std::function<void(const Arch&)>& fn) const {
  const uint64_t n = *size();
  std::vector<int> c(static_cast<size_t>(positions_));
  for (uint64_t index = 0; index < n; ++index) {
    uint64_t rest = index;
    for (int i = positions_ - 1; i >= 0; --i) {
      c[static_cast<size_t>(i)] = static_cast<int>(rest % static_cast<uint64_t>(choices_));
      rest /= static_cast<uint64_t>(choices_);
    }
    fn(from_choice_indices(c));
  }
}

}  // namespace nas
