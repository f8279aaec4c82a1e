#include "libnas/spaces/darts.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas {
namespace {

// DARTS_V2 as the DARTS code prints it.
const char* const kV2Text =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

Genotype v2() {
  Genotype g;
  g.normal = {{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
              {"sep_conv_3x3", 1}, {"skip_connect", 0}, {"skip_connect", 0}, {"dil_conv_3x3", 2}};
  g.reduce = {{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 1},
              {"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"max_pool_3x3", 1}};
  return g;
}

Genotype v1() {
  Genotype g;
  g.normal = {{"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 0}, {"sep_conv_3x3", 1},
              {"skip_connect", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 2}};
  g.reduce = {{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 0},
              {"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"avg_pool_3x3", 0}};
  return g;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

std::string replace_first(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// Runs f and expects a nas::Error whose message contains `needle`.
void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no nas::Error; expected one mentioning \"" << needle << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << needle << "\"";
  }
}

// Node k (2..5) of a genotype list exchanged with node k+1 (which must not read k).
std::vector<std::pair<std::string, int>> swap_nodes(std::vector<std::pair<std::string, int>> list,
                                                    int k) {
  const int a = 2 * (k - 2);
  std::swap(list[a], list[a + 2]);
  std::swap(list[a + 1], list[a + 3]);
  for (auto& p : list) p.second = p.second == k ? k + 1 : p.second == k + 1 ? k : p.second;
  return list;
}

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

TEST(DartsSpace, RegistryVocabAndShape) {
  auto space = make_space("darts");
  EXPECT_EQ(space->name(), "darts");
  EXPECT_EQ(space->vocab().names,
            (std::vector<std::string>{"output", "input0", "input1", "none", "max_pool_3x3",
                                      "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
                                      "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}));
  EXPECT_EQ(space->vocab().input_ids, (std::vector<int>{1, 2}));
  EXPECT_EQ(space->vocab().output_id, 0);
  EXPECT_EQ(space->num_cells(), 2);
  EXPECT_EQ(space->max_nodes(), 11);
  EXPECT_FALSE(space->size().has_value());  // about 2.8e20 genotypes
  EXPECT_TRUE(space->has_sequence_view());
  EXPECT_EQ(DartsSpace::primitives().size(), 8u);
}

TEST(DartsSpace, NamedGenotypesRoundTrip) {
  DartsSpace space;
  const Arch a2 = space.parse("DARTS-V2");
  EXPECT_EQ(space.genotype(a2), v2());
  EXPECT_EQ(space.format(a2), kV2Text);
  EXPECT_EQ(space.parse(kV2Text), a2);
  EXPECT_EQ(space.from_genotype(v2()), a2);
  EXPECT_EQ(space.parse("darts_v2"), a2);
  EXPECT_EQ(std::string(DartsSpace::darts_v2()), kV2Text);

  const Arch a1 = space.parse("DARTS-V1");
  EXPECT_EQ(space.genotype(a1), v1());
  EXPECT_EQ(space.parse(space.format(a1)), a1);
  EXPECT_EQ(space.format(space.parse(DartsSpace::darts_v1())), DartsSpace::darts_v1());
  EXPECT_NE(space.hash(a1), space.hash(a2));
}

TEST(DartsSpace, ParseIsTolerant) {
  DartsSpace space;
  const Arch a = space.parse(kV2Text);
  const std::string t = kV2Text;
  EXPECT_EQ(space.parse(replace_all(t, "'", "\"")), a);
  EXPECT_EQ(space.parse(replace_all(t, "[2, 3, 4, 5]", "range(2, 6)")), a);
  EXPECT_EQ(space.parse(replace_all(replace_all(t, ", ", " ,\n\t "), "=", " = ")), a);
  // Pairs written as lists: ['sep_conv_3x3', 0].
  EXPECT_EQ(
      space.parse(replace_all(replace_all(replace_all(t, "('", "['"), "),", "],"), ")]", "]]")), a);
  EXPECT_EQ(space.parse(t.substr(std::string("Genotype").size())), a);     // bare (...)
  EXPECT_EQ(space.parse("  " + replace_first(t, "])", "],)") + "\n"), a);  // trailing comma
  EXPECT_EQ(space.parse(replace_all(replace_all(t, ", normal_concat=[2, 3, 4, 5]", ""),
                                    ", reduce_concat=[2, 3, 4, 5]", "")),
            a);
}

TEST(DartsSpace, LineGraphFollowsTheRules) {
  DartsSpace space;
  const Arch a = space.parse("DARTS-V2");
  const CellDag& normal = a.cells[0];
  ASSERT_EQ(normal.num_nodes(), 11);
  EXPECT_EQ(normal.ops, (std::vector<int>{1, 2, 7, 7, 7, 7, 7, 6, 6, 9, 0}));
  EXPECT_EQ(normal.preds(2), (std::vector<int>{0}));
  EXPECT_EQ(normal.preds(3), (std::vector<int>{1}));
  EXPECT_EQ(normal.preds(8), (std::vector<int>{0}));
  EXPECT_EQ(normal.preds(9), (std::vector<int>{2, 3}));  // dil_conv_3x3 reads node 2
  EXPECT_EQ(normal.preds(10), (std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(normal.num_edges(), 9 + 8);
  const CellDag& reduce = a.cells[1];
  EXPECT_EQ(reduce.preds(4), (std::vector<int>{2, 3}));  // node 3's skip_connect reads node 2
  EXPECT_EQ(reduce.preds(5), (std::vector<int>{1}));
}

TEST(DartsSpace, TokenPins) {
  DartsSpace space;
  // Input i -> i+1; ops max_pool 6, avg_pool 7, skip 8, sep3 9, sep5 10, dil3 11, dil5 12.
  const std::vector<int> tokens = {1, 9, 2, 9, 1, 9, 2, 9, 2, 9, 1, 8, 1, 8, 3, 11,  // normal
                                   1, 6, 2, 6, 3, 8, 2, 6, 1, 6, 3, 8, 3, 8, 2, 6};  // reduce
  const Arch a = space.parse("DARTS-V2");
  EXPECT_EQ(space.to_tokens(a), tokens);
  EXPECT_EQ(space.from_tokens(tokens), a);
}

TEST(DartsSpace, SequenceSpecMasks) {
  DartsSpace space;
  const SequenceSpec s = space.sequence_spec();
  EXPECT_EQ(s.length, 32);
  EXPECT_EQ(s.vocab_size, 13);
  EXPECT_EQ(s.token_names.size(), 13u);
  EXPECT_EQ(s.token_names[6], "max_pool_3x3");
  EXPECT_EQ(s.token_names[12], "dil_conv_5x5");
  auto legal = [&](int pos) {
    std::vector<int> out;
    for (int t = 0; t < s.vocab_size; ++t)
      if (s.is_legal(pos, t)) out.push_back(t);
    return out;
  };
  EXPECT_EQ(legal(0), (std::vector<int>{1, 2}));            // node 2
  EXPECT_EQ(legal(6), (std::vector<int>{1, 2, 3}));         // node 3, second pair
  EXPECT_EQ(legal(14), (std::vector<int>{1, 2, 3, 4, 5}));  // node 5
  EXPECT_EQ(legal(16), (std::vector<int>{1, 2}));           // the reduce cell restarts
  EXPECT_EQ(legal(31), (std::vector<int>{6, 7, 8, 9, 10, 11, 12}));
  for (int p = 0; p < 32; ++p) EXPECT_FALSE(s.is_legal(p, 0));
}

TEST(DartsSpace, LegalTokenListsDecodeOrNameEqualInputs) {
  DartsSpace space;
  const SequenceSpec spec = space.sequence_spec();
  Rng rng(13);
  int decoded = 0, rejected = 0;
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<int> tokens;
    for (int p = 0; p < spec.length; ++p) {
      std::vector<int> legal;
      for (int t = 0; t < spec.vocab_size; ++t)
        if (spec.is_legal(p, t)) legal.push_back(t);
      tokens.push_back(rng.choice(legal));
    }
    bool equal_inputs = false;
    for (int p = 0; p < 32; p += 4) equal_inputs |= tokens[p] == tokens[p + 2];
    if (equal_inputs) {
      expect_error([&] { space.from_tokens(tokens); }, "must differ");
      ++rejected;
    } else {
      const Arch a = space.from_tokens(tokens);
      EXPECT_TRUE(space.is_valid(a));
      EXPECT_EQ(space.to_tokens(a), tokens);
      ++decoded;
    }
  }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(DartsSpace, SamplesAreValidAndRoundTrip) {
  DartsSpace space;
  Rng rng(3);
  std::set<std::string> texts;
  for (int i = 0; i < 1000; ++i) {
    const Arch a = space.sample(rng);
    ASSERT_NO_THROW(space.validate(a));
    const std::string text = space.format(a);
    texts.insert(text);
    EXPECT_EQ(space.parse(text), a);
    EXPECT_EQ(space.from_genotype(space.genotype(a)), a);
    EXPECT_EQ(space.from_tokens(space.to_tokens(a)), a);
  }
  EXPECT_GT(texts.size(), 990u);
}

TEST(DartsSpace, MutateMakesOneValidChange) {
  DartsSpace space;
  Rng rng(5);
  for (int i = 0; i < 300; ++i) {
    const Arch a = space.sample(rng);
    const Arch m = space.mutate(a, rng);
    ASSERT_TRUE(space.is_valid(m));
    EXPECT_EQ(count_differences(space.to_tokens(a), space.to_tokens(m)), 1);
  }
}

TEST(DartsSpace, NeighborsAreAllSingleChanges) {
  DartsSpace space;
  const Arch a = space.parse("DARTS-V2");
  const auto nb = space.neighbors(a);
  // Per cell: 8 ops x 6 alternatives, inputs: node k has k-2 alternatives per pair.
  EXPECT_EQ(nb.size(), 2u * (48 + 2 * (0 + 1 + 2 + 3)));
  std::set<std::string> texts;
  for (const auto& n : nb) {
    ASSERT_TRUE(space.is_valid(n));
    EXPECT_EQ(count_differences(space.to_tokens(a), space.to_tokens(n)), 1);
    texts.insert(space.format(n));
  }
  EXPECT_EQ(texts.size(), nb.size());
  EXPECT_EQ(space.neighbors(a), nb);
}

TEST(DartsSpace, HashIgnoresPairOrderAndNodeNumbering) {
  DartsSpace space;
  const std::string h = space.hash(space.parse("DARTS-V2"));
  Genotype g = v2();
  std::swap(g.normal[6], g.normal[7]);  // node 5's pairs
  std::swap(g.reduce[0], g.reduce[1]);
  EXPECT_EQ(space.hash(space.from_genotype(g)), h);
  // V2's normal nodes 3 and 4 read only the inputs: exchange them.
  g = v2();
  g.normal = swap_nodes(g.normal, 3);
  EXPECT_NE(space.from_genotype(g), space.parse("DARTS-V2"));
  EXPECT_EQ(space.hash(space.from_genotype(g)), h);

  Rng rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    const Genotype s = space.genotype(space.sample(rng));
    const std::string hs = space.hash(space.from_genotype(s));
    Genotype t = s;
    const int pair = 2 * static_cast<int>(rng.uniform_int(0, 3));
    std::swap(t.reduce[pair], t.reduce[pair + 1]);
    EXPECT_EQ(space.hash(space.from_genotype(t)), hs);
    const int k = static_cast<int>(rng.uniform_int(2, 4));
    const int next = 2 * (k - 1);
    if (s.normal[next].second != k && s.normal[next + 1].second != k) {
      t = s;
      t.normal = swap_nodes(t.normal, k);
      EXPECT_EQ(space.hash(space.from_genotype(t)), hs);
    }
  }
}

TEST(DartsSpace, HashSeparatesRegroupedPairs) {
  DartsSpace space;
  // Nodes 4 and 5 both read inputs 0 and 1: (a,0)+(b,1), (c,0)+(d,1) against (a,0)+(d,1),
  // (c,0)+(b,1). The bare line graphs coincide, the networks differ.
  Genotype x = v2(), y = v2();
  x.normal[4] = {"sep_conv_3x3", 0};
  x.normal[5] = {"sep_conv_5x5", 1};
  x.normal[6] = {"dil_conv_3x3", 0};
  x.normal[7] = {"dil_conv_5x5", 1};
  y.normal[4] = {"sep_conv_3x3", 0};
  y.normal[5] = {"dil_conv_5x5", 1};
  y.normal[6] = {"dil_conv_3x3", 0};
  y.normal[7] = {"sep_conv_5x5", 1};
  EXPECT_EQ(arch_hash(space.from_genotype(x)), arch_hash(space.from_genotype(y)));
  EXPECT_NE(space.hash(space.from_genotype(x)), space.hash(space.from_genotype(y)));
}

TEST(DartsSpace, BadInputsNameTheProblem) {
  DartsSpace space;
  const std::string t = kV2Text;
  expect_error([&] { space.parse(""); }, "found nothing");
  expect_error([&] { space.parse("DARTS-V3"); }, "or DARTS-V1 / DARTS-V2, found 'DARTS-V3'");
  expect_error([&] { space.parse("Genotype(normal=[('sep_conv_3x3', 0)"); },
               "expected ']' at character 36, found the end of the text");
  expect_error([&] { space.parse("Genotype(normal=[('sep_conv_3x3, 0)])"); }, "is not closed");
  expect_error([&] { space.parse(replace_first(t, "normal_concat", "normal_cat")); },
               "unknown field 'normal_cat'");
  expect_error([&] { space.parse(t + " x"); }, "after the closing ')'");
  expect_error([&] { space.parse(replace_first(t, "('sep_conv_3x3', 0)", "{'sep_conv_3x3', 0}")); },
               "unexpected character '{'");
  expect_error([&] { space.parse(replace_first(t, "'sep_conv_3x3', 0", "'sep_conv_3x3', x")); },
               "expected an integer");
  expect_error([&] { space.parse(replace_first(t, "'sep_conv_3x3'", "sep_conv_3x3")); },
               "expected a quoted op name");
  expect_error([&] { space.parse(replace_first(t, "reduce_concat", "normal_concat")); },
               "sets field normal_concat twice");
  expect_error([&] { space.parse(replace_first(t, "('sep_conv_3x3', 0)", "('none', 0)")); },
               "normal[0] ('none', 0) of node 2 uses op none");
  expect_error([&] { space.parse(replace_first(t, "('sep_conv_3x3', 1)", "('sep_conv_3x3', 0)")); },
               "must differ");
  expect_error([&] { space.parse(replace_first(t, "('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)")); },
               "reads state 5, out of range; node 5 reads states 0..4");
  expect_error([&] { space.parse(replace_first(t, "('sep_conv_3x3', 0)", "('conv_9x9', 0)")); },
               "unknown op 'conv_9x9'");
  expect_error([&] { space.parse(replace_first(t, "[2, 3, 4, 5]", "[2, 3, 4]")); },
               "normal_concat is [2, 3, 4], expected [2, 3, 4, 5]");
  expect_error([&] { space.parse(replace_all(t, "[2, 3, 4, 5]", "range(2, 5)")); },
               "normal_concat is [2, 3, 4]");
  expect_error([&] { space.parse(t.substr(0, t.find(", reduce=")) + ")"); },
               "no reduce=[...] list");
  Genotype g = v2();
  g.normal.pop_back();
  expect_error([&] { space.from_genotype(g); }, "normal list has 7 (op, input) pairs");
  // Tokens.
  std::vector<int> tokens = space.to_tokens(space.parse("DARTS-V2"));
  expect_error([&] { space.from_tokens(std::vector<int>(tokens.begin(), tokens.begin() + 16)); },
               "expected 32 tokens");
  std::vector<int> bad = tokens;
  bad[1] = 2;
  expect_error([&] { space.from_tokens(bad); }, "token 2 is not legal at position 1");
  bad = tokens;
  bad[6] = bad[4];  // node 3 reads input 0 twice
  expect_error([&] { space.from_tokens(bad); }, "tokens 6-7 (normal cell node 3, pair 1)");
  expect_error([&] { space.from_tokens(bad); }, "must differ");
}

TEST(DartsSpace, ValidateNamesStructuralProblems) {
  DartsSpace space;
  const Arch a = space.parse("DARTS-V2");
  {
    Arch x = a;
    x.cells.push_back(a.cells[0]);
    expect_error([&] { space.validate(x); }, "expected 2 cells");
  }
  {
    Arch x = a;
    x.cells[1].set_edge(0, 10);
    expect_error([&] { space.validate(x); },
                 "darts reduce cell: the output reads states [0, 2, 3, 4, 5]");
  }
  {
    Arch x = a;
    x.cells[0].ops[2] = 3;
    expect_error([&] { space.validate(x); }, "is none");
  }
  {
    Arch x = a;
    x.cells[0].ops[9] = 11;
    expect_error([&] { space.validate(x); }, "darts op labels are 4..10");
  }
  {
    Arch x = a;  // node 3's second op (graph node 5) reads input 0 like the first
    x.cells[0].set_edge(1, 5, false);
    x.cells[0].set_edge(0, 5);
    expect_error([&] { space.validate(x); }, "normal cell node 3, pair 1 reads state 0");
  }
  {
    Arch x = a;
    x.cells[0].set_edge(2, 4);
    expect_error([&] { space.validate(x); }, "branch graph node 4 (node 3, branch 0) reads");
  }
  EXPECT_THROW(space.format(Arch{}), Error);
  EXPECT_THROW(space.genotype(Arch{}), Error);
}

}  // namespace
}  // namespace nas
