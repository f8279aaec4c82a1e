#include "libnas/spaces/nao_cell.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"
#include "libnas/util/strings.h"

namespace nas {
namespace {

using OpSet = NaoCellSpace::OpSet;

std::vector<int> ints_of(const std::string& text) {
  std::vector<int> out;
  for (const auto& part : split_any(text, " "))
    out.push_back(static_cast<int>(parse_int(part, "t")));
  return out;
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

// Swaps nodes i and i+1 of cell c (i+1 must not read node i), renaming the references to them.
std::vector<int> swap_nodes(std::vector<int> ints, int c, int i) {
  const int base = c * 20;
  auto rename = [&](int s) { return s == i + 2 ? i + 3 : s == i + 3 ? i + 2 : s; };
  for (int k = 0; k < 4; ++k) std::swap(ints[base + 4 * i + k], ints[base + 4 * (i + 1) + k]);
  for (int n = 0; n < 5; ++n) {
    ints[base + 4 * n] = rename(ints[base + 4 * n]);
    ints[base + 4 * n + 2] = rename(ints[base + 4 * n + 2]);
  }
  return ints;
}

// Swaps the x and y branches of node i of cell c.
std::vector<int> swap_branches(std::vector<int> ints, int c, int i) {
  const int p = c * 20 + 4 * i;
  std::swap(ints[p], ints[p + 2]);
  std::swap(ints[p + 1], ints[p + 3]);
  return ints;
}

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += a[i] != b[i];
  return d;
}

TEST(NaoCellSpace, RegistryVocabAndShape) {
  auto five = make_space("nao");
  auto eleven = make_space("nao-11");
  EXPECT_EQ(five->name(), "nao");
  EXPECT_EQ(eleven->name(), "nao-11");
  EXPECT_EQ(five->vocab().names,
            (std::vector<std::string>{"output", "input0", "input1", "sep_conv_3x3", "sep_conv_5x5",
                                      "avg_pool_3x3", "max_pool_3x3", "identity"}));
  EXPECT_EQ(eleven->vocab().size(), 14);
  EXPECT_EQ(eleven->vocab().names[3], "identity");
  EXPECT_EQ(eleven->vocab().names[13], "avg_pool_5x5");
  EXPECT_EQ(five->vocab().output_id, 0);
  EXPECT_EQ(five->vocab().input_ids, (std::vector<int>{1, 2}));
  for (const auto& s : {five, eleven}) {
    EXPECT_EQ(s->num_cells(), 2);
    EXPECT_EQ(s->max_nodes(), 13);
    EXPECT_FALSE(s->size().has_value());  // about 2.6e25 archs for 5 ops
    EXPECT_TRUE(s->has_sequence_view());
    EXPECT_FALSE(s->description().empty());
  }
  EXPECT_EQ(NaoCellSpace::op_name(0), "sep_conv_3x3");
  EXPECT_EQ(NaoCellSpace::op_name(5), "identity");
  EXPECT_EQ(NaoCellSpace::op_name(15), "avg_pool_5x5");
  EXPECT_THROW(NaoCellSpace::op_name(16), Error);
}

TEST(NaoCellSpace, NamedArchsRoundTrip) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  struct Case {
    const NaoCellSpace* space;
    const char* name;
    const char* ints;
  };
  const Case cases[] = {{&eleven, "NAONet-A", NaoCellSpace::naonet_a()},
                        {&five, "NAONet-B", NaoCellSpace::naonet_b()},
                        {&five, "NAONet-WS", NaoCellSpace::naonet_ws()}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Arch a = c.space->parse(c.name);
    EXPECT_NO_THROW(c.space->validate(a));
    EXPECT_EQ(c.space->to_ints(a), ints_of(c.ints));
    EXPECT_EQ(c.space->format(a), c.ints);
    EXPECT_EQ(c.space->parse(c.space->format(a)), a);
    EXPECT_EQ(c.space->from_ints(c.space->to_ints(a)), a);
    EXPECT_EQ(c.space->parse(to_lower(c.name)), a);
  }
  EXPECT_EQ(
      std::string(NaoCellSpace::naonet_a()),
      "0 7 1 15 2 8 1 7 0 6 1 7 0 8 4 7 1 5 0 7 0 7 1 13 0 6 0 14 0 9 1 10 0 14 2 6 1 11 0 7");
  EXPECT_EQ(std::string(NaoCellSpace::naonet_b()),
            "0 1 0 2 0 1 2 2 1 3 0 2 4 0 1 3 2 1 0 3 1 1 1 0 2 1 2 4 1 0 2 3 3 1 2 2 0 2 0 2");
  EXPECT_EQ(std::string(NaoCellSpace::naonet_ws()),
            "0 1 0 4 2 2 1 3 1 0 2 0 2 3 1 3 1 2 0 4 1 1 0 3 2 3 2 3 1 0 0 1 0 4 2 4 2 3 2 3");
}

TEST(NaoCellSpace, ParseAcceptsCommasAndBrackets) {
  NaoCellSpace five(OpSet::Five);
  const Arch b = five.parse("NAONet-B");
  EXPECT_EQ(five.parse("[[0, 1, 0, 2, 0, 1, 2, 2, 1, 3, 0, 2, 4, 0, 1, 3, 2, 1, 0, 3], "
                       "[1, 1, 1, 0, 2, 1, 2, 4, 1, 0, 2, 3, 3, 1, 2, 2, 0, 2, 0, 2]]"),
            b);
  EXPECT_EQ(five.parse("0,1,0,2,0,1,2,2,1,3,0,2,4,0,1,3,2,1,0,3,1,1,1,0,2,1,2,4,1,0,2,3,3,1,2,2,0,"
                       "2,0,2\n"),
            b);
}

TEST(NaoCellSpace, LineGraphFollowsTheRules) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  const Arch b = five.parse("NAONet-B");
  const CellDag& normal = b.cells[0];
  ASSERT_EQ(normal.num_nodes(), 13);
  // Labels: inputs, then op id + 3 (n0 = sep5(s0) + avg3(s0)), output last.
  EXPECT_EQ(normal.ops[0], 1);
  EXPECT_EQ(normal.ops[1], 2);
  EXPECT_EQ(normal.ops[2], 4);
  EXPECT_EQ(normal.ops[3], 5);
  EXPECT_EQ(normal.ops[12], 0);
  EXPECT_EQ(normal.preds(2), (std::vector<int>{0}));
  EXPECT_EQ(normal.preds(3), (std::vector<int>{0}));
  // n1 = sep5(s0) + avg3(n0): the y branch reads both branch nodes of n0.
  EXPECT_EQ(normal.preds(4), (std::vector<int>{0}));
  EXPECT_EQ(normal.preds(5), (std::vector<int>{2, 3}));
  // n3 reads n2 (state 4) and s1.
  EXPECT_EQ(normal.preds(8), (std::vector<int>{6, 7}));
  EXPECT_EQ(normal.preds(9), (std::vector<int>{1}));
  // The output concatenates the unused n1, n3, n4 (3C).
  EXPECT_EQ(normal.preds(12), (std::vector<int>{4, 5, 8, 9, 10, 11}));
  // Reduction cell: n2, n3, n4 unused.
  EXPECT_EQ(b.cells[1].preds(12), (std::vector<int>{6, 7, 8, 9, 10, 11}));

