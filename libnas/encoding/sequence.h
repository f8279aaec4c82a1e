// The sequence view: an architecture as a fixed-length token list with, per position, the set
// of legal tokens, so a decoder that masks with it only ever emits valid architectures.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nas {

struct SequenceSpec {
  int length = 0;                           // tokens per architecture
  int vocab_size = 0;                       // tokens are 0..vocab_size-1
  std::vector<std::string> token_names;     // vocab_size names, for logs and tests
  std::vector<std::vector<uint8_t>> legal;  // [length][vocab_size]: 1 where the token may stand
  // Pairs (earlier, later) of positions that must hold different tokens (DARTS: the two inputs
  // of a node). A decoder that masks the earlier token at the later position stays valid;
  // from_tokens rejects a sequence that breaks one.
  std::vector<std::pair<int, int>> must_differ;
  // Symmetries of the view: per group (one cell of a two-branch space), the swaps of two token
  // spans that leave the architecture unchanged (a node's two branches). Augmentation picks one
  // swap per group; spaces without symmetries leave this empty.
  struct Swap {
    int first = 0;   // tokens [first, first + width) trade places with
    int second = 0;  // tokens [second, second + width)
    int width = 0;
  };
  std::vector<std::vector<Swap>> symmetries;

  bool is_legal(int position, int token) const {
    return position >= 0 && position < length && token >= 0 && token < vocab_size &&
           legal[position][token] != 0;
  }
};

// `tokens` with one random swap per symmetry group applied (the same architecture); `pick`
// returns a uniform index in [0, n) for n choices. Unchanged when the spec has no symmetries.
template <class Pick>
std::vector<int> apply_random_symmetry(const SequenceSpec& spec, std::vector<int> tokens,
                                       Pick&& pick) {
  for (const auto& group : spec.symmetries) {
    if (group.empty()) continue;
    const SequenceSpec::Swap& s = group[static_cast<size_t>(pick(static_cast<int>(group.size())))];
    for (int k = 0; k < s.width; ++k)
      std::swap(tokens[static_cast<size_t>(s.first + k)], tokens[static_cast<size_t>(s.second + k)]);
  }
  return tokens;
}

}  // namespace nas
