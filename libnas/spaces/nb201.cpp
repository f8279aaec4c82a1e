#include "libnas/spaces/nb201.h"

#include <cctype>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

constexpr const char* kExpectedForms =
    "expected the NB201 string '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' (e.g. "
    "'|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
    "skip_connect~2|') or 6 op-id digits 0-4 (e.g. '213401')";

const std::pair<int, int> kEdges[Nb201Space::kNumEdges] = {{0, 1}, {0, 2}, {1, 2},
                                                           {0, 3}, {1, 3}, {2, 3}};

// GENIUS op id -> graph label, and the inverse (-1 for labels that are not ops).
const int kOpToLabel[Nb201Space::kNumOps] = {Nb201Space::kLabelNone, Nb201Space::kLabelSkipConnect,
                                             Nb201Space::kLabelConv1x1, Nb201Space::kLabelConv3x3,
                                             Nb201Space::kLabelAvgPool3x3};
const int kLabelToOp[7] = {-1,
                           -1,
                           Nb201Space::kConv1x1,
                           Nb201Space::kConv3x3,
                           Nb201Space::kAvgPool3x3,
                           Nb201Space::kSkipConnect,
                           Nb201Space::kNone};

std::string op_list_text() {
  std::string out;
  for (int i = 0; i < Nb201Space::kNumOps; ++i) {
    if (i) out += ", ";
    out += std::to_string(i) + " " + Nb201Space::op_names()[i];
  }
  return out;
}

// The line graph of the 4-node cell: edge a feeds edge b when a ends where b starts; the input
// feeds the edges leaving node 0 and the edges entering node 3 feed the output.
const std::vector<std::vector<uint8_t>>& fixed_adjacency() {
  static const std::vector<std::vector<uint8_t>> adj = [] {
    const int n = Nb201Space::kNumNodes;
    std::vector<std::vector<uint8_t>> a(n, std::vector<uint8_t>(n, 0));
    for (int e = 0; e < Nb201Space::kNumEdges; ++e) {
      if (kEdges[e].first == 0) a[0][e + 1] = 1;
      if (kEdges[e].second == 3) a[e + 1][n - 1] = 1;
      for (int f = e + 1; f < Nb201Space::kNumEdges; ++f)
        if (kEdges[e].second == kEdges[f].first) a[e + 1][f + 1] = 1;
    }
    return a;
  }();
  return adj;
}

