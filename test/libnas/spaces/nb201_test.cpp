#include "libnas/spaces/nb201.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "libnas/bench/csv.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

const std::string kExample =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
    "skip_connect~2|";

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

TEST(Nb201Space, RegistryAndVocab) {
  auto space = make_space("nb201");
  EXPECT_EQ(space->name(), "nb201");
  EXPECT_FALSE(space->description().empty());
  EXPECT_EQ(space->max_nodes(), 8);
  EXPECT_EQ(space->num_cells(), 1);
  const OpVocab& v = space->vocab();
  EXPECT_EQ(v.names, (std::vector<std::string>{"output", "input", "nor_conv_1x1", "nor_conv_3x3",
                                               "avg_pool_3x3", "skip_connect", "none"}));
  EXPECT_EQ(v.output_id, 0);
  EXPECT_EQ(v.input_ids, (std::vector<int>{1}));
  EXPECT_EQ(space->size(), std::optional<uint64_t>(15625));
}

TEST(Nb201Space, ParsesBothFormsOfTheExample) {
  Nb201Space s;
  Arch a = s.parse(kExample);
  EXPECT_EQ(s.edge_ops(a), (std::vector<int>{3, 3, 4, 1, 3, 1}));
  EXPECT_EQ(s.digits(a), "334131");
  EXPECT_EQ(s.format(a), kExample);
  EXPECT_EQ(s.parse("334131"), a);
  EXPECT_EQ(s.parse("  334131\n"), a);
  EXPECT_EQ(s.parse("[3, 3, 4, 1, 3, 1]"), a);

  Arch b = s.parse("213401");
  EXPECT_EQ(s.format(b),
            "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|"
            "skip_connect~2|");
  EXPECT_EQ(s.parse(s.format(b)), b);
}

TEST(Nb201Space, LineGraphMatchesAgNetEncoding) {
  Nb201Space s;
  Arch a = s.parse("213401");
  ASSERT_EQ(a.cells.size(), 1u);
  const CellDag& c = a.cells[0];
  // input, then the 6 edges as AG-Net labels (conv1x1 2, skip 5, conv3x3 3, avgpool 4, none 6),
  // then the output.
  EXPECT_EQ(c.ops, (std::vector<int>{1, 2, 5, 3, 4, 6, 5, 0}));
  // input->{1,2,4}; 1->{3,5}; 2->6; 3->6; {4,5,6}->7.
  EXPECT_EQ(adjacency_to_string(c),
            "01101000,00010100,00000010,00000010,00000001,00000001,00000001,00000000");
  for (int op = 0; op < 5; ++op)
    EXPECT_EQ(Nb201Space::label_to_op(Nb201Space::op_to_label(op)), op);
  EXPECT_THROW(Nb201Space::op_to_label(5), Error);
  EXPECT_THROW(Nb201Space::label_to_op(1), Error);
  EXPECT_EQ(Nb201Space::edge(2), std::make_pair(1, 2));
  EXPECT_EQ(Nb201Space::edge(5), std::make_pair(2, 3));
}

TEST(Nb201Space, EnumerateCoversEverythingOnceInOrder) {
  Nb201Space s;
  int64_t count = 0;
  std::string prev;
  std::set<std::string> hashes, texts;
  bool all_ok = true;
  s.enumerate([&](const Arch& a) {
    s.validate(a);
    const std::string d = s.digits(a);
    if (count == 0) {
      EXPECT_EQ(d, "000000");
    }
    if (!(prev < d)) all_ok = false;  // strictly increasing = lexicographic and no repeats
    prev = d;
    const std::string text = s.format(a);
    if (s.parse(text) != a || s.parse(d) != a) all_ok = false;
    texts.insert(text);
    hashes.insert(s.hash(a));
    ++count;
  });
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(prev, "444444");
  EXPECT_EQ(static_cast<uint64_t>(count), *s.size());
  EXPECT_EQ(texts.size(), 15625u);
  // Benchmarks key every one of the 15625 strings, so the hash must tell them all apart.
  EXPECT_EQ(hashes.size(), 15625u);
}

TEST(Nb201Space, MutateChangesExactlyOneEdge) {
  Nb201Space s;
  Rng rng(7);
  std::set<std::string> seen;
  for (int t = 0; t < 3000; ++t) {
    Arch a = s.sample(rng);
    Arch m = s.mutate(a, rng);
    ASSERT_TRUE(s.is_valid(m));
    ASSERT_NE(m, a);
    ASSERT_EQ(count_differences(s.edge_ops(a), s.edge_ops(m)), 1);
    seen.insert(s.digits(m));
  }
  // Samples and mutations spread over the space (3000 draws from 15625 cells).
  EXPECT_GT(seen.size(), 2500u);
}

TEST(Nb201Space, NeighborsAreTheTwentyFourSingleEdgeChanges) {
  Nb201Space s;
  Rng rng(3);
  for (int t = 0; t < 50; ++t) {
    Arch a = s.sample(rng);
    auto nb = s.neighbors(a);
    ASSERT_EQ(nb.size(), 24u);
    std::set<std::string> distinct;
    for (const auto& n : nb) {
      ASSERT_TRUE(s.is_valid(n));
      ASSERT_EQ(count_differences(s.edge_ops(a), s.edge_ops(n)), 1);
      distinct.insert(s.digits(n));
    }
    EXPECT_EQ(distinct.size(), 24u);
    EXPECT_EQ(s.neighbors(a), nb);  // deterministic
  }
  // Order: edge by edge, ops by id.
  auto nb = s.neighbors(s.parse("000000"));
  EXPECT_EQ(s.digits(nb.front()), "100000");
  EXPECT_EQ(s.digits(nb[3]), "400000");
  EXPECT_EQ(s.digits(nb.back()), "000004");
}

