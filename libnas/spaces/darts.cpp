#include "libnas/spaces/darts.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <functional>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

constexpr int kNumPrimitives = 8;  // none included
constexpr int kLabel0 = 3;         // vocab label of primitive 0 (none)
constexpr int kFirstOpToken = 6;   // token of primitive 1 (max_pool_3x3)
constexpr int kNumStates = DartsSpace::kNodes + 2;

const char* const kDartsV1 =
    "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])";
const char* const kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

const char* cell_name(int c) { return c == 0 ? "normal" : "reduce"; }

// The working form: 16 (input, primitive) pairs, normal cell then reduce cell, two per node.
struct Pair {
  int input = 0;
  int prim = 1;
};
using Pairs = std::vector<Pair>;
constexpr int kPairs = 2 * DartsSpace::kPairsPerCell;

int node_of_pair(int idx) { return (idx % DartsSpace::kPairsPerCell) / 2 + 2; }

// Checks inputs (range, distinct within a node) and that no pair uses none. `where(idx)` says
// which pair, in the terms of the form the pairs came from.
void check_pairs(const Pairs& pairs, const std::function<std::string(int)>& where) {
  for (int idx = 0; idx < kPairs; ++idx) {
    const Pair& p = pairs[idx];
    const int k = node_of_pair(idx);
    NAS_CHECK(p.prim != 0,
              "darts: {} uses op none; none only marks absent edges in the DARTS supernet and "
              "never appears in a genotype",
              where(idx));
    NAS_CHECK(p.prim > 0 && p.prim < kNumPrimitives, "darts: {} has op index {}, expected 1..7",
              where(idx), p.prim);
    NAS_CHECK(p.input >= 0 && p.input < k,
              "darts: {} reads state {}, out of range; node {} reads states 0..{} (0 = c_{{k-2}}, "
              "1 = c_{{k-1}}, j >= 2 = node j)",
              where(idx), p.input, k, k - 1);
    if (idx % 2 == 1)
      NAS_CHECK(pairs[idx - 1].input != p.input,
                "darts: {} reads state {} like the node's other pair; the two inputs of a node "
                "must differ",
                where(idx), p.input);
  }
}

Arch arch_from_pairs(const Pairs& pairs) {
  Arch arch;
  for (int c = 0; c < 2; ++c) {
    BranchCell cell;
    cell.nodes.resize(DartsSpace::kNodes);
    for (int i = 0; i < DartsSpace::kNodes; ++i)
      for (int b = 0; b < 2; ++b) {
        const Pair& p = pairs[c * DartsSpace::kPairsPerCell + 2 * i + b];
        cell.nodes[i][b] = Branch{p.input, kLabel0 + p.prim};
      }
    cell.output_states = {2, 3, 4, 5};
    arch.cells.push_back(branch_cell_to_dag(cell));
  }
  return arch;
}

Pairs pairs_from_cells(const std::vector<BranchCell>& cells) {
  Pairs pairs;
  pairs.reserve(kPairs);
  for (const auto& cell : cells)
    for (const auto& nd : cell.nodes)
      for (const auto& br : nd) pairs.push_back(Pair{br.input, br.label - kLabel0});
  return pairs;
}

// The alternatives of pair field `field` (0 input, 1 op) of pair idx, ascending.
std::vector<int> alternatives(const Pairs& pairs, int idx, int field) {
  std::vector<int> out;
  if (field == 1) {
    for (int v = 1; v < kNumPrimitives; ++v)
      if (v != pairs[idx].prim) out.push_back(v);
  } else {
    const int sibling = pairs[idx % 2 == 0 ? idx + 1 : idx - 1].input;
    for (int v = 0; v < node_of_pair(idx); ++v)
      if (v != pairs[idx].input && v != sibling) out.push_back(v);
  }
  return out;
}

// ---- Genotype text ------------------------------------------------------------------------

struct Token {
  enum Kind { Ident, Int, Str, Punct, End } kind = End;
  std::string text;
  size_t pos = 0;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::End:
      return "the end of the text";
    case Token::Str:
      return fmt::format("string {}", quote(t.text));
    default:
      return quote(t.text);
  }
}

