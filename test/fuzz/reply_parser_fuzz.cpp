// libFuzzer target for parse_reply: the first byte picks the space, the rest is the reply.
// Beyond the sanitizers' checks it aborts when a result breaks the parser's contract: an arch
// that the space rejects or that does not read back from its text, or an error that is not one
// clean line of at most 300 bytes.
//
//   bin/reply_parser_fuzz -max_len=4096 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "generators/llm/reply_parser.h"

namespace {

const std::vector<std::shared_ptr<nas::SearchSpace>>& spaces() {
  static const std::vector<std::shared_ptr<nas::SearchSpace>> all = [] {
    std::vector<std::shared_ptr<nas::SearchSpace>> out;
    for (const char* name : {"nb201", "macro", "channel-resnet", "channel-mobilenet", "nb101",
                             "nao", "nao-11", "darts", "nag"})
      out.push_back(nas::make_space(name));
    return out;
  }();
  return all;
}

void check(bool ok) {
  if (!ok) std::abort();
}

// No control characters; UTF-8 lead and continuation bytes in place (the parser's own
// validation is stricter).
bool clean_line(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f) return false;
    const size_t n = b < 0x80           ? 1
                     : (b >> 5) == 0x6  ? 2
                     : (b >> 4) == 0xe  ? 3
                     : (b >> 3) == 0x1e ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const nas::SearchSpace& space = *spaces()[data[0] % spaces().size()];
  const std::string_view reply(reinterpret_cast<const char*>(data + 1), size - 1);
  const nas::llm::ParsedReply r = nas::llm::parse_reply(space, reply);
  if (r.arch) {
    check(r.error.empty());
    check(space.is_valid(*r.arch));
    check(space.hash(space.parse(space.format(*r.arch))) == space.hash(*r.arch));
  } else {
    check(!r.error.empty() && r.error.size() <= 300 && clean_line(r.error));
  }
  return 0;
}