  // NAONet-A: normal output n1, n3, n4 (3C); reduction n1..n4 (4C); labels = id - 5 + 3.
  const Arch a = eleven.parse("NAONet-A");
  EXPECT_EQ(a.cells[0].preds(12), (std::vector<int>{4, 5, 8, 9, 10, 11}));
  EXPECT_EQ(a.cells[1].preds(12), (std::vector<int>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(a.cells[0].ops[2], 7 - 5 + 3);
  EXPECT_EQ(a.cells[0].ops[3], 15 - 5 + 3);

  // An unused input is concatenated too: every node reads s0 only.
  std::vector<int> ints(40, 0);
  const Arch only_s0 = five.from_ints(ints);
  EXPECT_EQ(only_s0.cells[0].preds(12), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(NaoCellSpace, TokenPins) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  // NAONet-B by hand: input k -> k+1, op o -> o+7.
  const std::vector<int> b_tokens = {
      1, 8, 1, 9, 1, 8, 3, 9,  2, 10, 1, 9,  5, 7, 2, 10, 3, 8, 1, 10,  // normal
      2, 8, 2, 7, 3, 8, 3, 11, 2, 7,  3, 10, 4, 8, 3, 9,  1, 9, 1, 9};  // reduction
  const Arch b = five.parse("NAONet-B");
  EXPECT_EQ(five.to_tokens(b), b_tokens);
  EXPECT_EQ(five.from_tokens(b_tokens), b);
  // NAONet-A by hand: op o (5..15) -> 7 + (o - 5).
  const std::vector<int> a_tokens = {
      1, 9, 2, 17, 3, 10, 2, 9,  1, 8,  2, 9,  1, 10, 5, 9, 2, 7,  1, 9,   // normal
      1, 9, 2, 15, 1, 8,  1, 16, 1, 11, 2, 12, 1, 16, 3, 8, 2, 13, 1, 9};  // reduction
  const Arch a = eleven.parse("NAONet-A");
  EXPECT_EQ(eleven.to_tokens(a), a_tokens);
  EXPECT_EQ(eleven.from_tokens(a_tokens), a);
}

TEST(NaoCellSpace, SequenceSpecMasks) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  const SequenceSpec s5 = five.sequence_spec();
  const SequenceSpec s11 = eleven.sequence_spec();
  EXPECT_EQ(s5.length, 40);
  EXPECT_EQ(s5.vocab_size, 12);
  EXPECT_EQ(s11.length, 40);
  EXPECT_EQ(s11.vocab_size, 18);
  EXPECT_EQ(s5.token_names.size(), 12u);
  EXPECT_EQ(s11.token_names[7], "identity");
  auto legal = [](const SequenceSpec& s, int pos) {
    std::vector<int> out;
    for (int t = 0; t < s.vocab_size; ++t)
      if (s.is_legal(pos, t)) out.push_back(t);
    return out;
  };
  EXPECT_EQ(legal(s5, 0), (std::vector<int>{1, 2}));               // node 0 reads s0, s1
  EXPECT_EQ(legal(s5, 6), (std::vector<int>{1, 2, 3}));            // node 1 y input
  EXPECT_EQ(legal(s5, 16), (std::vector<int>{1, 2, 3, 4, 5, 6}));  // node 4
  EXPECT_EQ(legal(s5, 20), (std::vector<int>{1, 2}));              // the reduction cell restarts
  EXPECT_EQ(legal(s5, 1), (std::vector<int>{7, 8, 9, 10, 11}));
  EXPECT_EQ(legal(s11, 39), (std::vector<int>{7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}));
  for (int p = 0; p < 40; ++p) EXPECT_FALSE(s5.is_legal(p, 0)) << "SOS at " << p;
}

TEST(NaoCellSpace, EveryLegalTokenListDecodes) {
  Rng rng(11);
  for (OpSet set : {OpSet::Five, OpSet::Eleven}) {
    NaoCellSpace space(set);
    const SequenceSpec spec = space.sequence_spec();
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<int> tokens;
      for (int p = 0; p < spec.length; ++p) {
        std::vector<int> legal;
        for (int t = 0; t < spec.vocab_size; ++t)
          if (spec.is_legal(p, t)) legal.push_back(t);
        tokens.push_back(rng.choice(legal));
      }
      const Arch a = space.from_tokens(tokens);
      EXPECT_TRUE(space.is_valid(a));
      EXPECT_EQ(space.to_tokens(a), tokens);
    }
  }
}

TEST(NaoCellSpace, SamplesAreValidAndRoundTrip) {
  for (OpSet set : {OpSet::Five, OpSet::Eleven}) {
    NaoCellSpace space(set);
    Rng rng(3);
    std::set<std::string> texts;
    for (int i = 0; i < 1000; ++i) {
      const Arch a = space.sample(rng);
      ASSERT_NO_THROW(space.validate(a));
      const std::string text = space.format(a);
      texts.insert(text);
      EXPECT_EQ(space.parse(text), a);
      EXPECT_EQ(space.from_ints(space.to_ints(a)), a);
      EXPECT_EQ(space.from_tokens(space.to_tokens(a)), a);
      EXPECT_EQ(nao_space_for(text)->name(), space.name());
    }
    EXPECT_GT(texts.size(), 990u);
  }
}

TEST(NaoCellSpace, MutateMakesOneValidChange) {
  for (OpSet set : {OpSet::Five, OpSet::Eleven}) {
    NaoCellSpace space(set);
    Rng rng(5);
    for (int i = 0; i < 300; ++i) {
      const Arch a = space.sample(rng);
      const Arch m = space.mutate(a, rng);
      ASSERT_TRUE(space.is_valid(m));
      EXPECT_EQ(count_differences(space.to_ints(a), space.to_ints(m)), 1);
    }
  }
}

TEST(NaoCellSpace, NeighborsAreAllSingleChanges) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  // Per cell: inputs sum_i 2 (i+1) = 30 alternatives, ops 10 (n-1).
  const std::pair<const NaoCellSpace*, size_t> cases[] = {{&five, 2 * (30 + 40)},
                                                          {&eleven, 2 * (30 + 100)}};
  for (const auto& [space, expected] : cases) {
    Rng rng(9);
    const Arch a = space->sample(rng);
    const auto nb = space->neighbors(a);
    EXPECT_EQ(nb.size(), expected);
    std::set<std::string> texts;
    for (const auto& n : nb) {
      ASSERT_TRUE(space->is_valid(n));
      EXPECT_EQ(count_differences(space->to_ints(a), space->to_ints(n)), 1);
      texts.insert(space->format(n));
    }
    EXPECT_EQ(texts.size(), nb.size());
    EXPECT_EQ(space->neighbors(a), nb);  // deterministic
  }
}