std::vector<Token> lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (std::isalpha(c) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::Ident, s.substr(i, j - i), i});
      i = j;
    } else if (std::isdigit(c) || (c == '-' && i + 1 < s.size() &&
                                   std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i + 1;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back({Token::Int, s.substr(i, j - i), i});
      i = j;
    } else if (c == '\'' || c == '"') {
      const size_t close = s.find(static_cast<char>(c), i + 1);
      NAS_CHECK(close != std::string::npos,
                "darts: malformed Genotype text: the string opened at character {} is not closed",
                i);
      out.push_back({Token::Str, s.substr(i + 1, close - i - 1), i});
      i = close + 1;
    } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '=') {
      out.push_back({Token::Punct, std::string(1, static_cast<char>(c)), i});
      ++i;
    } else {
      fail("darts: malformed Genotype text: unexpected character {} at character {}",
           quote(std::string(1, static_cast<char>(c))), i);
    }
  }
  out.push_back({Token::End, "", s.size()});
  return out;
}

// Recursive descent over the Python repr; records what it read, semantic checks come later.
class GenotypeParser {
 public:
  explicit GenotypeParser(const std::string& text) : toks_(lex(text)) {}

  struct Result {
    std::vector<std::pair<std::string, int>> lists[2];
    std::vector<int> concats[2];
    bool have_list[2] = {false, false};
  };

  Result parse() {
    Result r;
    if (peek().kind == Token::Ident && peek().text == "Genotype") ++at_;
    expect_punct("(");
    std::vector<std::string> seen;
    while (!is_punct(")")) {
      const Token key = next();
      NAS_CHECK(key.kind == Token::Ident,
                "darts: malformed Genotype text: expected a field name at character {}, found {}",
                key.pos, describe(key));
      NAS_CHECK(std::find(seen.begin(), seen.end(), key.text) == seen.end(),
                "darts: Genotype text sets field {} twice", key.text);
      seen.push_back(key.text);
      expect_punct("=");
      if (key.text == "normal" || key.text == "reduce") {
        const int c = key.text == "normal" ? 0 : 1;
        r.lists[c] = parse_pairs();
        r.have_list[c] = true;
      } else if (key.text == "normal_concat" || key.text == "reduce_concat") {
        r.concats[key.text == "normal_concat" ? 0 : 1] = parse_concat();
      } else {
        fail(
            "darts: Genotype text has unknown field {} at character {}; expected normal, "
            "normal_concat, reduce, reduce_concat",
            quote(key.text), key.pos);
      }
      if (!is_punct(",")) break;
      ++at_;
    }
    expect_punct(")");
    const Token& end = peek();
    NAS_CHECK(end.kind == Token::End,
              "darts: malformed Genotype text: unexpected {} at character {} after the closing ')'",
              describe(end), end.pos);
    return r;
  }

 private:
  const Token& peek() const { return toks_[at_]; }
  Token next() {
    const Token t = toks_[at_];
    if (t.kind != Token::End) ++at_;
    return t;
  }
  bool is_punct(const char* p) const { return peek().kind == Token::Punct && peek().text == p; }
  void expect_punct(const char* p) {
    const Token t = next();
    NAS_CHECK(t.kind == Token::Punct && t.text == p,
              "darts: malformed Genotype text: expected '{}' at character {}, found {}", p, t.pos,
              describe(t));
  }
  int expect_int() {
    const Token t = next();
    NAS_CHECK(t.kind == Token::Int,
              "darts: malformed Genotype text: expected an integer at character {}, found {}",
              t.pos, describe(t));
    return static_cast<int>(parse_int(t.text, "darts: Genotype integer"));
  }

  // [('op', 0), ('op', 1), ...]; inner brackets may be ( ) or [ ].
  std::vector<std::pair<std::string, int>> parse_pairs() {
    std::vector<std::pair<std::string, int>> out;
    expect_punct("[");
    while (!is_punct("]")) {
      const bool paren = is_punct("(");
      expect_punct(paren ? "(" : "[");
      const Token op = next();
      NAS_CHECK(op.kind == Token::Str,
                "darts: malformed Genotype text: expected a quoted op name at character {}, "
                "found {}",
                op.pos, describe(op));
      expect_punct(",");
      const int input = expect_int();
      expect_punct(paren ? ")" : "]");
      out.emplace_back(op.text, input);
      if (!is_punct(",")) break;
      ++at_;
    }
    expect_punct("]");
    return out;
  }