TEST(Nb201Space, SequenceViewRoundTrip) {
  Nb201Space s;
  ASSERT_TRUE(s.has_sequence_view());
  SequenceSpec spec = s.sequence_spec();
  EXPECT_EQ(spec.length, 6);
  EXPECT_EQ(spec.vocab_size, 5);
  EXPECT_EQ(spec.token_names, Nb201Space::op_names());
  for (int p = 0; p < 6; ++p)
    for (int t = 0; t < 5; ++t) EXPECT_TRUE(spec.is_legal(p, t));
  Rng rng(11);
  for (int t = 0; t < 500; ++t) {
    Arch a = s.sample(rng);
    auto tokens = s.to_tokens(a);
    EXPECT_EQ(tokens, s.edge_ops(a));
    EXPECT_EQ(s.from_tokens(tokens), a);
  }
  EXPECT_THROW(s.from_tokens({1, 2, 3, 4, 0}), Error);
  EXPECT_THROW(s.from_tokens({1, 2, 3, 4, 0, 5}), Error);
  EXPECT_THROW(s.from_tokens({1, 2, -1, 4, 0, 1}), Error);
}

TEST(Nb201Space, BadInputsNameTheProblem) {
  Nb201Space s;
  struct Case {
    std::string text;
    std::string expected;  // a piece of the message
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"21340", "expected 6 digits"},
      {"2134011", "expected 6 digits"},
      {"213501", "digit 5 at position 3"},
      {"213409", "digit 9 at position 5"},
      {"hello", "expected the NB201 string"},
      {"[1, 2, 3]", "expected 6 op ids"},
      {"[]", "expected 6 op ids (one per edge), found 0"},
      {"[1, 2, 3, 4, 0, 1", "unbalanced brackets"},
      {"[1, 2, 3, 4, 0, 7]", "element 5 is 7"},
      {"[1, 2, x, 4, 0, 1]", "expected an integer"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|", "expected 3 node groups"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
       "node 2 must have 2 incoming edges"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|",
       "node 3 must have 3 incoming edges"},
      {"|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|",
       "must come from node 0 ('~0'), found '~1'"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~2|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|",
       "must come from node 1"},
      {"|conv_5x5~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|",
       "unknown op 'conv_5x5'"},
      {"|nor_conv_3x3|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|",
       "has no '~source'"},
      {"nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
       "skip_connect~2|",
       "must start and end with '|'"},
  };
  for (const auto& c : cases) {
    try {
      s.parse(c.text);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << "input " << c.text << " gave: " << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

TEST(Nb201Space, ValidateRejectsBrokenCells) {
  Nb201Space s;
  const Arch good = s.parse("213401");
  auto expect_error = [&](const Arch& a, const std::string& piece) {
    try {
      s.validate(a);
      ADD_FAILURE() << "no error, expected " << piece;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
    }
  };
  Arch two = good;
  two.cells.push_back(good.cells[0]);
  expect_error(two, "expected 1 cell");
  Arch small{{CellDag(7)}};
  expect_error(small, "expected 8 nodes");
  Arch bad_label = good;
  bad_label.cells[0].ops[3] = 1;
  expect_error(bad_label, "node 3");
  Arch bad_input = good;
  bad_input.cells[0].ops[0] = 3;
  expect_error(bad_input, "node 0 must be the input");
  Arch bad_output = good;
  bad_output.cells[0].ops[7] = 3;
  expect_error(bad_output, "node 7 must be the output");
  Arch extra_edge = good;
  extra_edge.cells[0].set_edge(1, 2);
  expect_error(extra_edge, "edge 1->2 is present");
  Arch missing_edge = good;
  missing_edge.cells[0].set_edge(2, 6, false);
  expect_error(missing_edge, "edge 2->6 is absent");
  EXPECT_THROW(s.format(bad_label), Error);
  Rng rng(1);
  EXPECT_THROW(s.mutate(bad_label, rng), Error);
  EXPECT_THROW(s.neighbors(bad_label), Error);
}

TEST(Nb201Space, AllBenchmarkStringsParseFromBothForms) {
  NAS_REQUIRE_DATA(path, "nas-bench-201/nb201_all.csv");
  Nb201Space s;
  CsvTable table(read_file(path), path, "");
  const int arch_str = table.column("arch_str"), op_ids = table.column("op_ids");
  int rows = 0, mismatches = 0;
  std::set<std::string> digits;
  for (size_t r = 0; r < table.num_rows(); ++r) {
    const std::string text(table.cell(r, arch_str)), ids(table.cell(r, op_ids));
    Arch from_string = s.parse(text);
    Arch from_digits = s.parse(ids);
    if (from_string != from_digits || s.format(from_digits) != text || s.digits(from_string) != ids)
      ++mismatches;
    digits.insert(ids);
    ++rows;
  }
  EXPECT_EQ(rows, 15625);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(digits.size(), 15625u);
}

}  // namespace
}  // namespace nas
