#include "libnas/spaces/channel.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

const ChannelSpace kResNet(ChannelSpace::Base::ResNet);
const ChannelSpace kMobileNet(ChannelSpace::Base::MobileNet);

TEST(ChannelSpace, RegistryAndVocab) {
  for (const char* name : {"channel-resnet", "channel-mobilenet"}) {
    auto space = make_space(name);
    EXPECT_EQ(space->name(), name);
    EXPECT_FALSE(space->description().empty());
    EXPECT_EQ(space->max_nodes(), 9);
    EXPECT_EQ(space->vocab().names,
              (std::vector<std::string>{"output", "input", "x0.25", "x0.50", "x0.75", "x1.00"}));
    EXPECT_EQ(space->vocab().output_id, 0);
    EXPECT_EQ(space->vocab().input_ids, (std::vector<int>{1}));
    EXPECT_EQ(space->size(), std::optional<uint64_t>(16384));
  }
}

TEST(ChannelSpace, AllowedWidthsFollowTheBaseModels) {
  EXPECT_EQ(kResNet.allowed_widths(0), (std::vector<int>{64, 128, 192, 256}));
  EXPECT_EQ(kResNet.allowed_widths(2), (std::vector<int>{64, 128, 192, 256}));
  EXPECT_EQ(kResNet.allowed_widths(3), (std::vector<int>{128, 256, 384, 512}));
  EXPECT_EQ(kResNet.allowed_widths(6), (std::vector<int>{128, 256, 384, 512}));
  EXPECT_EQ(kMobileNet.allowed_widths(0), (std::vector<int>{32, 64, 96, 128}));
  EXPECT_EQ(kMobileNet.allowed_widths(1), (std::vector<int>{192, 384, 576, 768}));
  EXPECT_EQ(kMobileNet.allowed_widths(3), (std::vector<int>{192, 384, 576, 768}));
  EXPECT_EQ(kMobileNet.allowed_widths(4), (std::vector<int>{64, 128, 192, 256}));
  EXPECT_EQ(kMobileNet.allowed_widths(5), (std::vector<int>{384, 768, 1152, 1536}));
  EXPECT_EQ(kMobileNet.allowed_widths(6), (std::vector<int>{256, 512, 768, 1024}));
  EXPECT_THROW(kResNet.allowed_widths(7), Error);
}

TEST(ChannelSpace, ParseFormatAllForms) {
  Arch a = kResNet.parse("4344424");
  EXPECT_EQ(kResNet.format(a), "4344424");
  EXPECT_EQ(kResNet.digits(a), (std::vector<int>{4, 3, 4, 4, 4, 2, 4}));
  EXPECT_EQ(kResNet.widths(a), (std::vector<int>{256, 192, 256, 512, 512, 256, 512}));
  EXPECT_EQ(kResNet.parse("256, 192, 256, 512, 512, 256, 512"), a);
  EXPECT_EQ(kResNet.parse("[256, 192, 256, 512, 512, 256, 512]"), a);
  EXPECT_EQ(kResNet.parse(" [256,192,256,512,512,256,512]\n"), a);
  EXPECT_EQ(kResNet.parse("256 192 256 512 512 256 512"), a);
  EXPECT_EQ(kResNet.from_widths(kResNet.widths(a)), a);
  EXPECT_EQ(kResNet.from_digits(kResNet.digits(a)), a);
  const CellDag& c = a.cells[0];
  EXPECT_EQ(c.ops, (std::vector<int>{1, 5, 4, 5, 5, 5, 3, 5, 0}));
  EXPECT_EQ(c.num_edges(), 8);
  for (int i = 0; i + 1 < 9; ++i) EXPECT_TRUE(c.edge(i, i + 1));

  // The same key means other widths on the MobileNet base (GENIUS base widths x digit).
  Arch m = kMobileNet.parse("4344424");
  EXPECT_EQ(kMobileNet.widths(m), (std::vector<int>{128, 576, 768, 768, 256, 768, 1024}));
  EXPECT_EQ(kMobileNet.parse("[128, 576, 768, 768, 256, 768, 1024]"), m);
  EXPECT_EQ(kMobileNet.parse("1111111"), kMobileNet.parse("32, 192, 192, 192, 64, 384, 256"));
}

TEST(ChannelSpace, EnumerateCoversEverythingOnceInOrder) {
  for (const ChannelSpace* s : {&kResNet, &kMobileNet}) {
    int64_t count = 0;
    std::string prev;
    std::set<std::string> hashes;
    bool all_ok = true;
    s->enumerate([&](const Arch& a) {
      s->validate(a);
      const std::string key = s->format(a);
      if (count == 0) {
        EXPECT_EQ(key, "1111111");
      }
      if (!(prev < key)) all_ok = false;
      prev = key;
      if (s->parse(key) != a || s->from_widths(s->widths(a)) != a) all_ok = false;
      hashes.insert(s->hash(a));
      ++count;
    });
    EXPECT_TRUE(all_ok) << s->name();
    EXPECT_EQ(prev, "4444444");
    EXPECT_EQ(static_cast<uint64_t>(count), *s->size());
    EXPECT_EQ(hashes.size(), 16384u) << s->name();
  }
}

TEST(ChannelSpace, MutateChangesExactlyOnePosition) {
  Rng rng(13);
  for (const ChannelSpace* s : {&kResNet, &kMobileNet})
    for (int t = 0; t < 2000; ++t) {
      Arch a = s->sample(rng);
      Arch m = s->mutate(a, rng);
      ASSERT_TRUE(s->is_valid(m));
      ASSERT_NE(m, a);
      ASSERT_EQ(count_differences(s->digits(a), s->digits(m)), 1);
    }
}

