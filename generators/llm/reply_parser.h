// Reading an architecture out of a language model's reply, which is untrusted input: any bytes,
// any length (the client caps it), chatty or not.
//
// Tried in order, the first the space's parser accepts wins:
//   1. the whole reply, trimmed (GENIUS wants a bare JSON list: "[1, 2, 0, 1, 2, 0, 1, 1]");
//   2. each bracketed list of numbers in the reply, the last first (a chatty reply states its
//      answer last), also as its digits joined ("[3, 3, 1, 3, 3, 3]" -> "333133") for spaces
//      whose text form is digits;
//   3. each token of the space's own text form found in the reply (e.g. an NB201 string
//      "|nor_conv_3x3~0|+|...|" or a digit string of the space's length), the last first.
// A bounded number of candidates is tried, so a huge reply costs linear time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"

namespace nas::llm {

struct ParsedReply {
  std::optional<Arch> arch;  // set when a candidate parsed
  std::string text;          // the candidate that parsed (or, on failure, the one the error is about)
  // On failure: one line for the model, saying what was wrong (e.g. "expected 8 op ids 0-2,
  // found 7 numbers in [1, 2, 0]" or "no list of numbers found in the reply"), at most 300 chars.
  std::string error;
};

// Never throws for any reply (the space's nas::Error from parse is caught and reported).
ParsedReply parse_reply(const SearchSpace& space, std::string_view reply);

}  // namespace nas::llm
