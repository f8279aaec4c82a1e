#include "libnas/spaces/nao_cell.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

// ---- Two-branch cells ----------------------------------------------------------------------

namespace {

std::string list_ints(const std::vector<int>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

}  // namespace

CellDag branch_cell_to_dag(const BranchCell& cell) {
  const int b = static_cast<int>(cell.nodes.size());
  const int n = 2 * b + 3;
  CellDag dag(n);
  dag.ops[0] = 1;
  dag.ops[1] = 2;
  dag.ops[n - 1] = 0;
  // Graph nodes holding state s: an input node, or both branch nodes of a cell node.
  auto connect_state = [&](int state, int to) {
    if (state < 2) {
      dag.set_edge(state, to);
    } else {
      dag.set_edge(2 * state - 2, to);
      dag.set_edge(2 * state - 1, to);
    }
  };
  for (int i = 0; i < b; ++i)
    for (int k = 0; k < 2; ++k) {
      const int node = 2 + 2 * i + k;
      dag.ops[node] = cell.nodes[i][k].label;
      connect_state(cell.nodes[i][k].input, node);
    }
  for (int s : cell.output_states) connect_state(s, n - 1);
  return dag;
}

BranchCell branch_cell_from_dag(const CellDag& dag, int num_nodes, const std::string& what,
                                int node_offset) {
  check_shape(dag, what);
  const int n = 2 * num_nodes + 3;
  NAS_CHECK(dag.num_nodes() == n,
            "{}: expected {} graph nodes (2 inputs, {} branch nodes, output), found {}", what, n,
            2 * num_nodes, dag.num_nodes());
  NAS_CHECK(dag.ops[0] == 1, "{}: graph node 0 must be input0 (label 1), found label {}", what,
            dag.ops[0]);
  NAS_CHECK(dag.ops[1] == 2, "{}: graph node 1 must be input1 (label 2), found label {}", what,
            dag.ops[1]);
  NAS_CHECK(dag.ops[n - 1] == 0, "{}: graph node {} must be the output (label 0), found label {}",
            what, n - 1, dag.ops[n - 1]);
  NAS_CHECK(!dag.edge(0, 1), "{}: edge 0->1 joins the two inputs; inputs have no predecessors",
            what);
  for (int k = 2; k < n - 1; ++k)
    NAS_CHECK(dag.ops[k] >= 3, "{}: branch graph node {} has label {}, which is not an op", what, k,
              dag.ops[k]);

  BranchCell cell;
  cell.nodes.resize(static_cast<size_t>(num_nodes));
  for (int i = 0; i < num_nodes; ++i)
    for (int k = 0; k < 2; ++k) {
      const int node = 2 + 2 * i + k;
      const std::vector<int> preds = dag.preds(node);
      int state = -1;
      if (preds.size() == 1 && preds[0] < 2) {
        state = preds[0];
      } else if (preds.size() == 2 && preds[0] >= 2 && preds[0] % 2 == 0 &&
                 preds[1] == preds[0] + 1) {
        state = preds[1] / 2 + 1;  // graph nodes 2j+2, 2j+3 hold state 2+j
      }
      NAS_CHECK(state >= 0,
                "{}: branch graph node {} (node {}, branch {}) reads graph nodes [{}]; expected "
                "one input node (0 or 1) or both branch nodes of one earlier node",
                what, node, i + node_offset, k, list_ints(preds));
      cell.nodes[i][k] = Branch{state, dag.ops[node]};
    }

  const std::vector<int> out_preds = dag.preds(n - 1);
  for (size_t p = 0; p < out_preds.size(); ++p) {
    const int g = out_preds[p];
    if (g < 2) {
      cell.output_states.push_back(g);
      continue;
    }
    const int sibling = g % 2 == 0 ? g + 1 : g - 1;
    NAS_CHECK(dag.edge(sibling, n - 1),
              "{}: the output reads branch graph node {} without its sibling {}; a node's two "
              "branches are summed, so the output reads both or neither",
              what, g, sibling);
    if (g % 2 == 0) cell.output_states.push_back(g / 2 + 1);
  }
  return cell;
}

CellDag branch_cell_hash_graph(const BranchCell& cell, int sum_label) {
  const int b = static_cast<int>(cell.nodes.size());
  const int n = 3 * b + 3;
  CellDag g(n);
  g.ops[0] = 1;
  g.ops[1] = 2;
  g.ops[n - 1] = 0;
  auto state_node = [](int s) { return s < 2 ? s : 3 * (s - 2) + 4; };
  for (int i = 0; i < b; ++i) {
    const int sum = 3 * i + 4;
    g.ops[sum] = sum_label;
    for (int k = 0; k < 2; ++k) {
      const int node = 3 * i + 2 + k;
      g.ops[node] = cell.nodes[i][k].label;
      g.set_edge(state_node(cell.nodes[i][k].input), node);
      g.set_edge(node, sum);
    }
  }
  for (int s : cell.output_states) g.set_edge(state_node(s), n - 1);
  return g;
}

// ---- NAO/ENAS cell spaces ------------------------------------------------------------------

namespace {

constexpr int kOpLabel0 = 3;      // vocab label of a set's first op
constexpr int kFirstOpToken = 7;  // token of a set's first op (NAO hard-codes B + 2)
constexpr int kNumOpIds = 16;

const char* const kOpNames[kNumOpIds] = {
    "sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "identity",     "identity",
    "conv_1x1",     "conv_3x3",     "conv_1x3_3x1", "conv_1x7_7x1", "max_pool_2x2", "max_pool_3x3",
    "max_pool_5x5", "avg_pool_2x2", "avg_pool_3x3", "avg_pool_5x5"};

const char* const kNaonetA =
    "0 7 1 15 2 8 1 7 0 6 1 7 0 8 4 7 1 5 0 7 0 7 1 13 0 6 0 14 0 9 1 10 0 14 2 6 1 11 0 7";
const char* const kNaonetB =
    "0 1 0 2 0 1 2 2 1 3 0 2 4 0 1 3 2 1 0 3 1 1 1 0 2 1 2 4 1 0 2 3 3 1 2 2 0 2 0 2";
const char* const kNaonetWs =
    "0 1 0 4 2 2 1 3 1 0 2 0 2 3 1 3 1 2 0 4 1 1 0 3 2 3 2 3 1 0 0 1 0 4 2 4 2 3 2 3";

struct NamedArch {
  const char* name;
  const char* ints;
  NaoCellSpace::OpSet set;
};
const NamedArch kNamed[] = {{"NAONet-A", kNaonetA, NaoCellSpace::OpSet::Eleven},
                            {"NAONet-B", kNaonetB, NaoCellSpace::OpSet::Five},
                            {"NAONet-WS", kNaonetWs, NaoCellSpace::OpSet::Five}};

const NamedArch* find_named(const std::string& text) {
  const std::string t = to_lower(trim(text));
  for (const auto& a : kNamed)
    if (t == to_lower(a.name)) return &a;
  return nullptr;
}

const char* set_space_name(NaoCellSpace::OpSet s) {
  return s == NaoCellSpace::OpSet::Five ? "nao" : "nao-11";
}
int set_first_id(NaoCellSpace::OpSet s) { return s == NaoCellSpace::OpSet::Five ? 0 : 5; }
int set_num_ops(NaoCellSpace::OpSet s) { return s == NaoCellSpace::OpSet::Five ? 5 : 11; }
const char* set_label(NaoCellSpace::OpSet s) {
  return s == NaoCellSpace::OpSet::Five ? "5-op set (ids 0-4)" : "11-op set (ids 5-15)";
}

const char* cell_name(int c) { return c == 0 ? "normal" : "reduction"; }
const char* slot_name(int r) {
  static const char* const names[4] = {"x input", "x op", "y input", "y op"};
  return names[r];
}
// "position 9 (normal cell, node 2, y input)"
std::string where(int p) {
  const int q = p % NaoCellSpace::kIntsPerCell;
  return fmt::format("position {} ({} cell, node {}, {})", p,
                     cell_name(p / NaoCellSpace::kIntsPerCell), q / 4, slot_name(q % 4));
}
bool is_op_position(int p) { return p % 2 == 1; }
int node_of_position(int p) { return (p % NaoCellSpace::kIntsPerCell) / 4; }

// Tolerant integer list: spaces, commas and brackets all separate.
std::vector<int> parse_int_list(const std::string& text, const std::string& what) {
  std::string t = text;
  for (char& ch : t)
    if (ch == ',' || ch == '[' || ch == ']' || ch == '(' || ch == ')') ch = ' ';
  const auto parts = split_any(t, " \t\r\n");
  NAS_CHECK(!parts.empty(),
            "{}: expected 40 integers or an arch name (NAONet-A, NAONet-B, "
            "NAONet-WS), found {}",
            what, quote(text));
  std::vector<int> out;
  out.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t v = parse_int(parts[i], fmt::format("{}: integer {}", what, i));
    NAS_CHECK(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max(),
              "{}: integer {} is {}, far out of range", what, i, v);
    out.push_back(static_cast<int>(v));
  }
  return out;
}

// Which op sets the op positions use; bad_pos is the first op id that is in neither.
struct OpSetUse {
  bool five = false;
  bool eleven = false;
  int bad_pos = -1;
};
OpSetUse op_set_use(const std::vector<int>& ints) {
  OpSetUse use;
  for (size_t p = 1; p < ints.size(); p += 2) {
    const int v = ints[p];
    if (v >= 0 && v <= 4)
      use.five = true;
    else if (v >= 5 && v < kNumOpIds)
      use.eleven = true;
    else if (use.bad_pos < 0)
      use.bad_pos = static_cast<int>(p);
  }
  return use;
}

std::vector<int> unused_states(const std::vector<std::array<Branch, 2>>& nodes) {
  std::vector<bool> used(nodes.size() + 2, false);
  for (const auto& nd : nodes)
    for (const auto& br : nd) used[static_cast<size_t>(br.input)] = true;
  std::vector<int> out;
  for (size_t s = 0; s < used.size(); ++s)
    if (!used[s]) out.push_back(static_cast<int>(s));
  return out;
}

std::optional<uint64_t> checked_mul(std::optional<uint64_t> a, uint64_t b) {
  uint64_t r = 0;
  if (!a || __builtin_mul_overflow(*a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace

NaoCellSpace::NaoCellSpace(OpSet ops) : op_set_(ops) {
  vocab_.names = {"output", "input0", "input1"};
  for (int i = 0; i < num_ops(); ++i) vocab_.names.push_back(kOpNames[first_op_id() + i]);
  vocab_.input_ids = {1, 2};
  vocab_.output_id = 0;
}

std::string NaoCellSpace::name() const { return set_space_name(op_set_); }

std::string NaoCellSpace::description() const {
  return op_set_ == OpSet::Five
             ? "NAO-WS/ENAS cells, 5 ops (ids 0-4): 40 integers, normal then reduction cell, "
               "per node x_input x_op y_input y_op; NAONet-B, NAONet-WS"
             : "NAO cells, 11 ops (ids 5-15): 40 integers, normal then reduction cell, per node "
               "x_input x_op y_input y_op; NAONet-A";
}

int NaoCellSpace::first_op_id() const { return set_first_id(op_set_); }
int NaoCellSpace::num_ops() const { return set_num_ops(op_set_); }

std::string NaoCellSpace::op_name(int op_id) {
  NAS_CHECK(op_id >= 0 && op_id < kNumOpIds, "NAO op id {} is out of range; ids are 0-15", op_id);
  return kOpNames[op_id];
}

const char* NaoCellSpace::naonet_a() { return kNaonetA; }
const char* NaoCellSpace::naonet_b() { return kNaonetB; }
const char* NaoCellSpace::naonet_ws() { return kNaonetWs; }

Arch NaoCellSpace::from_ints(const std::vector<int>& ints) const {
  NAS_CHECK(static_cast<int>(ints.size()) == kInts,
            "{}: expected 40 integers (20 for the normal cell, then 20 for the reduction cell), "
            "found {}",
            name(), ints.size());
  const OpSetUse use = op_set_use(ints);
  if (use.bad_pos >= 0)
    fail("{}: op id {} at {} is out of range; {} op ids are {}-{}", name(), ints[use.bad_pos],
         where(use.bad_pos), name(), first_op_id(), first_op_id() + num_ops() - 1);
  NAS_CHECK(!(use.five && use.eleven),
            "{}: the arch mixes op ids of the 5-op set (0-4) and the 11-op set (5-15)", name());
  const OpSet other = op_set_ == OpSet::Five ? OpSet::Eleven : OpSet::Five;
  const bool uses_other = other == OpSet::Five ? use.five : use.eleven;
  NAS_CHECK(!uses_other, "{}: the arch uses the {}: use space {}", name(), set_label(other),
            set_space_name(other));

  Arch arch;
  for (int c = 0; c < 2; ++c) {
    BranchCell cell;
    cell.nodes.resize(kNodes);
    for (int i = 0; i < kNodes; ++i)
      for (int k = 0; k < 2; ++k) {
        const int p = c * kIntsPerCell + 4 * i + 2 * k;
        const int input = ints[p];
        NAS_CHECK(input >= 0 && input <= i + 1,
                  "{}: input {} at {} is out of range; node {} may read states 0..{} (0 = s0, "
                  "1 = s1, 2+j = node j)",
                  name(), input, where(p), i, i + 1);
        cell.nodes[i][k] = Branch{input, kOpLabel0 + ints[p + 1] - first_op_id()};
      }
    cell.output_states = unused_states(cell.nodes);
    arch.cells.push_back(branch_cell_to_dag(cell));
  }
  return arch;
}

std::vector<int> NaoCellSpace::to_ints(const Arch& arch) const {
  std::vector<int> ints;
  ints.reserve(kInts);
  for (const BranchCell& cell : decode(arch))
    for (const auto& nd : cell.nodes)
      for (const auto& br : nd) {
        ints.push_back(br.input);
        ints.push_back(br.label - kOpLabel0 + first_op_id());
      }
  return ints;
}

void NaoCellSpace::validate(const Arch& arch) const { decode(arch); }

std::vector<BranchCell> NaoCellSpace::decode(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 2, "{}: expected 2 cells (normal, reduction), found {}", name(),
            arch.cells.size());
  std::vector<BranchCell> cells;
  for (int c = 0; c < 2; ++c) {
    const std::string what = fmt::format("{} {} cell", name(), cell_name(c));
    BranchCell cell = branch_cell_from_dag(arch.cells[c], kNodes, what);
    for (int i = 0; i < kNodes; ++i)
      for (int k = 0; k < 2; ++k) {
        const int label = cell.nodes[i][k].label;
        NAS_CHECK(label >= kOpLabel0 && label < kOpLabel0 + num_ops(),
                  "{}: branch graph node {} (node {}, branch {}) has label {}; {} op labels are "
                  "{}..{}",
                  what, 2 + 2 * i + k, i, k, label, name(), kOpLabel0, kOpLabel0 + num_ops() - 1);
      }
    const std::vector<int> expected = unused_states(cell.nodes);
    NAS_CHECK(cell.output_states == expected,
              "{}: the output reads states [{}], expected exactly the unused states [{}]", what,
              list_ints(cell.output_states), list_ints(expected));
    cells.push_back(std::move(cell));
  }
  return cells;
}

Arch NaoCellSpace::parse(const std::string& text) const {
  if (const NamedArch* named = find_named(text)) {
    NAS_CHECK(named->set == op_set_, "{}: {} uses the {}: use space {}", name(), named->name,
              set_label(named->set), set_space_name(named->set));
    return from_ints(parse_int_list(named->ints, name()));
  }
  return from_ints(parse_int_list(text, name()));
}

std::string NaoCellSpace::format(const Arch& arch) const {
  return fmt::format("{}", fmt::join(to_ints(arch), " "));
}

Arch NaoCellSpace::sample(Rng& rng) const {
  std::vector<int> ints(kInts);
  for (int p = 0; p < kInts; ++p)
    ints[p] = is_op_position(p)
                  ? static_cast<int>(rng.uniform_int(first_op_id(), first_op_id() + num_ops() - 1))
                  : static_cast<int>(rng.uniform_int(0, node_of_position(p) + 1));
  return from_ints(ints);
}

Arch NaoCellSpace::mutate(const Arch& arch, Rng& rng) const {
  std::vector<int> ints = to_ints(arch);
  // Every position has at least one alternative (node 0 reads s0 or s1; there are >= 5 ops).
  const int p = static_cast<int>(rng.uniform_int(0, kInts - 1));
  const int lo = is_op_position(p) ? first_op_id() : 0;
  const int hi = is_op_position(p) ? first_op_id() + num_ops() - 1 : node_of_position(p) + 1;
  int v = static_cast<int>(rng.uniform_int(lo, hi - 1));
  if (v >= ints[p]) ++v;
  ints[p] = v;
  return from_ints(ints);
}

std::vector<Arch> NaoCellSpace::neighbors(const Arch& arch) const {
  const std::vector<int> ints = to_ints(arch);
  std::vector<Arch> out;
  for (int p = 0; p < kInts; ++p) {
    const int lo = is_op_position(p) ? first_op_id() : 0;
    const int hi = is_op_position(p) ? first_op_id() + num_ops() - 1 : node_of_position(p) + 1;
    for (int v = lo; v <= hi; ++v) {
      if (v == ints[p]) continue;
      std::vector<int> n = ints;
      n[p] = v;
      out.push_back(from_ints(n));
    }
  }
  return out;
}

std::optional<uint64_t> NaoCellSpace::size() const {
  // Per node (i+2)^2 input pairs times num_ops^2 op pairs; both cells independent. For both op
  // sets this exceeds uint64 (about 2.6e25 for 5 ops).
  std::optional<uint64_t> per_cell = 1;
  for (int i = 0; i < kNodes; ++i) {
    const uint64_t inputs = static_cast<uint64_t>(i + 2);
    const uint64_t ops = static_cast<uint64_t>(num_ops());
    per_cell = checked_mul(per_cell, inputs * inputs * ops * ops);
  }
  return per_cell ? checked_mul(per_cell, *per_cell) : std::nullopt;
}

const OpVocab& NaoCellSpace::vocab() const { return vocab_; }

int NaoCellSpace::max_nodes() const { return 2 * kNodes + 3; }

SequenceSpec NaoCellSpace::sequence_spec() const {
  const int vocab_size = kFirstOpToken + num_ops();
  std::vector<std::string> names = {"sos", "s0", "s1"};
  for (int j = 0; j < kNodes - 1; ++j) names.push_back(fmt::format("node{}", j));
  for (int i = 0; i < num_ops(); ++i) names.push_back(kOpNames[first_op_id() + i]);
  std::vector<int> op_tokens;
  for (int t = kFirstOpToken; t < vocab_size; ++t) op_tokens.push_back(t);
  std::vector<std::vector<int>> legal(kInts);
  for (int p = 0; p < kInts; ++p) {
    if (is_op_position(p)) {
      legal[p] = op_tokens;
    } else {
      for (int t = 1; t <= node_of_position(p) + 2; ++t) legal[p].push_back(t);
    }
  }
  SequenceSpec spec = make_sequence_spec(vocab_size, std::move(names), legal);
  spec.symmetries = two_branch_symmetries(2, kNodes);
  return spec;
}

std::vector<int> NaoCellSpace::to_tokens(const Arch& arch) const {
  std::vector<int> tokens = to_ints(arch);
  for (int p = 0; p < kInts; ++p)
    tokens[p] = is_op_position(p) ? tokens[p] - first_op_id() + kFirstOpToken : tokens[p] + 1;
  return tokens;
}

Arch NaoCellSpace::from_tokens(const std::vector<int>& tokens) const {
  check_tokens(sequence_spec(), tokens, name());
  std::vector<int> ints = tokens;
  for (int p = 0; p < kInts; ++p)
    ints[p] = is_op_position(p) ? ints[p] - kFirstOpToken + first_op_id() : ints[p] - 1;
  return from_ints(ints);
}

std::string NaoCellSpace::hash(const Arch& arch) const {
  Arch graphs;
  for (const BranchCell& cell : decode(arch))
    graphs.cells.push_back(branch_cell_hash_graph(cell, vocab_.size()));
  return arch_hash(graphs);
}

std::shared_ptr<SearchSpace> nao_space_for(const std::string& text) {
  if (const NamedArch* named = find_named(text)) return std::make_shared<NaoCellSpace>(named->set);
  const std::vector<int> ints = parse_int_list(text, "NAO arch");
  NAS_CHECK(static_cast<int>(ints.size()) == NaoCellSpace::kInts,
            "NAO arch: expected 40 integers (20 for the normal cell, then 20 for the reduction "
            "cell) or an arch name (NAONet-A, NAONet-B, NAONet-WS), found {} integers",
            ints.size());
  const OpSetUse use = op_set_use(ints);
  if (use.bad_pos >= 0)
    fail(
        "NAO arch: op id {} at {} is out of range; NAO op ids are 0-4 (space nao) or 5-15 "
        "(space nao-11)",
        ints[use.bad_pos], where(use.bad_pos));
  NAS_CHECK(!(use.five && use.eleven),
            "NAO arch: the arch mixes op ids of the 5-op set (0-4) and the 11-op set (5-15)");
  return std::make_shared<NaoCellSpace>(use.eleven ? NaoCellSpace::OpSet::Eleven
                                                   : NaoCellSpace::OpSet::Five);
}

}  // namespace nas