TEST(ChannelSpace, NeighborsAreTheTwentyOneSinglePositionChanges) {
  Rng rng(17);
  for (int t = 0; t < 50; ++t) {
    Arch a = kResNet.sample(rng);
    auto nb = kResNet.neighbors(a);
    ASSERT_EQ(nb.size(), 21u);
    std::set<std::string> distinct;
    for (const auto& n : nb) {
      ASSERT_TRUE(kResNet.is_valid(n));
      ASSERT_EQ(count_differences(kResNet.digits(a), kResNet.digits(n)), 1);
      distinct.insert(kResNet.format(n));
    }
    EXPECT_EQ(distinct.size(), 21u);
    EXPECT_EQ(kResNet.neighbors(a), nb);
  }
  auto nb = kResNet.neighbors(kResNet.parse("1111111"));
  EXPECT_EQ(kResNet.format(nb.front()), "2111111");
  EXPECT_EQ(kResNet.format(nb.back()), "1111114");
}

TEST(ChannelSpace, SequenceViewRoundTrip) {
  ASSERT_TRUE(kResNet.has_sequence_view());
  SequenceSpec spec = kResNet.sequence_spec();
  EXPECT_EQ(spec.length, 7);
  EXPECT_EQ(spec.vocab_size, 4);
  for (int p = 0; p < 7; ++p)
    for (int t = 0; t < 4; ++t) EXPECT_TRUE(spec.is_legal(p, t));
  EXPECT_EQ(kResNet.to_tokens(kResNet.parse("1234123")), (std::vector<int>{0, 1, 2, 3, 0, 1, 2}));
  Rng rng(19);
  for (int t = 0; t < 500; ++t) {
    Arch a = kMobileNet.sample(rng);
    EXPECT_EQ(kMobileNet.from_tokens(kMobileNet.to_tokens(a)), a);
  }
  EXPECT_THROW(kResNet.from_tokens({0, 1, 2, 3, 0, 1}), Error);
  EXPECT_THROW(kResNet.from_tokens({0, 1, 2, 3, 0, 1, 4}), Error);
}

TEST(ChannelSpace, BadInputsNameTheProblem) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"434442", "expected 7 digits"},
      {"43444244", "expected 7 digits"},
      {"4344425", "digit 5 at position 6"},
      {"0344424", "digit 0 at position 0"},
      {"64", "expected 7 digits"},
      {"64, 128, 192", "expected 7 channel numbers, found 3"},
      {"[]", "expected 7 channel numbers, found 0"},
      {"[64, 64, 64, 128, 128, 128, 128, 128]", "expected 7 channel numbers, found 8"},
      {"[64, 100, 64, 128, 128, 128, 128]",
       "100 is not an allowed width at position 1 (ch1); allowed: 64, 128, 192, 256"},
      {"[64, 64, 64, 64, 128, 128, 128]",
       "64 is not an allowed width at position 3 (ch3); allowed: 128, 256, 384, 512"},
      {"[64, 64, 64, 128, 128, 128, x]", "expected an integer"},
      {"[64, 64, 64, 128, 128, 128, 128", "unbalanced brackets"},
      {"wide", "cannot read"},
  };
  for (const auto& c : cases) {
    try {
      kResNet.parse(c.text);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << "input " << c.text << " gave: " << e.what();
    }
  }
  try {
    kMobileNet.parse("[32, 192, 192, 192, 64, 384, 300]");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("channel-mobilenet channel list: 300 is not an allowed "
                                         "width at position 6 (ch6); allowed: 256, 512, 768, 1024"),
              std::string::npos)
        << e.what();
  }
  Arch bad = kResNet.parse("1111111");
  bad.cells[0].ops[2] = 6;
  EXPECT_THROW(kResNet.validate(bad), Error);
  EXPECT_THROW(kResNet.widths(bad), Error);
  Arch branch = kResNet.parse("1111111");
  branch.cells[0].set_edge(0, 8);
  EXPECT_THROW(kResNet.validate(branch), Error);
  EXPECT_THROW(kResNet.validate(Arch{}), Error);
}

TEST(ChannelSpace, EveryResNetBenchmarkKeyParses) {
  NAS_REQUIRE_DATA(path, "channel-bench-macro/Results_ResNet.json");
  const Json table = parse_json(read_file(path), path);
  ASSERT_TRUE(table.is_object());
  std::set<std::string> keys;
  int bad = 0;
  for (const auto& kv : table.items()) {
    Arch a = kResNet.parse(kv.key());
    if (kResNet.format(a) != kv.key()) ++bad;
    keys.insert(kv.key());
  }
  EXPECT_EQ(keys.size(), 16384u);
  EXPECT_EQ(bad, 0);
  // The best network reported by GENIUS, written as the channel list an LLM would answer.
  EXPECT_EQ(kResNet.format(kResNet.parse("256, 192, 256, 512, 512, 256, 512")), "4344424");
  EXPECT_TRUE(table.contains("4344424"));
}

// The benchmark's own width columns agree with the digit -> width rule on every row.
TEST(ChannelSpace, ResNetWidthColumnsMatchKeys) {
  NAS_REQUIRE_DATA(path, "channel-bench-macro/Results_ResNet.csv");
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);
  auto header = split(line, ',');
  ASSERT_GE(header.size(), 8u);
  ASSERT_EQ(header[0], "arch");
  ASSERT_EQ(header[1], "ch0");
  ASSERT_EQ(header[7], "ch6");
  int rows = 0, mismatches = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto cols = split(line, ',');
    std::vector<std::string> widths(cols.begin() + 1, cols.begin() + 8);
    if (kResNet.parse(join(widths, ", ")) != kResNet.parse(cols[0])) ++mismatches;
    ++rows;
  }
  EXPECT_EQ(rows, 16384);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace nas
