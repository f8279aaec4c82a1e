#include "libnas/spaces/macro.h"

#include <cctype>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

constexpr const char* kExpectedForms =
    "expected 8 op-id digits 0-2 (e.g. '01201201') or a list of 8 op ids (e.g. "
    "'[0, 1, 2, 0, 1, 2, 0, 1]'); op ids are 0 identity, 1 mb3_k3, 2 mb6_k5";

bool all_digits(const std::string& s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::vector<int> parse_digits(const std::string& text) {
  NAS_CHECK(static_cast<int>(text.size()) == MacroSpace::kNumLayers,
            "macro key: expected {} digits (one op id per layer), found {} in {}; {}",
            MacroSpace::kNumLayers, text.size(), quote(text), kExpectedForms);
  std::vector<int> ops;
  for (size_t i = 0; i < text.size(); ++i) {
    int d = text[i] - '0';
    NAS_CHECK(d < MacroSpace::kNumOps,
              "macro key: digit {} at position {} of {} is not an op id; op ids are 0 identity, "
              "1 mb3_k3, 2 mb6_k5",
              d, i, quote(text));
    ops.push_back(d);
  }
  return ops;
}

std::vector<int> parse_list(const std::string& text) {
  std::string inner = text;
  const bool open = inner.front() == '[';
  const bool close = inner.back() == ']';
  NAS_CHECK(open == close, "macro op list: unbalanced brackets in {}; {}", quote(text),
            kExpectedForms);
  if (open) inner = inner.substr(1, inner.size() - 2);
  auto parts = trim(inner).empty() ? std::vector<std::string>{} : split(inner, ',');
  NAS_CHECK(static_cast<int>(parts.size()) == MacroSpace::kNumLayers,
            "macro op list: expected {} op ids (one per layer), found {} in {}",
            MacroSpace::kNumLayers, parts.size(), quote(text));
  std::vector<int> ops;
  for (size_t i = 0; i < parts.size(); ++i) {
    int64_t v = parse_int(parts[i], fmt::format("macro op list element {}", i));
    NAS_CHECK(v >= 0 && v < MacroSpace::kNumOps,
              "macro op list: element {} is {}, not an op id; op ids are 0 identity, 1 mb3_k3, "
              "2 mb6_k5",
              i, v);
    ops.push_back(static_cast<int>(v));
  }
  return ops;
}

std::vector<std::vector<uint8_t>> chain_adjacency() {
  const int n = MacroSpace::kNumNodes;
  std::vector<std::vector<uint8_t>> a(n, std::vector<uint8_t>(n, 0));
  for (int i = 0; i + 1 < n; ++i) a[i][i + 1] = 1;
  return a;
}

std::vector<int> canonical_ops(const std::vector<int>& ops) {
  std::vector<int> out;
  int start = 0;
  for (int size : MacroSpace::stage_sizes()) {
    // The first layer changes stride and width, so its Identity is a projection conv and it
    // cannot be exchanged with the layers after it; only the true Identities behind it move.
    out.push_back(ops[start]);
    int identities = 0;
    for (int i = start + 1; i < start + size; ++i) {
      if (ops[i] == MacroSpace::kIdentity)
        ++identities;
      else
        out.push_back(ops[i]);
    }
    out.insert(out.end(), static_cast<size_t>(identities), MacroSpace::kIdentity);
    start += size;
  }
  return out;
}

}  // namespace

MacroSpace::MacroSpace() : CategoricalSpace(kNumLayers, kNumOps) {}

std::vector<int> MacroSpace::choice_indices(const Arch& arch) const { return layer_ops(arch); }
Arch MacroSpace::from_choice_indices(const std::vector<int>& indices) const {
  return from_layer_ops(indices);
}

std::string MacroSpace::name() const { return "macro"; }

std::string MacroSpace::description() const {
  return "NAS-Bench-Macro: 8 layers in stages [2,3,3] x 3 ops (identity, mb3_k3, mb6_k5), "
         "6561 keys / 3969 networks; text 8 digits 0-2 such as '01201201'";
}

const std::vector<int>& MacroSpace::stage_sizes() {
  static const std::vector<int> sizes = {2, 3, 3};
  return sizes;
}

const std::vector<MacroSpace::LayerInfo>& MacroSpace::layers() {
  static const std::vector<LayerInfo> info = [] {
    std::vector<LayerInfo> out;
    int channels = 32;
    for (int s = 0; s < static_cast<int>(stage_sizes().size()); ++s)
      for (int i = 0; i < stage_sizes()[s]; ++i) {
        const bool first = i == 0;
        out.push_back({s, channels, first ? channels * 2 : channels, first ? 2 : 1, first});
        if (first) channels *= 2;
      }
    return out;
  }();
  return info;
}