  // [2, 3, 4, 5] or range(2, 6).
  std::vector<int> parse_concat() {
    std::vector<int> out;
    if (peek().kind == Token::Ident && peek().text == "range") {
      ++at_;
      expect_punct("(");
      const int lo = expect_int();
      expect_punct(",");
      const int hi = expect_int();
      expect_punct(")");
      NAS_CHECK(hi - lo <= 100, "darts: range({}, {}) in a concat is far too long", lo, hi);
      for (int v = lo; v < hi; ++v) out.push_back(v);
      return out;
    }
    expect_punct("[");
    while (!is_punct("]")) {
      out.push_back(expect_int());
      if (!is_punct(",")) break;
      ++at_;
    }
    expect_punct("]");
    return out;
  }

  std::vector<Token> toks_;
  size_t at_ = 0;
};

std::string format_pairs(const std::vector<std::pair<std::string, int>>& pairs) {
  std::vector<std::string> parts;
  for (const auto& p : pairs) parts.push_back(fmt::format("('{}', {})", p.first, p.second));
  return "[" + join(parts, ", ") + "]";
}

std::optional<uint64_t> checked_mul(std::optional<uint64_t> a, uint64_t b) {
  uint64_t r = 0;
  if (!a || __builtin_mul_overflow(*a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace

DartsSpace::DartsSpace() {
  vocab_.names = {"output", "input0", "input1"};
  for (const auto& p : primitives()) vocab_.names.push_back(p);
  vocab_.input_ids = {1, 2};
  vocab_.output_id = 0;
}

const std::vector<std::string>& DartsSpace::primitives() {
  static const std::vector<std::string> p = {"none",         "max_pool_3x3", "avg_pool_3x3",
                                             "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                                             "dil_conv_3x3", "dil_conv_5x5"};
  return p;
}

const char* DartsSpace::darts_v1() { return kDartsV1; }
const char* DartsSpace::darts_v2() { return kDartsV2; }

std::string DartsSpace::name() const { return "darts"; }

std::string DartsSpace::description() const {
  return "DARTS genotypes: normal + reduce cell, 4 nodes of two (op, input) pairs over 7 ops; "
         "text is the Python Genotype(...) repr; DARTS-V1, DARTS-V2";
}

std::vector<BranchCell> DartsSpace::decode(const Arch& arch) const {
  NAS_CHECK(arch.cells.size() == 2, "darts: expected 2 cells (normal, reduce), found {}",
            arch.cells.size());
  std::vector<BranchCell> cells;
  for (int c = 0; c < 2; ++c) {
    const std::string what = fmt::format("darts {} cell", cell_name(c));
    BranchCell cell = branch_cell_from_dag(arch.cells[c], kNodes, what, 2);
    for (int i = 0; i < kNodes; ++i)
      for (int b = 0; b < 2; ++b) {
        const int label = cell.nodes[i][b].label;
        NAS_CHECK(label != kLabel0,
                  "{}: branch graph node {} (node {}, branch {}) is none; none never appears in a "
                  "genotype",
                  what, 2 + 2 * i + b, i + 2, b);
        NAS_CHECK(label > kLabel0 && label < kLabel0 + kNumPrimitives,
                  "{}: branch graph node {} (node {}, branch {}) has label {}; darts op labels are "
                  "{}..{}",
                  what, 2 + 2 * i + b, i + 2, b, label, kLabel0 + 1, kLabel0 + kNumPrimitives - 1);
      }
    const std::vector<int> all = {2, 3, 4, 5};
    NAS_CHECK(cell.output_states == all,
              "{}: the output reads states [{}], expected all four nodes [2, 3, 4, 5]", what,
              fmt::join(cell.output_states, ", "));
    cells.push_back(std::move(cell));
  }
  check_pairs(pairs_from_cells(cells), [](int idx) {
    return fmt::format("{} cell node {}, pair {}", cell_name(idx / kPairsPerCell),
                       node_of_pair(idx), idx % 2);
  });
  return cells;
}

void DartsSpace::validate(const Arch& arch) const { decode(arch); }

Genotype DartsSpace::genotype(const Arch& arch) const {
  const Pairs pairs = pairs_from_cells(decode(arch));
  Genotype g;
  for (int idx = 0; idx < kPairs; ++idx) {
    auto& list = idx < kPairsPerCell ? g.normal : g.reduce;
    list.emplace_back(primitives()[static_cast<size_t>(pairs[idx].prim)], pairs[idx].input);
  }
  return g;
}

Arch DartsSpace::from_genotype(const Genotype& g) const {
  Pairs pairs;
  for (int c = 0; c < 2; ++c) {
    const auto& list = c == 0 ? g.normal : g.reduce;
    NAS_CHECK(static_cast<int>(list.size()) == kPairsPerCell,
              "darts: the {} list has {} (op, input) pairs, expected 8 (two per node 2..5)",
              cell_name(c), list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const int prim = vocab_.find(list[i].first) - kLabel0;
      NAS_CHECK(prim >= 0, "darts: {}[{}] has unknown op {}; expected one of {}", cell_name(c), i,
                quote(list[i].first), join(primitives(), ", "));
      pairs.push_back(Pair{list[i].second, prim});
    }
  }
  check_pairs(pairs, [&](int idx) {
    const auto& list = idx < kPairsPerCell ? g.normal : g.reduce;
    const auto& p = list[static_cast<size_t>(idx % kPairsPerCell)];
    return fmt::format("{}[{}] ('{}', {}) of node {}", cell_name(idx / kPairsPerCell),
                       idx % kPairsPerCell, p.first, p.second, node_of_pair(idx));
  });
  return arch_from_pairs(pairs);
}

Arch DartsSpace::parse(const std::string& text) const {
  const std::string t = to_lower(trim(text));
  if (t == "darts-v1" || t == "darts_v1") return parse(kDartsV1);
  if (t == "darts-v2" || t == "darts_v2") return parse(kDartsV2);
  NAS_CHECK(!t.empty(),
            "darts: expected a Genotype(normal=[...], normal_concat=[2, 3, 4, 5], reduce=[...], "
            "reduce_concat=[2, 3, 4, 5]) text or DARTS-V1 / DARTS-V2, found nothing");
  NAS_CHECK(t.find('(') != std::string::npos,
            "darts: expected a Genotype(normal=[...], normal_concat=[2, 3, 4, 5], reduce=[...], "
            "reduce_concat=[2, 3, 4, 5]) text or DARTS-V1 / DARTS-V2, found {}",
            quote(trim(text)));
  GenotypeParser::Result r = GenotypeParser(text).parse();
  Genotype g;
  for (int c = 0; c < 2; ++c) {
    NAS_CHECK(r.have_list[c], "darts: the Genotype text has no {}=[...] list", cell_name(c));
    const std::vector<int>& concat = r.concats[c];
    NAS_CHECK(concat.empty() || concat == std::vector<int>({2, 3, 4, 5}),
              "darts: {}_concat is [{}], expected [2, 3, 4, 5] (the space concatenates all "
              "four nodes)",
              cell_name(c), fmt::join(concat, ", "));
  }
  g.normal = std::move(r.lists[0]);
  g.reduce = std::move(r.lists[1]);
  return from_genotype(g);
}

std::string DartsSpace::format(const Arch& arch) const {
  const Genotype g = genotype(arch);
  return fmt::format(
      "Genotype(normal={}, normal_concat=[2, 3, 4, 5], reduce={}, reduce_concat=[2, 3, 4, 5])",
      format_pairs(g.normal), format_pairs(g.reduce));
}

Arch DartsSpace::sample(Rng& rng) const {
  Pairs pairs(kPairs);
  for (int idx = 0; idx < kPairs; idx += 2) {
    const int k = node_of_pair(idx);
    const int a = static_cast<int>(rng.uniform_int(0, k - 1));
    int b = static_cast<int>(rng.uniform_int(0, k - 2));
    if (b >= a) ++b;
    pairs[idx].input = a;
    pairs[idx + 1].input = b;
    pairs[idx].prim = static_cast<int>(rng.uniform_int(1, kNumPrimitives - 1));
    pairs[idx + 1].prim = static_cast<int>(rng.uniform_int(1, kNumPrimitives - 1));
  }
  return arch_from_pairs(pairs);
}

Arch DartsSpace::mutate(const Arch& arch, Rng& rng) const {
  Pairs pairs = pairs_from_cells(decode(arch));
  // Fields with at least one alternative: every op, and every input except those of node 2,
  // whose two inputs are necessarily {0, 1}.
  std::vector<std::pair<int, int>> fields;
  for (int idx = 0; idx < kPairs; ++idx)
    for (int field = 0; field < 2; ++field)
      if (!alternatives(pairs, idx, field).empty()) fields.emplace_back(idx, field);
  const auto [idx, field] = rng.choice(fields);
  const int v = rng.choice(alternatives(pairs, idx, field));
  (field == 0 ? pairs[idx].input : pairs[idx].prim) = v;
  return arch_from_pairs(pairs);
}

std::vector<Arch> DartsSpace::neighbors(const Arch& arch) const {
  const Pairs pairs = pairs_from_cells(decode(arch));
  std::vector<Arch> out;
  for (int idx = 0; idx < kPairs; ++idx)
    for (int field = 0; field < 2; ++field)
      for (int v : alternatives(pairs, idx, field)) {
        Pairs n = pairs;
        (field == 0 ? n[idx].input : n[idx].prim) = v;
        out.push_back(arch_from_pairs(n));
      }
  return out;
}

std::optional<uint64_t> DartsSpace::size() const {
  // Node k has k(k-1) ordered pairs of distinct inputs and 7^2 op pairs; per cell about 1.66e10,
  // so the two cells together (about 2.8e20) do not fit in uint64.
  std::optional<uint64_t> per_cell = 1;
  for (int k = 2; k < kNumStates; ++k)
    per_cell = checked_mul(
        per_cell, static_cast<uint64_t>(k * (k - 1)) * (kNumPrimitives - 1) * (kNumPrimitives - 1));
  return per_cell ? checked_mul(per_cell, *per_cell) : std::nullopt;
}

const OpVocab& DartsSpace::vocab() const { return vocab_; }

int DartsSpace::max_nodes() const { return 2 * kNodes + 3; }

SequenceSpec DartsSpace::sequence_spec() const {
  const int vocab_size = kFirstOpToken + kNumPrimitives - 1;
  std::vector<std::string> names = {"sos", "c_k-2", "c_k-1", "node2", "node3", "node4"};
  for (int p = 1; p < kNumPrimitives; ++p) names.push_back(primitives()[static_cast<size_t>(p)]);
  std::vector<int> op_tokens;
  for (int t = kFirstOpToken; t < vocab_size; ++t) op_tokens.push_back(t);
  std::vector<std::vector<int>> legal(kTokens);
  for (int pos = 0; pos < kTokens; ++pos) {
    if (pos % 2 == 1) {
      legal[pos] = op_tokens;
    } else {
      for (int t = 1; t <= node_of_pair(pos / 2); ++t) legal[pos].push_back(t);
    }
  }
  SequenceSpec spec = make_sequence_spec(vocab_size, std::move(names), legal);
  for (int idx = 0; idx < kPairs; idx += 2) spec.must_differ.push_back({2 * idx, 2 * idx + 2});
  spec.symmetries = two_branch_symmetries(2, kNodes);
  return spec;
}

std::vector<int> DartsSpace::to_tokens(const Arch& arch) const {
  const Pairs pairs = pairs_from_cells(decode(arch));
  std::vector<int> tokens;
  tokens.reserve(kTokens);
  for (const Pair& p : pairs) {
    tokens.push_back(p.input + 1);
    tokens.push_back(p.prim - 1 + kFirstOpToken);
  }
  return tokens;
}

Arch DartsSpace::from_tokens(const std::vector<int>& tokens) const {
  check_tokens(sequence_spec(), tokens, name());
  Pairs pairs(kPairs);
  for (int idx = 0; idx < kPairs; ++idx) {
    pairs[idx].input = tokens[2 * idx] - 1;
    pairs[idx].prim = tokens[2 * idx + 1] - kFirstOpToken + 1;
  }
  check_pairs(pairs, [](int idx) {
    return fmt::format("tokens {}-{} ({} cell node {}, pair {})", 2 * idx, 2 * idx + 1,
                       cell_name(idx / kPairsPerCell), node_of_pair(idx), idx % 2);
  });
  return arch_from_pairs(pairs);
}

std::string DartsSpace::hash(const Arch& arch) const {
  Arch graphs;
  for (const BranchCell& cell : decode(arch))
    graphs.cells.push_back(branch_cell_hash_graph(cell, vocab_.size()));
  return arch_hash(graphs);
}

}  // namespace nas
