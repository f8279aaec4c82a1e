// Loader behaviour on small files written by the tests: format detection, the CSV reader, and
// the one-line errors for missing, truncated or malformed files, records without a field,
// tables without a column, unknown benchmark names and files of the wrong benchmark.
#include "libnas/bench/loaders.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "libnas/bench/csv.h"
#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/error.h"
#include "test_util.h"

namespace nas {
namespace {

// The message of the nas::Error fn throws ("" when it throws nothing), checked to be one line.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message spans lines: " << msg;
    return msg;
  }
  ADD_FAILURE() << "expected a nas::Error";
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

using test::ScopedEnv;

TEST(CsvTable, ReadsHeaderRowsQuotesAndCrlf) {
  CsvTable t("a,b,c\r\n1,\"x,\"\"y\"\"\",3.5\r\n\r\n2,z,-1e3\n", "t.csv", "hint");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.header(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.cell(0, 1), "x,\"y\"");
  EXPECT_DOUBLE_EQ(t.number(0, t.column("c")), 3.5);
  EXPECT_DOUBLE_EQ(t.number(1, 2), -1000);
  EXPECT_EQ(t.line(1), 4);
  EXPECT_EQ(t.find("nope"), -1);
}

TEST(CsvTable, ErrorsNameFileLineColumnAndHint) {
  std::string ragged = error_of([] { CsvTable("a,b,c\n1,2,3\n4,5", "t.csv", "get it from X"); });
  EXPECT_TRUE(has(ragged, "t.csv: line 3: expected 3")) << ragged;
  EXPECT_TRUE(has(ragged, "truncated")) << ragged;
  EXPECT_TRUE(has(ragged, "get it from X")) << ragged;

  CsvTable t("a,b\n1,oops\n", "t.csv", "get it from X");
  std::string missing = error_of([&] { t.column("c100_val_acc"); });
  EXPECT_TRUE(has(missing, "t.csv: column c100_val_acc missing; get it from X")) << missing;
  std::string bad = error_of([&] { t.number(0, 1); });
  EXPECT_TRUE(has(bad, "line 2: column b: expected a number, found 'oops'")) << bad;
  error_of([] { CsvTable("", "empty.csv", ""); });
}

TEST(BenchFormat, DetectsEveryFormatFromContent) {
  test::TempDir dir;
  struct Case {
    const char* file;
    const char* content;
    BenchFormat format;
  };
  const Case cases[] = {
      {"a.json", R"({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"val_acc_200": 1, "test_acc_200": 2, "rank": 3}})",
       BenchFormat::Nb201GeniusJson},
      {"b.json", R"({"01201201": {"test_acc": [1,2,3], "mean_acc": 2, "std": 1, "params": 1, "flops": 1}})",
       BenchFormat::MacroJson},
      {"c.json", R"({"1111111": {"acc": [1,2,3], "mean": 2, "std": 1, "params": 1, "flops": 1}})",
       BenchFormat::ChannelJson},
      {"d.json", R"J({"cifar10": {"(0, 1, 2, 3, 4, 0)": {"val_accuracy": 1}}})J", BenchFormat::Nb201ZcJson},
      {"e.json", R"({"nasbench101": {"cifar10": {}}})", BenchFormat::Nb101ZcJson},
      {"f.csv", "index,arch_str,op_ids,c10_val_acc\n", BenchFormat::Nb201AllCsv},
      {"g.csv", "index,arch_str,gold_6226_ms\n", BenchFormat::Nb201LatencyCsv},
      {"h.csv", "index,arch_str,eyeriss_latency_ms\n", BenchFormat::Nb201LatencyCsv},
      {"i.csv", "arch,canonical_arch,is_canonical,mean_acc\n", BenchFormat::MacroCsv},
      {"j.csv", "arch,ch0,ch1,mean\n", BenchFormat::ChannelCsv},
      {"k.csv", "dataset,nb201_index,arch_str,val_accuracy\n", BenchFormat::Nb201ZcCsv},
      {"l.csv", "raw_matrix_7x7_rowmajor,raw_ops,val_accuracy\n", BenchFormat::Nb101ZcCsv},
      {"m.tfrecord", "", BenchFormat::Nb101Tfrecord},
  };
  for (const auto& c : cases) {
    test::write_text(dir.file(c.file), c.content);
    EXPECT_EQ(detect_format(dir.file(c.file)), c.format) << c.file;
  }
  test::write_text(dir.file("x.csv"), "foo,bar\n1,2\n");
  std::string unknown = error_of([&] { detect_format(dir.file("x.csv")); });
  EXPECT_TRUE(has(unknown, "columns: 'foo,bar'")) << unknown;
  EXPECT_TRUE(has(unknown, "supported formats")) << unknown;
}

TEST(OpenBenchmark, UnknownNameListsTheKnownOnes) {
  std::string msg = error_of([] { open_benchmark("nb999"); });
  EXPECT_TRUE(has(msg, "unknown benchmark 'nb999'")) << msg;
  for (const auto& n : benchmark_names()) EXPECT_TRUE(has(msg, n)) << msg;
  EXPECT_TRUE(has(msg, "nas-macro")) << msg;
  EXPECT_EQ(benchmark_names().size(), 7u);
}

TEST(OpenBenchmark, MissingFileSaysSo) {
  std::string msg = error_of([] { open_benchmark("macro-cifar10", "/nonexistent/dir/m.json"); });
  EXPECT_TRUE(has(msg, "/nonexistent/dir/m.json: file not found")) << msg;
}

// Without NASGEN_DATA (and no ../shared/data in the working directory) the tools read the
// tables scripts/fetch_data.sh installed: $XDG_DATA_HOME/nasgen/data, else under ~/.local/share.
TEST(OpenBenchmark, DataDirFallsBackToTheInstalledTables) {
  std::error_code ec;
  if (std::filesystem::is_directory(std::filesystem::current_path() / ".." / "shared" / "data", ec))
    GTEST_SKIP() << "the working directory has ../shared/data, which comes first";
  test::TempDir home;
  ScopedEnv no_data("NASGEN_DATA", nullptr);
  ScopedEnv no_xdg("XDG_DATA_HOME", nullptr);
  ScopedEnv env_home("HOME", home.path());
  EXPECT_EQ(default_data_dir(), home.file(".local/share/nasgen/data"));
  std::filesystem::create_directories(home.file(".local/share/nasgen/data"));
  EXPECT_EQ(data_dir(), home.file(".local/share/nasgen/data"));
  ScopedEnv xdg("XDG_DATA_HOME", home.file("xdg"));
  EXPECT_EQ(default_data_dir(), home.file("xdg/nasgen/data"));
}

TEST(OpenBenchmark, MissingDefaultFileNamesItAndHowToGetIt) {
  test::TempDir empty;
  ScopedEnv env("NASGEN_DATA", empty.path());
  EXPECT_EQ(data_dir(), empty.path());
  std::string in16 = error_of([] { open_benchmark("nb201-imagenet16"); });
  EXPECT_TRUE(has(in16, "nas-bench-201/genius/nasbench201_imagenet.json: file not found")) << in16;
  EXPECT_TRUE(has(in16, "github.com/mingkai-zheng/GENIUS")) << in16;
  EXPECT_TRUE(has(in16, "--benchmark-file")) << in16;
  EXPECT_TRUE(has(in16, "scripts/fetch_data.sh downloads, checks and installs the tables"))
      << in16;
  std::string mob = error_of([] { open_benchmark("channel-mob"); });
  EXPECT_TRUE(has(mob, "Results_MobileNet.json: file not found")) << mob;
  EXPECT_TRUE(has(mob, "github.com/xiusu/Channel-Bench-Macro")) << mob;
  std::string nb101 = error_of([] { open_benchmark("nb101"); });
  EXPECT_TRUE(has(nb101, "nasbench_only108.tfrecord: file not found")) << nb101;
  EXPECT_TRUE(has(nb101, "storage.googleapis.com/nasbench")) << nb101;
}

TEST(OpenBenchmark, TruncatedJsonIsOneLineWithFileAndSource) {
  test::TempDir dir;
  std::string path = dir.file("macro.json");
  test::write_text(path, R"({"01201201": {"test_acc": [90.1, 90.2, 90.3], "mean_acc": 90.2, "std": 0.08, "par)");
  std::string msg = error_of([&] { open_benchmark("macro-cifar10", path); });
  EXPECT_TRUE(has(msg, path + ": malformed JSON at byte")) << msg;
  EXPECT_TRUE(has(msg, "truncated")) << msg;
}

TEST(OpenBenchmark, RecordWithoutAFieldNamesRecordFieldAndSource) {
  test::TempDir dir;
  std::string path = dir.file("macro.json");
  test::write_text(path, R"({"01201201": {"test_acc": [90.1, 90.2, 90.3], "std": 0.08, "params": 5, "flops": 6}})");
  std::string msg = error_of([&] { open_benchmark("nas-macro", path); });
  EXPECT_TRUE(has(msg, "record '01201201' has no field 'mean_acc'")) << msg;
  EXPECT_TRUE(has(msg, "get it from github.com/xiusu/NAS-Bench-Macro")) << msg;

  std::string g = dir.file("g.json");
  test::write_text(g, R"({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {"val_acc_200": 10.0, "rank": 1}})");
  std::string gm = error_of([&] { open_benchmark("nb201-cifar10", g); });
  EXPECT_TRUE(has(gm, "has no field 'test_acc_200'")) << gm;
  EXPECT_TRUE(has(gm, "benchmark/nasbench201_cifar10.json")) << gm;

  std::string ch = dir.file("c.json");
  test::write_text(ch, R"({"1111111": {"acc": [1, 2, 3], "mean": "high", "params": 1, "flops": 2}})");
  std::string cm = error_of([&] { open_benchmark("channel-resnet", ch); });
  EXPECT_TRUE(has(cm, "field 'mean' should be a number")) << cm;
}

TEST(OpenBenchmark, CsvWithoutAColumnNamesTheColumn) {
  test::TempDir dir;
  std::string path = dir.file("nb201_all.csv");
  test::write_text(path,
                   "index,arch_str,op_ids,c10_val_acc,c10_test_acc\n"
                   "0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,000000,10.0,10.0\n");
  std::string msg = error_of([&] { open_benchmark("nb201-cifar100", path); });
  EXPECT_TRUE(has(msg, path + ": column c100_val_acc missing; expected the nb201_all.csv table"))
      << msg;
  EXPECT_TRUE(has(msg, "scripts/fetch_data.sh derives it")) << msg;

  std::string cut = dir.file("cut.csv");
  test::write_text(cut,
                   "index,arch_str,op_ids,c10_val_acc,c10_test_acc\n"
                   "0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,000000,10.0,10.0\n1,|none~0|");
  std::string cm = error_of([&] { open_benchmark("nb201-cifar10", cut); });
  EXPECT_TRUE(has(cm, "line 3: expected 5 comma-separated fields")) << cm;
  EXPECT_TRUE(has(cm, "truncated")) << cm;
}

TEST(OpenBenchmark, FileOfAnotherBenchmarkIsRejected) {
  test::TempDir dir;
  std::string path = dir.file("c.json");
  test::write_text(path, R"({"1111111": {"acc": [1, 2, 3], "mean": 2, "std": 1, "params": 1, "flops": 2}})");
  std::string msg = error_of([&] { open_benchmark("macro-cifar10", path); });
  EXPECT_TRUE(has(msg, "Channel-Bench-Macro JSON file, which benchmark macro-cifar10 cannot use"))
      << msg;
  std::string empty = dir.file("e.json");
  test::write_text(empty, "{}");
  EXPECT_TRUE(has(error_of([&] { open_benchmark("macro-cifar10", empty); }), "no records"));
}

TEST(OpenBenchmark, ImageNetFallsBackToNb201AllCsvWithIn16Columns) {
  test::TempDir data;
  std::filesystem::create_directories(data.file("nas-bench-201"));
  const std::string arch = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|";
  test::write_text(data.file("nas-bench-201/nb201_all.csv"),
                   "index,arch_str,op_ids,c10_val_acc,c10_test_acc,in16_val_acc,in16_test_acc,"
                   "in16_params_M,in16_flops_M\n"
                   "0," + arch + ",300100,80.5,81.5,30.25,31.75,0.080456,1.9534\n");
  ScopedEnv env("NASGEN_DATA", data.path());
  auto b = open_benchmark("nb201-imagenet16");
  ASSERT_EQ(b->num_archs(), 1);
  Metrics m = b->query(b->space().parse("300100"));
  EXPECT_EQ(m.val_acc, 30.25);
  EXPECT_EQ(m.test_acc, 31.75);
  EXPECT_EQ(m.params, 80456);
  EXPECT_EQ(m.flops, 1953400);
  // Without the in16 columns the file is not taken for ImageNet16-120.
  test::write_text(data.file("nas-bench-201/nb201_all.csv"),
                   "index,arch_str,op_ids,c10_val_acc,c10_test_acc\n0," + arch + ",300100,80.5,81.5\n");
  std::string msg = error_of([] { open_benchmark("nb201-imagenet16"); });
  EXPECT_TRUE(has(msg, "nasbench201_imagenet.json: file not found")) << msg;
  auto c10 = open_benchmark("nb201-cifar10");
  EXPECT_EQ(c10->query(c10->space().parse(arch)).val_acc, 80.5);
}

TEST(DataDir, EnvironmentWins) {
  ScopedEnv env("NASGEN_DATA", "/some/where");
  EXPECT_EQ(data_dir(), "/some/where");
}

}  // namespace
}  // namespace nas