const std::vector<std::string>& MacroSpace::op_names() {
  static const std::vector<std::string> names = {"identity", "mb3_k3", "mb6_k5"};
  return names;
}

Arch MacroSpace::parse(const std::string& text) const {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(), "macro: empty architecture text; {}", kExpectedForms);
  std::vector<int> ops;
  if (all_digits(t))
    ops = parse_digits(t);
  else if (t.front() == '[' || t.find(',') != std::string::npos)
    ops = parse_list(t);
  else
    fail("macro: cannot read {}; {}", quote(t), kExpectedForms);
  return from_layer_ops(ops);
}

std::string MacroSpace::format(const Arch& arch) const {
  std::string out;
  for (int op : layer_ops(arch)) out += static_cast<char>('0' + op);
  return out;
}

void MacroSpace::validate(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 1, "macro arch: expected 1 cell, found {}", arch.cells.size());
  const CellDag& c = arch.cells[0];
  check_shape(c, "macro cell");
  NAS_CHECK(c.num_nodes() == kNumNodes,
            "macro cell: expected {} nodes (input, 8 layers, output), found {}", kNumNodes,
            c.num_nodes());
  NAS_CHECK(c.ops[0] == kLabelInput,
            "macro cell: node 0 must be the input (label {}), found label {}",
            static_cast<int>(kLabelInput), c.ops[0]);
  NAS_CHECK(c.ops[kNumNodes - 1] == kLabelOutput,
            "macro cell: node {} must be the output (label {}), found label {}", kNumNodes - 1,
            static_cast<int>(kLabelOutput), c.ops[kNumNodes - 1]);
  for (int i = 1; i <= kNumLayers; ++i)
    NAS_CHECK(c.ops[i] >= kLabelIdentity && c.ops[i] <= kLabelMb6K5,
              "macro cell: node {} (layer {}) must carry an op label 2..4 (identity, mb3_k3, "
              "mb6_k5), found label {}",
              i, i, c.ops[i]);
  for (int i = 0; i < kNumNodes; ++i)
    for (int j = i + 1; j < kNumNodes; ++j) {
      const bool want = j == i + 1;
      NAS_CHECK((c.adj[i][j] != 0) == want,
                "macro cell: edge {}->{} is {}; the network is a chain where each node feeds "
                "only the next one",
                i, j, want ? "missing" : "present");
    }
}

std::vector<int> MacroSpace::layer_ops(const Arch& arch) const {
  validate(arch);
  std::vector<int> ops(kNumLayers);
  for (int i = 0; i < kNumLayers; ++i) ops[i] = arch.cells[0].ops[i + 1] - kLabelIdentity;
  return ops;
}

Arch MacroSpace::from_layer_ops(const std::vector<int>& ops) const {
  NAS_CHECK(static_cast<int>(ops.size()) == kNumLayers, "macro: expected {} layer ops, found {}",
            kNumLayers, ops.size());
  static const auto adjacency = chain_adjacency();
  CellDag cell(std::vector<int>(kNumNodes, 0), adjacency);
  cell.ops[0] = kLabelInput;
  cell.ops[kNumNodes - 1] = kLabelOutput;
  for (int i = 0; i < kNumLayers; ++i) {
    NAS_CHECK(ops[i] >= 0 && ops[i] < kNumOps,
              "macro: layer {} has op id {}; op ids are 0 identity, 1 mb3_k3, 2 mb6_k5", i, ops[i]);
    cell.ops[i + 1] = ops[i] + kLabelIdentity;
  }
  return Arch{{std::move(cell)}};
}

Arch MacroSpace::canonical(const Arch& arch) const {
  return from_layer_ops(canonical_ops(layer_ops(arch)));
}

bool MacroSpace::is_canonical(const Arch& arch) const {
  auto ops = layer_ops(arch);
  return canonical_ops(ops) == ops;
}

std::string MacroSpace::hash(const Arch& arch) const { return arch_hash(canonical(arch)); }

const OpVocab& MacroSpace::vocab() const {
  static const OpVocab v{
      {"output", "input", "identity", "mb3_k3", "mb6_k5"}, {kLabelInput}, kLabelOutput};
  return v;
}

int MacroSpace::max_nodes() const { return kNumNodes; }

SequenceSpec MacroSpace::sequence_spec() const {
  static const SequenceSpec spec =
      make_sequence_spec(kNumOps, op_names(), std::vector<std::vector<int>>(kNumLayers, {0, 1, 2}));
  return spec;
}

std::vector<int> MacroSpace::to_tokens(const Arch& arch) const { return layer_ops(arch); }

Arch MacroSpace::from_tokens(const std::vector<int>& tokens) const {
  check_tokens(sequence_spec(), tokens, name());
  return from_layer_ops(tokens);
}

}  // namespace nas