TEST(NaoCellSpace, HashIgnoresBranchOrderAndNodeNumbering) {
  NaoCellSpace five(OpSet::Five);
  // NAONet-B with n1 and n2 of the normal cell exchanged (n2 does not read n1): n3 now reads
  // state 3 instead of 4.
  const std::vector<int> b = ints_of(NaoCellSpace::naonet_b());
  const std::vector<int> renumbered = swap_nodes(b, 0, 1);
  EXPECT_EQ(std::vector<int>(renumbered.begin(), renumbered.begin() + 20),
            ints_of("0 1 0 2 1 3 0 2 0 1 2 2 3 0 1 3 2 1 0 3"));
  EXPECT_EQ(five.hash(five.from_ints(renumbered)), five.hash(five.from_ints(b)));
  EXPECT_EQ(five.hash(five.from_ints(swap_branches(b, 1, 3))), five.hash(five.from_ints(b)));

  Rng rng(21);
  for (OpSet set : {OpSet::Five, OpSet::Eleven}) {
    NaoCellSpace space(set);
    for (int trial = 0; trial < 300; ++trial) {
      const std::vector<int> ints = space.to_ints(space.sample(rng));
      const std::string h = space.hash(space.from_ints(ints));
      const int c = static_cast<int>(rng.uniform_int(0, 1));
      const int i = static_cast<int>(rng.uniform_int(0, 3));
      EXPECT_EQ(space.hash(space.from_ints(swap_branches(ints, c, i))), h);
      const int p = c * 20 + 4 * (i + 1);
      if (ints[p] != i + 2 && ints[p + 2] != i + 2) {
        EXPECT_EQ(space.hash(space.from_ints(swap_nodes(ints, c, i))), h);
      }
    }
  }
}

