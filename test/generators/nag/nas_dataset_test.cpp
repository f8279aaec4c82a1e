#include "generators/nag/nas_dataset.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"
#include "test_util.h"

namespace nas::nag {
namespace {

TEST(ConditionScale, TercilesAsTheReferenceSplitsThem) {
  // 9 values: split points at sorted positions 3 and 6; ties go to the lower class.
  ConditionScale s = ConditionScale::fit("acc", {9, 1, 8, 2, 7, 3, 6, 4, 5}, 3);
  ASSERT_EQ(s.bounds, (std::vector<double>{4, 7}));
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 9);
  EXPECT_EQ(s.label(1), 0);
  EXPECT_EQ(s.label(4), 0);
  EXPECT_EQ(s.label(4.5), 1);
  EXPECT_EQ(s.label(7), 1);
  EXPECT_EQ(s.label(7.1), 2);
  EXPECT_EQ(s.label(100), 2);
  EXPECT_EQ(s.range(0), (std::pair<double, double>{1, 4}));
  EXPECT_EQ(s.range(2), (std::pair<double, double>{7, 9}));
  ConditionScale back = ConditionScale::from_json(s.to_json());
  EXPECT_EQ(back.bounds, s.bounds);
  EXPECT_EQ(back.name, "acc");
  EXPECT_THROW(ConditionScale::fit("acc", {1, 2}, 3), Error);
  EXPECT_THROW(ConditionScale::fit("acc", {1, 2, std::nan("")}, 2), Error);
}

// Tied values can leave a class empty: between two equal bounds, or at the top when the last
// bound is the maximum.
TEST(ConditionScale, NamesEveryEmptyClass) {
  EXPECT_TRUE(ConditionScale::fit("acc", {9, 1, 8, 2, 7, 3, 6, 4, 5}, 3).empty_classes().empty());
  // Sorted 1 2 3 3 3 3: bounds at positions 2 and 4, both 3, the maximum.
  ConditionScale top = ConditionScale::fit("acc", {3, 1, 3, 2, 3, 3}, 3);
  ASSERT_EQ(top.bounds, (std::vector<double>{3, 3}));
  EXPECT_EQ(top.empty_classes(), (std::vector<int64_t>{1, 2}));
  // Sorted 1 2 2 2 2 5: bounds 2 and 2; the top class holds 5.
  EXPECT_EQ(ConditionScale::fit("acc", {2, 5, 2, 1, 2, 2}, 3).empty_classes(),
            (std::vector<int64_t>{1}));
  // Only the top class empty: sorted 1 2 3 4 4 4, bounds 3 and 4 = max.
  EXPECT_EQ(ConditionScale::fit("params", {4, 1, 4, 2, 3, 4}, 3).empty_classes(),
            (std::vector<int64_t>{2}));
}

TEST(NasDataset, WritesAndReadsBackAndNamesTheLineOfABadRecord) {
  test::TempDir dir;
  auto space = make_space("nag");
  NasDataset d;
  d.space = "nag";
  d.source = "test";
  NetworkConfig net;
  net.channels = 16;
  net.in_channels = 1;
  d.network = net;
  d.image_dataset = "fashion-mnist";
  Rng rng(1);
  for (int i = 0; i < 5; ++i) d.records.push_back({space->sample(rng), 80.0 + i, 1e5 * (i + 1), kMissing});
  const std::string path = dir.file("d.jsonl");
  write_nas_dataset(d, path);
  NasDataset back = read_nas_dataset(path);
  EXPECT_EQ(back.space, "nag");
  ASSERT_TRUE(back.network.has_value());
  EXPECT_EQ(back.network->channels, 16);
  EXPECT_EQ(back.network->in_channels, 1);
  EXPECT_EQ(back.image_dataset, "fashion-mnist");
  ASSERT_EQ(back.records.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(back.records[i].arch, d.records[i].arch);
    EXPECT_EQ(back.records[i].acc, d.records[i].acc);
    EXPECT_EQ(back.records[i].params, d.records[i].params);
    EXPECT_TRUE(std::isnan(back.records[i].flops));
  }
  std::string text = test::read_text(path);
  test::write_text(path, text + "{\"arch\": \"not an arch\", \"acc\": 1, \"params\": 2}\n");
  try {
    read_nas_dataset(path);
    FAIL() << "a bad arch was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 7"), std::string::npos) << e.what();
  }
  test::write_text(path, "{\"kind\": \"something else\"}\n");
  EXPECT_THROW(read_nas_dataset(path), Error);
  EXPECT_THROW(read_nas_dataset(dir.file("missing.jsonl")), Error);
}

TEST(NasDataset, DrawsDistinctRecordsFromABenchmark) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_all.csv");
  auto bench = open_benchmark("nb201-cifar10");
  NasDataset d = nas_dataset_from_benchmark(*bench, 300, 7);
  ASSERT_EQ(d.records.size(), 300u);
  EXPECT_EQ(d.benchmark, "nb201-cifar10");
  std::set<std::string> hashes;
  for (const auto& r : d.records) {
    hashes.insert(bench->space().hash(r.arch));
    EXPECT_EQ(r.acc, bench->query(r.arch).val_acc);
    EXPECT_EQ(r.params, bench->query(r.arch).params);
  }
  EXPECT_EQ(hashes.size(), 300u);
  EXPECT_THROW(nas_dataset_from_benchmark(*bench, 20000, 7), Error);
}

}  // namespace
}  // namespace nas::nag
