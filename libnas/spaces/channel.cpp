#include "libnas/spaces/channel.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

bool all_digits(const std::string& s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::string join_ints(const std::vector<int>& values) {
  std::vector<std::string> parts;
  for (int v : values) parts.push_back(std::to_string(v));
  return join(parts, ", ");
}

std::vector<std::vector<uint8_t>> chain_adjacency() {
  const int n = ChannelSpace::kNumNodes;
  std::vector<std::vector<uint8_t>> a(n, std::vector<uint8_t>(n, 0));
  for (int i = 0; i + 1 < n; ++i) a[i][i + 1] = 1;
  return a;
}

}  // namespace

ChannelSpace::ChannelSpace(Base base) : CategoricalSpace(kNumPositions, kNumChoices), base_(base) {}

std::vector<int> ChannelSpace::choice_indices(const Arch& arch) const {
  std::vector<int> c = digits(arch);
  for (int& v : c) --v;
  return c;
}
Arch ChannelSpace::from_choice_indices(const std::vector<int>& indices) const {
  std::vector<int> d = indices;
  for (int& v : d) ++v;
  return from_digits(d);
}

std::string ChannelSpace::name() const {
  return base_ == Base::ResNet ? "channel-resnet" : "channel-mobilenet";
}

std::string ChannelSpace::description() const {
  return fmt::format(
      "Channel-Bench-Macro {}: 7 widths x 4 choices (16384 networks), max widths [{}]; text 7 "
      "digits 1-4 such as '4344424' or a channel list such as '{}'",
      base_ == Base::ResNet ? "ResNet" : "MobileNet", join_ints(max_widths()),
      join_ints(widths(from_digits(std::vector<int>(kNumPositions, 1)))));
}

const std::vector<int>& ChannelSpace::max_widths() const {
  static const std::vector<int> resnet = {256, 256, 256, 512, 512, 512, 512};
  static const std::vector<int> mobilenet = {128, 768, 768, 768, 256, 1536, 1024};
  return base_ == Base::ResNet ? resnet : mobilenet;
}

std::vector<int> ChannelSpace::allowed_widths(int position) const {
  NAS_CHECK(position >= 0 && position < kNumPositions, "{}: position {} out of range 0..{}", name(),
            position, kNumPositions - 1);
  std::vector<int> out;
  for (int d = 1; d <= kNumChoices; ++d) out.push_back(max_widths()[position] / kNumChoices * d);
  return out;
}

Arch ChannelSpace::parse(const std::string& text) const {
  const std::string t = trim(text);
  // Built only when a message needs it: parse runs once per key when a benchmark loads.
  auto expected = [this] {
    return fmt::format(
        "expected 7 digits 1-4 (e.g. '4344424') or a list of 7 channel numbers (e.g. '{}')",
        join_ints(widths(from_digits(std::vector<int>(kNumPositions, 1)))));
  };
  NAS_CHECK(!t.empty(), "{}: empty architecture text; {}", name(), expected());

  if (all_digits(t)) {
    NAS_CHECK(static_cast<int>(t.size()) == kNumPositions,
              "{} key: expected {} digits 1-4, found {} digits in {}; {}", name(), kNumPositions,
              t.size(), quote(t), expected());
    std::vector<int> digits;
    for (size_t i = 0; i < t.size(); ++i) {
      int d = t[i] - '0';
      NAS_CHECK(d >= 1 && d <= kNumChoices,
                "{} key: digit {} at position {} of {} is out of range; digits are 1-4 (width "
                "d/4 x max width)",
                name(), d, i, quote(t));
      digits.push_back(d);
    }
    return from_digits(digits);
  }

  std::string inner = t;
  const bool open = inner.front() == '[';
  const bool close = inner.back() == ']';
  NAS_CHECK(open == close, "{} channel list: unbalanced brackets in {}; {}", name(), quote(t),
            expected());
  if (open) inner = inner.substr(1, inner.size() - 2);
  std::vector<std::string> parts;
  if (inner.find(',') != std::string::npos)
    parts = split(inner, ',');
  else
    parts = split_any(inner, " \t\r\n");
  NAS_CHECK(parts.size() > 1 || open, "{}: cannot read {}; {}", name(), quote(t), expected());
  NAS_CHECK(static_cast<int>(parts.size()) == kNumPositions,
            "{} channel list: expected {} channel numbers, found {} in {}", name(), kNumPositions,
            parts.size(), quote(t));
  std::vector<int> channels;
  for (size_t i = 0; i < parts.size(); ++i) {
    int64_t v = parse_int(parts[i], fmt::format("{} channel list element {}", name(), i));
    channels.push_back(
        static_cast<int>(std::max<int64_t>(std::min<int64_t>(v, INT32_MAX), INT32_MIN)));
  }
  return from_widths(channels);
}

std::string ChannelSpace::format(const Arch& arch) const {
  std::string out;
  for (int d : digits(arch)) out += static_cast<char>('0' + d);
  return out;
}