TEST(NaoCellSpace, HashSeparatesDifferentCells) {
  NaoCellSpace five(OpSet::Five);
  const std::vector<int> b = ints_of(NaoCellSpace::naonet_b());
  std::vector<int> other = b;
  other[1] = 0;  // n0's x op sep5 -> sep3
  EXPECT_NE(five.hash(five.from_ints(other)), five.hash(five.from_ints(b)));
  // Two unused nodes: n3 = op0(s0) + op1(s1), n4 = op2(s0) + op3(s1) against the regrouping
  // n3 = op0(s0) + op2(s0), n4 = op1(s1) + op3(s1). The bare line graphs coincide (every
  // branch node reads the same input and feeds only the output) but the networks differ.
  std::vector<int> x = ints_of("0 0 1 0 0 0 1 0 0 0 1 0 0 0 1 1 0 2 1 3");
  std::vector<int> y = ints_of("0 0 1 0 0 0 1 0 0 0 1 0 0 0 0 2 1 1 1 3");
  x.insert(x.end(), b.begin() + 20, b.end());
  y.insert(y.end(), b.begin() + 20, b.end());
  EXPECT_EQ(arch_hash(five.from_ints(x)), arch_hash(five.from_ints(y)));
  EXPECT_NE(five.hash(five.from_ints(x)), five.hash(five.from_ints(y)));
}

