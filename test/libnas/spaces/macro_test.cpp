#include "libnas/spaces/macro.h"

#include <gtest/gtest.h>

#include <map>
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

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

TEST(MacroSpace, RegistryVocabAndLayers) {
  auto space = make_space("macro");
  EXPECT_EQ(space->name(), "macro");
  EXPECT_FALSE(space->description().empty());
  EXPECT_EQ(space->max_nodes(), 10);
  EXPECT_EQ(space->vocab().names,
            (std::vector<std::string>{"output", "input", "identity", "mb3_k3", "mb6_k5"}));
  EXPECT_EQ(space->vocab().output_id, 0);
  EXPECT_EQ(space->vocab().input_ids, (std::vector<int>{1}));
  EXPECT_EQ(space->size(), std::optional<uint64_t>(6561));

  // Stages [2,3,3]; the first layer of each stage has stride 2 and doubles the width.
  const auto& layers = MacroSpace::layers();
  ASSERT_EQ(layers.size(), 8u);
  const int in[8] = {32, 64, 64, 128, 128, 128, 256, 256};
  const int out[8] = {64, 64, 128, 128, 128, 256, 256, 256};
  const int stride[8] = {2, 1, 2, 1, 1, 2, 1, 1};
  const int stage[8] = {0, 0, 1, 1, 1, 2, 2, 2};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(layers[i].in_channels, in[i]) << i;
    EXPECT_EQ(layers[i].out_channels, out[i]) << i;
    EXPECT_EQ(layers[i].stride, stride[i]) << i;
    EXPECT_EQ(layers[i].stage, stage[i]) << i;
    EXPECT_EQ(layers[i].stage_first, stride[i] == 2) << i;
  }
}

TEST(MacroSpace, ParseFormatAndChain) {
  MacroSpace s;
  Arch a = s.parse("01201201");
  EXPECT_EQ(s.layer_ops(a), (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}));
  EXPECT_EQ(s.format(a), "01201201");
  EXPECT_EQ(s.parse("[0, 1, 2, 0, 1, 2, 0, 1]"), a);
  EXPECT_EQ(s.parse(" [0,1,2,0,1,2,0,1] \n"), a);
  EXPECT_EQ(s.parse("0, 1, 2, 0, 1, 2, 0, 1"), a);
  const CellDag& c = a.cells[0];
  EXPECT_EQ(c.ops, (std::vector<int>{1, 2, 3, 4, 2, 3, 4, 2, 3, 0}));
  EXPECT_EQ(c.num_edges(), 9);
  for (int i = 0; i + 1 < 10; ++i) EXPECT_TRUE(c.edge(i, i + 1));
}

TEST(MacroSpace, CanonicalMovesTrueIdentitiesToTheStageEnd) {
  MacroSpace s;
  auto canon = [&](const std::string& key) { return s.format(s.canonical(s.parse(key))); };
  EXPECT_EQ(canon("00000001"), "00000010");
  EXPECT_EQ(canon("22222222"), "22222222");
  EXPECT_EQ(canon("10201012"), "10210012");  // stages 10, 201 -> 210, 012
  EXPECT_EQ(canon("00000000"), "00000000");
  // The first layer of a stage is a strided projection, so its Identity stays in place.
  EXPECT_EQ(canon("01010102"), "01010120");
  EXPECT_TRUE(s.is_canonical(s.parse("12120120")));
  EXPECT_FALSE(s.is_canonical(s.parse("10201012")));
  EXPECT_EQ(s.hash(s.parse("00000001")), s.hash(s.parse("00000010")));
  EXPECT_NE(s.hash(s.parse("00000001")), s.hash(s.parse("00000100")));
}

TEST(MacroSpace, EnumerateCoversEverythingOnceInOrder) {
  MacroSpace s;
  int64_t count = 0, canonical_count = 0;
  std::string prev;
  std::set<std::string> hashes, canonical_hashes;
  bool all_ok = true;
  s.enumerate([&](const Arch& a) {
    s.validate(a);
    const std::string key = s.format(a);
    if (count == 0) {
      EXPECT_EQ(key, "00000000");
    }
    if (!(prev < key)) all_ok = false;
    prev = key;
    if (s.parse(key) != a) all_ok = false;
    const Arch c = s.canonical(a);
    if (s.canonical(c) != c || s.hash(a) != s.hash(c)) all_ok = false;
    if (s.is_canonical(a)) {
      ++canonical_count;
      canonical_hashes.insert(arch_hash(a));
    }
    hashes.insert(s.hash(a));
    ++count;
  });
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(prev, "22222222");
  EXPECT_EQ(static_cast<uint64_t>(count), *s.size());
  // 6561 keys, 3969 distinct networks; the canonical keys hash apart.
  EXPECT_EQ(hashes.size(), 3969u);
  EXPECT_EQ(canonical_count, 3969);
  EXPECT_EQ(canonical_hashes.size(), 3969u);
}