bool all_digits(const std::string& s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::vector<int> parse_digits(const std::string& text) {
  NAS_CHECK(static_cast<int>(text.size()) == Nb201Space::kNumEdges,
            "nb201 digits: expected {} digits (one op id per edge), found {} in {}",
            Nb201Space::kNumEdges, text.size(), quote(text));
  std::vector<int> ops;
  for (size_t i = 0; i < text.size(); ++i) {
    int d = text[i] - '0';
    NAS_CHECK(d < Nb201Space::kNumOps,
              "nb201 digits: digit {} at position {} of {} is not an op id; op ids are {}", d, i,
              quote(text), op_list_text());
    ops.push_back(d);
  }
  return ops;
}

std::vector<int> parse_list(const std::string& text) {
  std::string inner = text;
  const bool open = !inner.empty() && inner.front() == '[';
  const bool close = !inner.empty() && inner.back() == ']';
  NAS_CHECK(open == close,
            "nb201 op list: unbalanced brackets in {}; expected e.g. '[2, 1, 3, 4, 0, 1]'",
            quote(text));
  if (open) inner = inner.substr(1, inner.size() - 2);
  auto parts = trim(inner).empty() ? std::vector<std::string>{} : split(inner, ',');
  NAS_CHECK(static_cast<int>(parts.size()) == Nb201Space::kNumEdges,
            "nb201 op list: expected {} op ids (one per edge), found {} in {}",
            Nb201Space::kNumEdges, parts.size(), quote(text));
  std::vector<int> ops;
  for (size_t i = 0; i < parts.size(); ++i) {
    int64_t v = parse_int(parts[i], fmt::format("nb201 op list element {}", i));
    NAS_CHECK(v >= 0 && v < Nb201Space::kNumOps,
              "nb201 op list: element {} is {}, not an op id; op ids are {}", i, v, op_list_text());
    ops.push_back(static_cast<int>(v));
  }
  return ops;
}

std::vector<int> parse_nb201_string(const std::string& text) {
  NAS_CHECK(text.size() >= 2 && text.front() == '|' && text.back() == '|',
            "nb201 string: {} must start and end with '|'; {}", quote(text), kExpectedForms);
  auto groups = split(text, '+');
  NAS_CHECK(groups.size() == 3,
            "nb201 string: expected 3 node groups joined by '+', found {} in {}; {}", groups.size(),
            quote(text), kExpectedForms);
  std::vector<int> ops;
  for (int g = 0; g < 3; ++g) {
    const std::string& group = groups[g];
    const int node = g + 1;
    NAS_CHECK(group.size() >= 2 && group.front() == '|' && group.back() == '|',
              "nb201 string: group {} of node {} must be enclosed in '|'; found in {}",
              quote(group), node, quote(text));
    auto entries = split(std::string_view(group).substr(1, group.size() - 2), '|');
    NAS_CHECK(static_cast<int>(entries.size()) == node,
              "nb201 string: node {} must have {} incoming edges (op~0 ... op~{}), found {} in "
              "group {}",
              node, node, node - 1, entries.size(), quote(group));
    for (int src = 0; src < node; ++src) {
      const std::string& entry = entries[src];
      auto tilde = entry.rfind('~');
      NAS_CHECK(tilde != std::string::npos,
                "nb201 string: edge {} into node {} has no '~source'; expected 'op~{}'",
                quote(entry), node, src);
      std::string op = entry.substr(0, tilde);
      std::string source = entry.substr(tilde + 1);
      NAS_CHECK(source == std::to_string(src),
                "nb201 string: edge {} into node {} must come from node {} ('~{}'), found '~{}'",
                quote(entry), node, src, src, source);
      int id = -1;
      for (int i = 0; i < Nb201Space::kNumOps; ++i)
        if (Nb201Space::op_names()[i] == op) id = i;
      NAS_CHECK(id >= 0, "nb201 string: unknown op {} on edge {}<-{}; expected one of {}",
                quote(op), node, src, join(Nb201Space::op_names(), ", "));
      ops.push_back(id);
    }
  }
  return ops;
}

}  // namespace

Nb201Space::Nb201Space() : CategoricalSpace(kNumEdges, kNumOps) {}

std::vector<int> Nb201Space::choice_indices(const Arch& arch) const { return edge_ops(arch); }
Arch Nb201Space::from_choice_indices(const std::vector<int>& indices) const {
  return from_edge_ops(indices);
}

std::string Nb201Space::name() const { return "nb201"; }

std::string Nb201Space::description() const {
  return "NAS-Bench-201 cell: 4 nodes, 6 edges x 5 ops (15625 cells); text "
         "'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' or 6 digits 0-4 such as '213401'";
}

const std::vector<std::string>& Nb201Space::op_names() {
  static const std::vector<std::string> names = {"none", "skip_connect", "nor_conv_1x1",
                                                 "nor_conv_3x3", "avg_pool_3x3"};
  return names;
}

std::pair<int, int> Nb201Space::edge(int e) {
  NAS_CHECK(e >= 0 && e < kNumEdges, "nb201: edge index {} out of range 0..{}", e, kNumEdges - 1);
  return kEdges[e];
}

int Nb201Space::op_to_label(int op) {
  NAS_CHECK(op >= 0 && op < kNumOps, "nb201: op id {} out of range; op ids are {}", op,
            op_list_text());
  return kOpToLabel[op];
}

int Nb201Space::label_to_op(int label) {
  NAS_CHECK(label >= kLabelConv1x1 && label <= kLabelNone,
            "nb201: graph label {} is not an op label (2..6)", label);
  return kLabelToOp[label];
}

Arch Nb201Space::parse(const std::string& text) const {
  const std::string t = trim(text);
  NAS_CHECK(!t.empty(), "nb201: empty architecture text; {}", kExpectedForms);
  std::vector<int> ops;
  if (all_digits(t)) {
    ops = parse_digits(t);
  } else if (t.find('|') != std::string::npos || t.find('~') != std::string::npos) {
    ops = parse_nb201_string(t);
  } else if (t.front() == '[' || t.find(',') != std::string::npos) {
    ops = parse_list(t);
  } else {
    fail("nb201: cannot read {}; {}", quote(t), kExpectedForms);
  }
  return from_edge_ops(ops);
}

