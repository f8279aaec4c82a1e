// get_performance as a user runs it: values printed equal the source files' values for a few
// archs of every shipped benchmark, GENIUS names and usage work, and every bad input is one
// line on stderr with exit status 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "libnas/bench/csv.h"
#include "libnas/util/json.h"
#include "test_util.h"

namespace nas {
namespace {

using test::run_tool;

Json run_json(const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.push_back("--json");
  auto r = run_tool("get_performance", a);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return Json::object();
  return parse_json(r.out, "get_performance output");
}

// One line of the text output, as the tool aligns it.
std::string row(const std::string& key, const std::string& value) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-25s %s\n", key.c_str(), value.c_str());
  return buf;
}

int lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

// Runs a failing command: exit 2 and exactly one line on stderr containing `part`.
void expect_one_line_error(const std::vector<std::string>& args, const std::string& part) {
  auto r = run_tool("get_performance", args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("get_performance: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(GetPerformance, HelpShowsUsageAndExamples) {
  auto r = run_tool("get_performance", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--benchmark"), std::string::npos);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("get_performance --benchmark nas-macro --arch 01201201"), std::string::npos);
  auto l = run_tool("get_performance", {"--list"});
  EXPECT_EQ(l.exit_code, 0);
  EXPECT_NE(l.out.find("channel-mobilenet\n"), std::string::npos);
}

TEST(GetPerformance, Nb201ValuesEqualTheCsvForSeveralArchs) {
  NAS_REQUIRE_DATA(csv_path, "nas-bench-201/nb201_all.csv");
  NAS_REQUIRE_DATA(lat_path, "nas-bench-201/nb201_latency_help.csv");
  CsvTable csv(test::read_text(csv_path), csv_path, "");
  CsvTable lat(test::read_text(lat_path), lat_path, "");
  // Each run pays the process start (LibTorch) and the load: one arch per dataset here, more
  // in the tests below.
  for (size_t row : {6111u}) {
    std::string digits(csv.cell(row, csv.column("op_ids")));
    Json c10 = run_json({"--benchmark", "nb201-cifar10", "--arch", digits});
    EXPECT_EQ(c10["arch"], std::string(csv.cell(row, csv.column("arch_str"))));
    EXPECT_EQ(c10["val_acc"].get<double>(), csv.number(row, csv.column("c10_val_acc")));
    EXPECT_EQ(c10["test_acc"].get<double>(), csv.number(row, csv.column("c10_test_acc")));
    EXPECT_EQ(c10["params"].get<double>(),
              std::round(csv.number(row, csv.column("c10_params_M")) * 1e6));
    EXPECT_EQ(c10["flops"].get<double>(),
              std::round(csv.number(row, csv.column("c10_flops_M")) * 1e6));
    EXPECT_EQ(c10["num_archs"], 15625);
    ASSERT_EQ(lat.cell(row, lat.column("arch_str")), csv.cell(row, csv.column("arch_str")));
    EXPECT_EQ(c10["extra"]["latency_gold_6226_ms"].get<double>(),
              lat.number(row, lat.column("gold_6226_ms")));
    EXPECT_EQ(c10["extra"]["latency_pixel3_ms"].get<double>(),
              lat.number(row, lat.column("pixel3_ms")));

  }
  // The GENIUS name and the NB201 string give the same record for CIFAR-100.
  const size_t row = 15624;
  Json c100 = run_json({"--benchmark", "201-cifar100", "--arch",
                        std::string(csv.cell(row, csv.column("arch_str")))});
  EXPECT_EQ(c100["val_acc"].get<double>(), csv.number(row, csv.column("c100_val_acc")));
  EXPECT_EQ(c100["test_acc"].get<double>(), csv.number(row, csv.column("c100_test_acc")));
  EXPECT_EQ(c100["params"].get<double>(),
            std::round(csv.number(row, csv.column("c100_params_M")) * 1e6));
}

TEST(GetPerformance, Nb201HumanOutputShowsRankValuesAndLatency) {
  NAS_REQUIRE_DATA(csv_path, "nas-bench-201/nb201_all.csv");
  // genius.md §3: validation 91.45 -> test 94.30 at rank 7 (by test accuracy).
  auto r = run_tool("get_performance", {"--benchmark", "201-cifar10", "--arch", "323123"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|"
                       "nor_conv_1x1~1|nor_conv_3x3~2|"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(row("test rank", "7 of 15625 by test_acc")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(row("val_acc", "91.44799998860678")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(row("test_acc", "94.29666666666667")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("latency_raspi4_ms"), std::string::npos) << r.out;
}

TEST(GetPerformance, GeniusJsonAsBenchmarkFile) {
  NAS_REQUIRE_DATA(json_path, "nas-bench-201/genius/nasbench201_cifar100.json");
  Json src = parse_json(test::read_text(json_path), json_path);
  int checked = 0;
  for (auto it = src.begin(); it != src.end() && checked < 2; ++it, ++checked) {
    Json out = run_json({"--benchmark", "nb201-cifar100", "--benchmark-file", json_path, "--arch",
                         it.key()});
    EXPECT_EQ(out["val_acc"].get<double>(), (*it)["val_acc_200"].get<double>());
    EXPECT_EQ(out["test_acc"].get<double>(), (*it)["test_acc_200"].get<double>());
    // GENIUS's rank is by test accuracy; ours shares the smaller rank among ties.
    EXPECT_LE(out["test_rank"].get<int64_t>(), (*it)["rank"].get<int64_t>());
    EXPECT_TRUE(out["params"].is_null());
  }
}

TEST(GetPerformance, MacroValuesRanksAndOracle) {
  NAS_REQUIRE_DATA(json_path, "nas-bench-macro/nas-bench-macro_cifar10.json");
  Json src = parse_json(test::read_text(json_path), json_path);
  for (const char* key : {"01201201", "00000000"}) {
    // --oracle rides along: the best arch of the table in the same run.
    Json out = run_json({"--benchmark", "nas-macro", "--arch", key, "--oracle"});
    EXPECT_EQ(out["arch"], key);
    EXPECT_EQ(out["val_acc"].get<double>(), src[key]["mean_acc"].get<double>());
    EXPECT_EQ(out["test_acc"].get<double>(), src[key]["mean_acc"].get<double>());
    EXPECT_EQ(out["params"].get<double>(), src[key]["params"].get<double>());
    EXPECT_EQ(out["flops"].get<double>(), src[key]["flops"].get<double>());
    EXPECT_EQ(out["extra"]["acc_seed2"].get<double>(), src[key]["test_acc"][2].get<double>());
    EXPECT_EQ(out["oracle"]["arch"], "22212202");
    EXPECT_EQ(out["oracle"]["value"].get<double>(), 93.12666320800781);
    EXPECT_EQ(out["oracle"]["metrics"]["params"].get<double>(), 1985514);
  }
  // GENIUS's list form of a macro arch; genius.md §3: 93.05 % has rank 8.
  auto r = run_tool("get_performance",
                    {"--benchmark", "nas-macro", "--arch", "[2, 2, 2, 2, 1, 2, 2, 2]", "--oracle"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(row("rank", "8 of 6561 by val_acc")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("93.05333201090495 (= test_acc: no validation split)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(row("best val_acc", "93.12666320800781 at 22212202")), std::string::npos)
      << r.out;
}

TEST(GetPerformance, ChannelResNetByDigitsAndByWidths) {
  NAS_REQUIRE_DATA(json_path, "channel-bench-macro/Results_ResNet.json");
  Json src = parse_json(test::read_text(json_path), json_path);
  for (const char* key : {"4432214", "2413321"}) {
    Json out = run_json({"--benchmark", "channel-resnet", "--arch", key});
    EXPECT_EQ(out["val_acc"].get<double>(), src[key]["mean"].get<double>());
    EXPECT_EQ(out["params"].get<double>(), src[key]["params"].get<double>());
    EXPECT_EQ(out["flops"].get<double>(), src[key]["flops"].get<double>());
  }
  // GENIUS usage: channel widths; 4344424 is the optimum.
  Json best = run_json({"--benchmark", "channel-res", "--arch", "256, 192, 256, 512, 512, 256, 512"});
  EXPECT_EQ(best["rank"], 1);
  EXPECT_EQ(best["val_acc"].get<double>(), src["4344424"]["mean"].get<double>());
}

TEST(GetPerformance, Nb101SubsetValue) {
  NAS_REQUIRE_DATA(zc, "nas-bench-101/naslib_zc/zc_nasbench101.json");
  if (!test::data_file("nas-bench-101/nasbench_only108.tfrecord").empty())
    GTEST_SKIP() << "the full NB101 file is present";
  Json out = run_json({"--benchmark", "nb101", "--arch",
                       "0111101,0000011,0000001,0000110,0000011,0000000,0000000;input,maxpool3x3,"
                       "maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output"});
  EXPECT_EQ(out["val_acc"].get<double>(), 92.578125);
  EXPECT_TRUE(out["test_acc"].is_null());
  EXPECT_EQ(out["num_archs"], 500);
}

TEST(GetPerformance, BadArchIsOneLineAndExitTwo) {
  expect_one_line_error({"--benchmark", "nb201-cifar10", "--arch", "213409"}, "--arch '213409'");
  expect_one_line_error({"--benchmark", "nas-macro", "--arch", "0120120"}, "--arch '0120120'");
  expect_one_line_error({"--benchmark", "channel-res", "--arch", "64, 64"}, "--arch '64, 64'");
}

TEST(GetPerformance, BadUsageIsOneLineAndExitTwo) {
  expect_one_line_error({"--benchmark", "nb999", "--arch", "1"}, "known benchmarks: nb201-cifar10");
  expect_one_line_error({"--arch", "213401"}, "--benchmark is required");
  expect_one_line_error({"--benchmark", "nb201-cifar10"}, "--arch is required");
  expect_one_line_error({"--benchmark", "nb201-cifar10", "--arch", "213401", "--bogus"}, "--bogus");
}

TEST(GetPerformance, MissingOrBadFilesAreOneLineAndExitTwo) {
  NAS_REQUIRE_DATA(csv_path, "nas-bench-201/nb201_all.csv");
  expect_one_line_error({"--benchmark", "nb201-cifar10", "--benchmark-file", "/nonexistent/f.json",
                         "--arch", "213401"},
                        "/nonexistent/f.json: file not found");
  if (test::data_file("channel-bench-macro/Results_MobileNet.json").empty() &&
      test::data_file("channel-bench-macro/Results_MobileNet.csv").empty()) {
    expect_one_line_error({"--benchmark", "channel-mob", "--arch", "4444342"},
                          "Results_MobileNet.json: file not found");
  }
  if (test::data_file("nas-bench-201/genius/nasbench201_imagenet.json").empty()) {
    expect_one_line_error({"--benchmark", "201-imagenet", "--arch", "213401"},
                          "nasbench201_imagenet.json: file not found");
  }
  test::TempDir dir;
  test::write_text(dir.file("bad.json"), "{\"01201201\": {\"mean_acc\": 9");
  expect_one_line_error({"--benchmark", "nas-macro", "--benchmark-file", dir.file("bad.json"),
                         "--arch", "01201201", "--by", "nope"},
                        "malformed JSON");
  NAS_REQUIRE_DATA(macro, "nas-bench-macro/nas-bench-macro_cifar10.json");
  expect_one_line_error({"--benchmark", "nas-macro", "--arch", "01201201", "--by", "nope"}, "'nope'");
}

}  // namespace
}  // namespace nas