void ChannelSpace::validate(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 1, "{} arch: expected 1 cell, found {}", name(),
            arch.cells.size());
  const CellDag& c = arch.cells[0];
  check_shape(c, name() + " cell");
  NAS_CHECK(c.num_nodes() == kNumNodes,
            "{} cell: expected {} nodes (input, 7 widths, output), found {}", name(), kNumNodes,
            c.num_nodes());
  NAS_CHECK(c.ops[0] == kLabelInput, "{} cell: node 0 must be the input (label {}), found label {}",
            name(), static_cast<int>(kLabelInput), c.ops[0]);
  NAS_CHECK(c.ops[kNumNodes - 1] == kLabelOutput,
            "{} cell: node {} must be the output (label {}), found label {}", name(), kNumNodes - 1,
            static_cast<int>(kLabelOutput), c.ops[kNumNodes - 1]);
  for (int i = 1; i <= kNumPositions; ++i)
    NAS_CHECK(c.ops[i] >= kLabelQuarter && c.ops[i] <= kLabelFull,
              "{} cell: node {} (ch{}) must carry a width label 2..5 (x0.25, x0.50, x0.75, "
              "x1.00), found label {}",
              name(), i, i - 1, c.ops[i]);
  for (int i = 0; i < kNumNodes; ++i)
    for (int j = i + 1; j < kNumNodes; ++j) {
      const bool want = j == i + 1;
      NAS_CHECK((c.adj[i][j] != 0) == want,
                "{} cell: edge {}->{} is {}; the network is a chain where each node feeds only "
                "the next one",
                name(), i, j, want ? "missing" : "present");
    }
}

std::vector<int> ChannelSpace::digits(const Arch& arch) const {
  validate(arch);
  std::vector<int> out(kNumPositions);
  for (int i = 0; i < kNumPositions; ++i) out[i] = arch.cells[0].ops[i + 1] - 1;
  return out;
}

std::vector<int> ChannelSpace::widths(const Arch& arch) const {
  auto out = digits(arch);
  for (int i = 0; i < kNumPositions; ++i) out[i] = max_widths()[i] / kNumChoices * out[i];
  return out;
}

Arch ChannelSpace::from_digits(const std::vector<int>& digits) const {
  NAS_CHECK(static_cast<int>(digits.size()) == kNumPositions, "{}: expected {} digits, found {}",
            name(), kNumPositions, digits.size());
  static const auto adjacency = chain_adjacency();
  CellDag cell(std::vector<int>(kNumNodes, 0), adjacency);
  cell.ops[0] = kLabelInput;
  cell.ops[kNumNodes - 1] = kLabelOutput;
  for (int i = 0; i < kNumPositions; ++i) {
    NAS_CHECK(digits[i] >= 1 && digits[i] <= kNumChoices,
              "{}: digit {} at position {} is out of range; digits are 1-4", name(), digits[i], i);
    cell.ops[i + 1] = digits[i] + 1;
  }
  return Arch{{std::move(cell)}};
}

Arch ChannelSpace::from_widths(const std::vector<int>& widths) const {
  NAS_CHECK(static_cast<int>(widths.size()) == kNumPositions,
            "{} channel list: expected {} channel numbers, found {}", name(), kNumPositions,
            widths.size());
  std::vector<int> digits(kNumPositions);
  for (int i = 0; i < kNumPositions; ++i) {
    const auto allowed = allowed_widths(i);
    int d = 0;
    for (int k = 0; k < kNumChoices; ++k)
      if (allowed[k] == widths[i]) d = k + 1;
    NAS_CHECK(d > 0,
              "{} channel list: {} is not an allowed width at position {} (ch{}); allowed: {}",
              name(), widths[i], i, i, join_ints(allowed));
    digits[i] = d;
  }
  return from_digits(digits);
}

const OpVocab& ChannelSpace::vocab() const {
  static const OpVocab v{
      {"output", "input", "x0.25", "x0.50", "x0.75", "x1.00"}, {kLabelInput}, kLabelOutput};
  return v;
}

int ChannelSpace::max_nodes() const { return kNumNodes; }

SequenceSpec ChannelSpace::sequence_spec() const {
  static const SequenceSpec spec =
      make_sequence_spec(kNumChoices, {"x0.25", "x0.50", "x0.75", "x1.00"},
                         std::vector<std::vector<int>>(kNumPositions, {0, 1, 2, 3}));
  return spec;
}

std::vector<int> ChannelSpace::to_tokens(const Arch& arch) const {
  auto d = digits(arch);
  for (auto& v : d) v -= 1;
  return d;
}

Arch ChannelSpace::from_tokens(const std::vector<int>& tokens) const {
  check_tokens(sequence_spec(), tokens, name());
  auto d = tokens;
  for (auto& v : d) v += 1;
  return from_digits(d);
}

}  // namespace nas