std::string Nb201Space::format(const Arch& arch) const {
  auto ops = edge_ops(arch);
  std::string out = "|";
  for (int e = 0; e < kNumEdges; ++e) {
    out += op_names()[ops[e]] + "~" + std::to_string(kEdges[e].first) + "|";
    // A new node group starts after the last edge into nodes 1 and 2.
    if (e == 0 || e == 2) out += "+|";
  }
  return out;
}

void Nb201Space::validate(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 1, "nb201 arch: expected 1 cell, found {}", arch.cells.size());
  const CellDag& c = arch.cells[0];
  check_shape(c, "nb201 cell");
  NAS_CHECK(c.num_nodes() == kNumNodes,
            "nb201 cell: expected {} nodes (input, 6 edge ops, output), found {}", kNumNodes,
            c.num_nodes());
  NAS_CHECK(c.ops[0] == kLabelInput,
            "nb201 cell: node 0 must be the input (label {}), found label {}",
            static_cast<int>(kLabelInput), c.ops[0]);
  NAS_CHECK(c.ops[kNumNodes - 1] == kLabelOutput,
            "nb201 cell: node {} must be the output (label {}), found label {}", kNumNodes - 1,
            static_cast<int>(kLabelOutput), c.ops[kNumNodes - 1]);
  for (int e = 0; e < kNumEdges; ++e) {
    int label = c.ops[e + 1];
    NAS_CHECK(label >= kLabelConv1x1 && label <= kLabelNone,
              "nb201 cell: node {} (edge {}<-{}) must carry an op label 2..6 (nor_conv_1x1, "
              "nor_conv_3x3, avg_pool_3x3, skip_connect, none), found label {}",
              e + 1, kEdges[e].second, kEdges[e].first, label);
  }
  const auto& fixed = fixed_adjacency();
  for (int i = 0; i < kNumNodes; ++i)
    for (int j = i + 1; j < kNumNodes; ++j)
      NAS_CHECK(c.adj[i][j] == fixed[i][j],
                "nb201 cell: line-graph edge {}->{} is {} but the fixed NB201 adjacency {} it "
                "(expected {})",
                i, j, c.adj[i][j] ? "present" : "absent", fixed[i][j] ? "requires" : "forbids",
                adjacency_to_string(CellDag(c.ops, fixed)));
}

std::vector<int> Nb201Space::edge_ops(const Arch& arch) const {
  validate(arch);
  std::vector<int> ops(kNumEdges);
  for (int e = 0; e < kNumEdges; ++e) ops[e] = kLabelToOp[arch.cells[0].ops[e + 1]];
  return ops;
}

Arch Nb201Space::from_edge_ops(const std::vector<int>& ops) const {
  NAS_CHECK(static_cast<int>(ops.size()) == kNumEdges, "nb201: expected {} edge ops, found {}",
            kNumEdges, ops.size());
  CellDag cell(std::vector<int>(kNumNodes, 0), fixed_adjacency());
  cell.ops[0] = kLabelInput;
  cell.ops[kNumNodes - 1] = kLabelOutput;
  for (int e = 0; e < kNumEdges; ++e) {
    NAS_CHECK(ops[e] >= 0 && ops[e] < kNumOps, "nb201: edge {} has op id {}; op ids are {}", e,
              ops[e], op_list_text());
    cell.ops[e + 1] = kOpToLabel[ops[e]];
  }
  return Arch{{std::move(cell)}};
}

std::string Nb201Space::digits(const Arch& arch) const {
  std::string out;
  for (int op : edge_ops(arch)) out += static_cast<char>('0' + op);
  return out;
}

const OpVocab& Nb201Space::vocab() const {
  static const OpVocab v{
      {"output", "input", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "none"},
      {kLabelInput},
      kLabelOutput};
  return v;
}

int Nb201Space::max_nodes() const { return kNumNodes; }

SequenceSpec Nb201Space::sequence_spec() const {
  static const SequenceSpec spec = make_sequence_spec(
      kNumOps, op_names(), std::vector<std::vector<int>>(kNumEdges, {0, 1, 2, 3, 4}));
  return spec;
}

std::vector<int> Nb201Space::to_tokens(const Arch& arch) const { return edge_ops(arch); }

Arch Nb201Space::from_tokens(const std::vector<int>& tokens) const {
  check_tokens(sequence_spec(), tokens, name());
  return from_edge_ops(tokens);
}

}  // namespace nas
