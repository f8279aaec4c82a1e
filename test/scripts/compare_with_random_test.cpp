// scripts/compare_with_random.sh as the main job runs it: the first K architectures of a file
// and N random ones trained with one config, a table with a verdict that matches the
// accuracies, a rerun that keeps finished networks, and bad arguments refused.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

using test::run_script;
using test::TempDir;
using test::ToolResult;

const char* kFirst =
    "0000111,0010011,0001001,0000001,0000001,0000001,0000000;input0,input1,seqconv3x3,seqconv3x3,"
    "identity,seqconv3x3,output|0011,0001,0001,0000;input0,input1,maxpool3x3,output";
const char* kSecond =
    "00100,00101,00010,00001,00000;input0,input1,avgpool3x3,maxpool3x3,output|00101001,00010110,"
    "00010111,00001111,00000110,00000011,00000001,00000000;input0,input1,identity,avgpool3x3,"
    "avgpool3x3,avgpool3x3,seqconv3x3,output";

double mean_test_acc(const std::string& out, const std::vector<std::string>& names) {
  double sum = 0;
  for (const auto& n : names)
    sum += parse_json(read_file(out + "/" + n + "/summary.json"), n).at("test_acc").get<double>();
  return sum / names.size();
}

TEST(CompareWithRandom, TopKAgainstRandomWithAVerdictAndAResumableRerun) {
  TempDir dir;
  const std::string archs = dir.file("generated.txt"), out = dir.file("cmp");
  // A third architecture beyond --top 2, and a header comment, as generate_archs writes them.
  test::write_text(archs, std::string("# best first\n") + kFirst + "\n" + kSecond + "\nrandom:9\n");
  const std::vector<std::string> args = {
      "--top", "2", "--label", "generated", "--config",
      std::string(NASGEN_SOURCE_DIR) + "/configs/train_fmnist_nag.yaml", archs, out, "1",
      "--epochs", "1", "--set", "train_subset=256", "--set", "test_subset=300", "--threads", "1"};
  ToolResult r = run_script("compare_with_random.sh", args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* name : {"generated_1", "generated_2", "random_1"})
    EXPECT_TRUE(file_exists(out + "/" + name + "/summary.json")) << name << "\n" << r.out;
  EXPECT_FALSE(file_exists(out + "/generated_3")) << "--top 2 trained a third";
  EXPECT_EQ(parse_json(read_file(out + "/generated_2/summary.json"), "s").at("arch").get<std::string>(),
            kSecond);
  // The verdict follows the accuracies (one random network: its mean is its best).
  const double ours = mean_test_acc(out, {"generated_1", "generated_2"});
  const double best = std::max(mean_test_acc(out, {"generated_1"}), mean_test_acc(out, {"generated_2"}));
  const double rand = mean_test_acc(out, {"random_1"});
  const std::string table = read_file(out + "/table.txt");
  EXPECT_NE(r.out.find(table), std::string::npos) << "the table printed is the one written";
  const char* verdict = ours > rand && best >= rand   ? "generated won"
                        : ours < rand && best <= rand ? "random won"
                                                      : "no clear winner";
  EXPECT_NE(table.find(verdict), std::string::npos) << verdict << "\n" << table;
  EXPECT_NE(table.find(fmt::format("generated: mean {:.2f}", ours)), std::string::npos) << table;

  // Run again: nothing is trained twice, the same table.
  ToolResult again = run_script("compare_with_random.sh", args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("generated_1 already trained"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("random_1 already trained"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("training "), std::string::npos) << again.out;
  EXPECT_EQ(read_file(out + "/table.txt"), table);
}

TEST(CompareWithRandom, BadArgumentsExitTwoWithAMessage) {
  TempDir dir;
  test::write_text(dir.file("a.txt"), "# only a comment\n");
  ToolResult none = run_script("compare_with_random.sh", {dir.file("a.txt"), dir.file("o")});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no architecture in"), std::string::npos) << none.err;
  ToolResult missing = run_script("compare_with_random.sh", {dir.file("nope.txt"), dir.file("o")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no file"), std::string::npos) << missing.err;
  ToolResult top = run_script("compare_with_random.sh", {"--top", "0", dir.file("a.txt"), dir.file("o")});
  EXPECT_EQ(top.exit_code, 2);
  EXPECT_NE(top.err.find("--top must be a positive number"), std::string::npos) << top.err;
}

}  // namespace
}  // namespace nas
