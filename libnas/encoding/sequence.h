// The sequence view: an architecture as a fixed-length token list with, per position, the set
// of legal tokens, so a decoder that masks with it only ever emits valid architectures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

struct SequenceSpec {
  int length = 0;                           // tokens per architecture
  int vocab_size = 0;                       // tokens are 0..vocab_size-1
  std::vector<std::string> token_names;     // vocab_size names, for logs and tests
  std::vector<std::vector<uint8_t>> legal;  // [length][vocab_size]: 1 where the token may stand

  bool is_legal(int position, int token) const {
    return position >= 0 && position < length && token >= 0 && token < vocab_size &&
           legal[position][token] != 0;
  }
};

}  // namespace nas