TEST(NaoCellSpace, BadInputsNameTheProblem) {
  NaoCellSpace five(OpSet::Five), eleven(OpSet::Eleven);
  std::vector<int> b = ints_of(NaoCellSpace::naonet_b());
  auto with = [&](int pos, int v) {
    std::vector<int> x = b;
    x[pos] = v;
    return x;
  };
  expect_error([&] { five.parse("0 1 0 2"); }, "expected 40 integers");
  expect_error([&] { five.parse(""); }, "expected 40 integers or an arch name");
  expect_error([&] { five.parse(std::string(NaoCellSpace::naonet_b()) + " 0"); }, "found 41");
  expect_error([&] { five.parse("0 1 0 x 0 1 2 2"); }, "expected an integer");
  expect_error([&] { five.from_ints(with(0, 2)); }, "node 0 may read states 0..1");
  expect_error([&] { five.from_ints(with(36, 6)); }, "node 4 may read states 0..5");
  expect_error([&] { five.from_ints(with(2, -1)); }, "input -1 at position 2");
  expect_error([&] { five.from_ints(with(1, 16)); }, "op id 16 at position 1");
  expect_error([&] { five.from_ints(with(3, 7)); }, "mixes op ids");
  expect_error([&] { eleven.from_ints(b); }, "use space nao");
  expect_error([&] { five.parse(NaoCellSpace::naonet_a()); }, "use space nao-11");
  expect_error([&] { five.parse("NAONet-A"); }, "NAONet-A uses the 11-op set");
  expect_error([&] { five.parse("NAONet-A"); }, "use space nao-11");
  expect_error([&] { eleven.parse("NAONet-B"); }, "use space nao");
  // Tokens.
  std::vector<int> tokens = five.to_tokens(five.parse("NAONet-B"));
  expect_error([&] { five.from_tokens(std::vector<int>(tokens.begin(), tokens.end() - 1)); },
               "expected 40 tokens");
  tokens[0] = 3;
  expect_error([&] { five.from_tokens(tokens); }, "not legal at position 0");
  // nao_space_for picks the set and rejects what fits neither.
  EXPECT_EQ(nao_space_for("NAONet-A")->name(), "nao-11");
  EXPECT_EQ(nao_space_for(" naonet-b ")->name(), "nao");
  EXPECT_EQ(nao_space_for("NAONet-WS")->name(), "nao");
  EXPECT_EQ(nao_space_for(NaoCellSpace::naonet_a())->name(), "nao-11");
  EXPECT_EQ(nao_space_for(NaoCellSpace::naonet_b())->name(), "nao");
  expect_error([] { nao_space_for("0 1 0 2"); }, "expected 40 integers");
  expect_error(
      [&] {
        auto x = with(3, 7);
        std::string text;
        for (int v : x) text += std::to_string(v) + " ";
        nao_space_for(text);
      },
      "mixes op ids");
  expect_error(
      [&] {
        auto x = with(3, 99);
        std::string text;
        for (int v : x) text += std::to_string(v) + " ";
        nao_space_for(text);
      },
      "out of range");
}

TEST(NaoCellSpace, ValidateNamesStructuralProblems) {
  NaoCellSpace five(OpSet::Five);
  const Arch b = five.parse("NAONet-B");
  {
    Arch x = b;
    x.cells.pop_back();
    expect_error([&] { five.validate(x); }, "expected 2 cells");
  }
  {
    Arch x = b;
    x.cells[0] = CellDag(12);
    expect_error([&] { five.validate(x); }, "expected 13 graph nodes");
  }
  {
    Arch x = b;
    x.cells[1].ops[2] = 8;  // labels 3..7 only
    expect_error([&] { five.validate(x); }, "op labels are 3..7");
  }
  {
    Arch x = b;
    x.cells[0].ops[0] = 2;
    expect_error([&] { five.validate(x); }, "graph node 0 must be input0");
  }
  {
    Arch x = b;  // n1's x branch (graph node 4) reads s0 and one branch of n0
    x.cells[0].set_edge(2, 4);
    expect_error([&] { five.validate(x); }, "branch graph node 4 (node 1, branch 0) reads");
  }
  {
    Arch x = b;  // n1 is unused: the output must read it
    x.cells[0].set_edge(4, 12, false);
    x.cells[0].set_edge(5, 12, false);
    expect_error([&] { five.validate(x); }, "expected exactly the unused states [3, 5, 6]");
  }
  {
    Arch x = b;
    x.cells[0].set_edge(5, 12, false);
    expect_error([&] { five.validate(x); }, "without its sibling");
  }
  {
    Arch x = b;  // s1 is used, so the output must not read it
    x.cells[0].set_edge(1, 12);
    expect_error([&] { five.validate(x); }, "the output reads states [1, 3, 5, 6]");
  }
  {
    Arch x = b;
    x.cells[0].set_edge(3, 2);
    expect_error([&] { five.validate(x); }, "goes backwards");
  }
  EXPECT_THROW(five.format(Arch{}), Error);
  EXPECT_THROW(five.hash(Arch{}), Error);
}

}  // namespace
}  // namespace nas
