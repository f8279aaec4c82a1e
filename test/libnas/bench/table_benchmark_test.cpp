// TableBenchmark semantics (lookup, ranks with ties, best, aliases, merges) on a toy space, so
// they hold independently of the real spaces and data files.
#include "libnas/bench/tabular_benchmark.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "libnas/util/error.h"

namespace nas {
namespace {

// Arch = a chain of digit ops written as a digit string ("0312"); hash ignores the order of
// the digits, so "12" and "21" are equivalent keys (like NAS-Bench-Macro's identities).
class ToySpace : public SearchSpace {
 public:
  std::string name() const override { return "toy"; }
  std::string description() const override { return "digits"; }
  Arch parse(const std::string& text) const override {
    NAS_CHECK(!text.empty() && text.find_first_not_of("0123456789") == std::string::npos,
              "toy arch {}: expected digits", text);
    CellDag c(static_cast<int>(text.size()));
    for (size_t i = 0; i < text.size(); ++i) c.ops[i] = text[i] - '0';
    for (size_t i = 0; i + 1 < text.size(); ++i) c.set_edge(static_cast<int>(i), static_cast<int>(i) + 1);
    return Arch{{c}};
  }
  std::string format(const Arch& a) const override {
    std::string s;
    for (int op : a.cells.at(0).ops) s += static_cast<char>('0' + op);
    return s;
  }
  void validate(const Arch&) const override {}
  Arch sample(Rng&) const override { return parse("0"); }
  Arch mutate(const Arch& a, Rng&) const override { return a; }
  std::vector<Arch> neighbors(const Arch&) const override { return {}; }
  const OpVocab& vocab() const override {
    static OpVocab v;
    return v;
  }
  int max_nodes() const override { return 10; }
  std::string hash(const Arch& a) const override {
    std::string s = format(a);
    std::sort(s.begin(), s.end());
    return s;
  }
};

Metrics metrics(double val, double test = kMissing) {
  Metrics m;
  m.val_acc = val;
  m.test_acc = test;
  return m;
}

struct Fixture {
  std::shared_ptr<ToySpace> space = std::make_shared<ToySpace>();
  TableBenchmark table{"toy-bench", space, "toy.json"};
  Arch a(const std::string& s) const { return space->parse(s); }
};

TEST(TableBenchmark, QueryReturnsRecordAndNamesMissingArchInTextForm) {
  Fixture f;
  f.table.add(f.a("1"), metrics(90, 89));
  f.table.add(f.a("2"), metrics(80, 81));
  EXPECT_EQ(f.table.num_archs(), 2);
  EXPECT_DOUBLE_EQ(f.table.query(f.a("1")).val_acc, 90);
  EXPECT_DOUBLE_EQ(f.table.query(f.a("2")).test_acc, 81);
  EXPECT_TRUE(f.table.contains(f.a("2")));
  EXPECT_FALSE(f.table.contains(f.a("3")));
  try {
    f.table.query(f.a("3"));
    FAIL() << "expected nas::Error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("'3'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("toy-bench"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(TableBenchmark, RanksAreOneBasedAndTiesShareTheSmallerRank) {
  Fixture f;
  // values: 95, 90, 90, 85, 90  -> ranks 1, 2, 2, 5, 2
  f.table.add(f.a("1"), metrics(90));
  f.table.add(f.a("2"), metrics(95));
  f.table.add(f.a("3"), metrics(85));
  f.table.add(f.a("4"), metrics(90));
  f.table.add(f.a("5"), metrics(90));
  EXPECT_EQ(f.table.rank(f.a("2")), 1);
  EXPECT_EQ(f.table.rank(f.a("1")), 2);
  EXPECT_EQ(f.table.rank(f.a("4")), 2);
  EXPECT_EQ(f.table.rank(f.a("5")), 2);
  EXPECT_EQ(f.table.rank(f.a("3")), 5);
  // The cache is invalidated by new records.
  f.table.add(f.a("6"), metrics(99));
  EXPECT_EQ(f.table.rank(f.a("2")), 2);
  EXPECT_EQ(f.table.rank(f.a("3")), 6);
}

TEST(TableBenchmark, RankByAnotherFieldAndMissingFieldIsAnError) {
  Fixture f;
  f.table.add(f.a("1"), metrics(90, 70));
  f.table.add(f.a("2"), metrics(80, 75));
  EXPECT_EQ(f.table.rank(f.a("1"), "test_acc"), 2);
  EXPECT_EQ(f.table.rank(f.a("2"), "test_acc"), 1);
  try {
    f.table.rank(f.a("1"), "latency_gpu_ms");
    FAIL() << "expected nas::Error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("latency_gpu_ms"), std::string::npos) << msg;
    EXPECT_NE(msg.find("val_acc, test_acc"), std::string::npos) << msg;  // lists what is there
  }
}

TEST(TableBenchmark, BestPicksTheHighestValueAndSkipsMissingOnes) {
  Fixture f;
  f.table.add(f.a("1"), metrics(90, 70));
  f.table.add(f.a("2"), metrics(95, kMissing));
  f.table.add(f.a("3"), metrics(85, 80));
  auto [arch, m] = f.table.best();
  EXPECT_EQ(f.space->format(arch), "2");
  EXPECT_DOUBLE_EQ(m.val_acc, 95);
  auto [tarch, tm] = f.table.best("test_acc");
  EXPECT_EQ(f.space->format(tarch), "3");
  EXPECT_DOUBLE_EQ(tm.test_acc, 80);
  EXPECT_THROW(f.table.best("flops"), Error);
}

TEST(TableBenchmark, EquivalentKeysAreAliasesOfTheFirstRecordButCountInRanks) {
  Fixture f;
  f.table.add(f.a("12"), metrics(90));
  f.table.add(f.a("21"), metrics(90));  // same network, second key
  f.table.add(f.a("3"), metrics(80));
  EXPECT_EQ(f.table.num_archs(), 3);
  EXPECT_EQ(f.table.num_distinct(), 2);
  EXPECT_TRUE(f.table.contains(f.a("21")));
  EXPECT_EQ(f.table.rank(f.a("21")), 1);
  EXPECT_EQ(f.table.rank(f.a("3")), 3);  // both keys of the tie are ahead of it
  int seen = 0;
  f.table.for_each([&](const Arch&, const Metrics&) { ++seen; });
  EXPECT_EQ(seen, 3);
}

TEST(TableBenchmark, MergeAddsFieldsOnlyToExistingRecords) {
  Fixture f;
  f.table.add(f.a("1"), metrics(90));
  EXPECT_TRUE(f.table.merge_extra(f.a("1"), {{"latency_cpu_ms", 3.5}}));
  EXPECT_FALSE(f.table.merge_extra(f.a("9"), {{"latency_cpu_ms", 1.0}}));
  Metrics more;
  more.params = 1234;
  EXPECT_TRUE(f.table.merge(f.a("1"), more));
  Metrics m = f.table.query(f.a("1"));
  EXPECT_DOUBLE_EQ(m.val_acc, 90);  // untouched: NaN fields do not overwrite
  EXPECT_DOUBLE_EQ(m.params, 1234);
  EXPECT_DOUBLE_EQ(m.get("latency_cpu_ms"), 3.5);
  EXPECT_EQ(f.table.num_archs(), 1);
  auto fields = f.table.fields();
  EXPECT_EQ(fields, (std::vector<std::string>{"val_acc", "params", "latency_cpu_ms"}));
}

TEST(Metrics, GetReadsStandardFieldsAndExtrasAndMissingIsNaN) {
  Metrics m;
  m.val_acc = 1;
  m.test_acc = 2;
  m.params = 3;
  m.flops = 4;
  m.train_seconds = 5;
  m.extra["zc_synflow"] = 6;
  EXPECT_EQ(m.get("val_acc"), 1);
  EXPECT_EQ(m.get("test_acc"), 2);
  EXPECT_EQ(m.get("params"), 3);
  EXPECT_EQ(m.get("flops"), 4);
  EXPECT_EQ(m.get("train_seconds"), 5);
  EXPECT_EQ(m.get("zc_synflow"), 6);
  EXPECT_FALSE(present(m.get("nope")));
  EXPECT_FALSE(present(Metrics{}.val_acc));
}

TEST(TableBenchmark, ConcurrentRanksAgree) {
  Fixture f;
  for (int i = 0; i < 200; ++i) f.table.add(f.a(std::to_string(1000 + i)), metrics(i % 37));
  std::vector<int64_t> r1(200), r2(200);
  auto work = [&](std::vector<int64_t>& out) {
    for (int i = 0; i < 200; ++i) out[i] = f.table.rank(f.a(std::to_string(1000 + i)));
  };
  std::thread t1(work, std::ref(r1)), t2(work, std::ref(r2));
  t1.join();
  t2.join();
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(r1[36], 1);  // value 36 is the maximum
}

}  // namespace
}  // namespace nas
