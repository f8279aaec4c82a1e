// scripts/fetch_data.sh --from DIR: installs a verified copy of the benchmark tables where the
// tools find them, refuses a corrupted copy by name and installs nothing then.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "libnas/util/file_io.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::run_script;
using test::run_tool;
using test::ScopedEnv;
using test::TempDir;
using test::ToolResult;

const char* kMacro = "nas-bench-macro/nas-bench-macro_cifar10.json";

TEST(FetchData, InstallsAVerifiedCopyWhereTheToolsLook) {
  NAS_REQUIRE_DATA(macro, kMacro);
  const std::string copy = test::data_dir();
  TempDir home;
  const std::string installed = home.file(".local/share/nasgen/data");
  // A user without NASGEN_DATA, working where there is no ../shared/data.
  ScopedEnv no_data("NASGEN_DATA", nullptr);
  ScopedEnv no_xdg("XDG_DATA_HOME", nullptr);
  ScopedEnv env_home("HOME", home.path());
  const fs::path old_cwd = fs::current_path();
  fs::current_path(home.path());
  ToolResult r = run_script("fetch_data.sh", {"--from", copy});
  // A tool then reads the installed tables.
  ToolResult g = run_tool("get_performance", {"--benchmark", "nas-macro", "--arch", "01201201"});
  fs::current_path(old_cwd);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified table(s) into " + installed), std::string::npos) << r.out;
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(installed)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), installed).string();
    EXPECT_EQ(read_file(e.path().string()), read_file(copy + "/" + rel)) << rel;
    EXPECT_EQ(rel.find(".part"), std::string::npos) << rel;
    ++files;
  }
  EXPECT_GE(files, 5);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_NE(g.out.find(installed), std::string::npos) << g.out;
}

TEST(FetchData, RefusesACorruptedCopyByNameAndInstallsNothing) {
  NAS_REQUIRE_DATA(macro, kMacro);
  TempDir dir;
  // A copy of two tables, one with a byte changed.
  const std::string copy = dir.file("copy");
  for (const std::string& rel : {std::string(kMacro), std::string("nas-bench-201/genius/nasbench201_cifar10.json")}) {
    NAS_REQUIRE_DATA(src, rel);
    fs::create_directories(fs::path(copy + "/" + rel).parent_path());
    fs::copy_file(src, copy + "/" + rel);
  }
  std::string text = read_file(copy + "/" + kMacro);
  text[text.size() / 2] = text[text.size() / 2] == '1' ? '2' : '1';
  test::write_text(copy + "/" + kMacro, text);
  ToolResult r = run_script("fetch_data.sh", {"--from", copy, "--to", dir.file("to")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(std::string("refused ") + kMacro), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing installed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("to/nas-bench-201"))) << "the good table was installed anyway";

  ToolResult none = run_script("fetch_data.sh", {"--from", dir.file("to"), "--to", dir.file("x")});
  EXPECT_EQ(none.exit_code, 2) << none.err;  // no such directory
  fs::create_directories(dir.file("empty"));
  ToolResult empty = run_script("fetch_data.sh", {"--from", dir.file("empty"), "--to", dir.file("x")});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("holds none of the benchmark tables"), std::string::npos) << empty.err;
  ToolResult bare = run_script("fetch_data.sh", {});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("--from DIR"), std::string::npos) << bare.err;
}

}  // namespace
}  // namespace nas