TEST(MacroSpace, MutateChangesExactlyOneLayer) {
  MacroSpace s;
  Rng rng(5);
  for (int t = 0; t < 3000; ++t) {
    Arch a = s.sample(rng);
    Arch m = s.mutate(a, rng);
    ASSERT_TRUE(s.is_valid(m));
    ASSERT_NE(m, a);
    ASSERT_EQ(count_differences(s.layer_ops(a), s.layer_ops(m)), 1);
    // One change never lands on an equivalent key.
    ASSERT_NE(s.hash(m), s.hash(a));
  }
}

TEST(MacroSpace, NeighborsAreTheSixteenSingleLayerChanges) {
  MacroSpace s;
  Rng rng(9);
  for (int t = 0; t < 50; ++t) {
    Arch a = s.sample(rng);
    auto nb = s.neighbors(a);
    ASSERT_EQ(nb.size(), 16u);
    std::set<std::string> distinct;
    for (const auto& n : nb) {
      ASSERT_TRUE(s.is_valid(n));
      ASSERT_EQ(count_differences(s.layer_ops(a), s.layer_ops(n)), 1);
      distinct.insert(s.format(n));
    }
    EXPECT_EQ(distinct.size(), 16u);
    EXPECT_EQ(s.neighbors(a), nb);
  }
  auto nb = s.neighbors(s.parse("00000000"));
  EXPECT_EQ(s.format(nb.front()), "10000000");
  EXPECT_EQ(s.format(nb.back()), "00000002");
}

TEST(MacroSpace, SequenceViewRoundTrip) {
  MacroSpace s;
  ASSERT_TRUE(s.has_sequence_view());
  SequenceSpec spec = s.sequence_spec();
  EXPECT_EQ(spec.length, 8);
  EXPECT_EQ(spec.vocab_size, 3);
  for (int p = 0; p < 8; ++p)
    for (int t = 0; t < 3; ++t) EXPECT_TRUE(spec.is_legal(p, t));
  Rng rng(2);
  for (int t = 0; t < 500; ++t) {
    Arch a = s.sample(rng);
    auto tokens = s.to_tokens(a);
    EXPECT_EQ(tokens, s.layer_ops(a));
    EXPECT_EQ(s.from_tokens(tokens), a);
  }
  EXPECT_THROW(s.from_tokens({0, 1, 2, 0, 1, 2, 0}), Error);
  EXPECT_THROW(s.from_tokens({0, 1, 2, 0, 1, 2, 0, 3}), Error);
}

TEST(MacroSpace, BadInputsNameTheProblem) {
  MacroSpace s;
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"0120120", "expected 8 digits"},
      {"012012012", "expected 8 digits"},
      {"01201231", "digit 3 at position 6"},
      {"91201201", "digit 9 at position 0"},
      {"[0, 1, 2]", "expected 8 op ids"},
      {"[]", "expected 8 op ids (one per layer), found 0"},
      {"[0, 1, 2, 0, 1, 2, 0, 1, 2]", "expected 8 op ids"},
      {"[0, 1, 2, 0, 1, 2, 0, 5]", "element 7 is 5"},
      {"[0, 1, 2, 0, -1, 2, 0, 1]", "element 4 is -1"},
      {"[0, 1, 2, 0, a, 2, 0, 1]", "expected an integer"},
      {"[0, 1, 2, 0, 1, 2, 0, 1", "unbalanced brackets"},
      {"mb3_k3", "cannot read"},
  };
  for (const auto& c : cases) {
    try {
      s.parse(c.text);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << "input " << c.text << " gave: " << e.what();
    }
  }
  Arch bad = s.parse("01201201");
  bad.cells[0].ops[4] = 5;
  EXPECT_THROW(s.validate(bad), Error);
  Arch skip = s.parse("01201201");
  skip.cells[0].set_edge(0, 2);
  EXPECT_THROW(s.validate(skip), Error);
  EXPECT_THROW(s.validate(Arch{{CellDag(9)}}), Error);
  EXPECT_THROW(s.canonical(bad), Error);
}

// The benchmark's own canonical_arch column must agree with canonical() on every key.
TEST(MacroSpace, CanonicalMatchesBenchmarkTable) {
  NAS_REQUIRE_DATA(path, "nas-bench-macro/nas-bench-macro_cifar10.csv");
  MacroSpace s;
  CsvTable table(read_file(path), path, "");
  const int arch = table.column("arch"), canonical = table.column("canonical_arch"),
            is_canonical = table.column("is_canonical");
  int rows = 0, mismatches = 0;
  std::set<std::string> hashes;
  for (size_t r = 0; r < table.num_rows(); ++r) {
    const std::string key(table.cell(r, arch)), expected(table.cell(r, canonical));
    Arch a = s.parse(key);
    if (s.format(s.canonical(a)) != expected) {
      if (mismatches < 5) ADD_FAILURE() << key << ": expected " << expected;
      ++mismatches;
    }
    if (s.is_canonical(a) != (table.cell(r, is_canonical) == "1")) ++mismatches;
    hashes.insert(s.hash(a));
    ++rows;
  }
  EXPECT_EQ(rows, 6561);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(hashes.size(), 3969u);
}

}  // namespace
}  // namespace nas
