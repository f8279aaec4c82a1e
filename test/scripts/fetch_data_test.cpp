// scripts/fetch_data.sh: downloads the originals from a mirror laid out as the public repositories
// serve them, converts the CSV tables byte for byte, resumes an interrupted download and refuses
// a changed download by name; --from DIR installs a verified copy, refuses a corrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "libnas/util/file_io.h"
#include "libnas/util/process.h"
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
  ToolResult bad = run_script("fetch_data.sh", {"--form", copy});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown option '--form'"), std::string::npos) << bad.err;
}

// The installed files (relative paths) under dir, downloads excluded.
std::vector<std::string> installed_files(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_regular_file() && rel.rfind(".downloads", 0) != 0) out.push_back(rel);
  }
  return out;
}

// Download mode end to end without a network: the data directory's tables laid out under
// OWNER/REPO/COMMIT/PATH (HELP's .pt latency lists written from nb201_latency_help.csv's values by
// test/scripts/make_data_mirror.py), read through file://. The CSV tables are converted from the
// downloads, nb201_all.csv's params and FLOPs by train_cifar, and must equal the published ones
// byte for byte (their sha256 is checked too). What a network adds: the pinned
// raw.githubusercontent.com addresses themselves, which this cannot reach.
TEST(FetchData, DownloadsConvertsAndResumes) {
  NAS_REQUIRE_DATA(latency, "nas-bench-201/nb201_latency_help.csv");
  NAS_REQUIRE_DATA(genius, "nas-bench-201/genius/nasbench201_cifar10.json");
  NAS_REQUIRE_DATA(zc101, "nas-bench-101/naslib_zc/zc_nasbench101.json");
  const std::string data = test::data_dir();
  TempDir dir;
  const std::string mirror = dir.file("mirror"), sources = dir.file("sources.txt");
  const ProgramOutput made = run_program(
      find_program("python3"), {std::string(NASGEN_SOURCE_DIR) + "/test/scripts/make_data_mirror.py",
                                data, std::string(NASGEN_SOURCE_DIR) + "/scripts/fetch_data.sh",
                                mirror, sources});
  ASSERT_TRUE(made.ok()) << made.failure("make_data_mirror.py");
  const std::string url = "file://" + mirror;

  // One original missing from the mirror: named, nothing installed, the rest kept for a rerun.
  const std::string zc101_mirrored =
      mirror + "/automl/NASLib/22280f711aa782fe9157d1b4e5ce4f83f47ab908/naslib/data/zc_nasbench101.json";
  ASSERT_TRUE(fs::exists(zc101_mirrored));
  fs::rename(zc101_mirrored, dir.file("aside.json"));
  const std::string to = dir.file("to");
  ToolResult first = run_script("fetch_data.sh", {"--mirror", url, "--sources", sources, "--to", to});
  EXPECT_EQ(first.exit_code, 1) << first.out << first.err;
  EXPECT_NE(first.err.find("could not download " + url + "/automl/NASLib/"), std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("nothing installed"), std::string::npos) << first.err;
  EXPECT_TRUE(installed_files(to).empty());

  fs::rename(dir.file("aside.json"), zc101_mirrored);
  ToolResult second = run_script("fetch_data.sh", {"--mirror", url, "--sources", sources, "--to", to});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(test::count_of(second.out, "] automl/NASLib@"), 1u) << "downloaded again:\n" << second.out;
  EXPECT_EQ(test::count_of(second.out, "] HayeonLee/HELP@"), 0u) << second.out;
  const std::vector<std::string> files = installed_files(to);
  for (const std::string& rel : files)
    EXPECT_TRUE(read_file(to + "/" + rel) == read_file(data + "/" + rel)) << rel << " differs";
  for (const char* converted :
       {"nas-bench-201/nb201_all.csv", "nas-bench-201/nb201_latency_help.csv",
        "nas-bench-201/naslib_zc/zc_nasbench201.csv", "nas-bench-101/naslib_zc/zc_nasbench101.csv",
        "hw-nas-bench/hwnasbench_nb201_cifar10_latency_subset.csv"})
    EXPECT_NE(std::find(files.begin(), files.end(), converted), files.end()) << converted;
  EXPECT_NE(second.out.find("installed " + std::to_string(files.size()) + " verified table(s) into " + to),
            std::string::npos) << second.out;
  EXPECT_FALSE(fs::exists(to + "/.downloads"));
  {  // The tools read what was installed: NB201 with its params, FLOPs and latencies.
    ScopedEnv env("NASGEN_DATA", to);
    ToolResult g = run_tool("get_performance", {"--benchmark", "nb201-cifar10", "--arch", "421211", "--json"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    EXPECT_NE(g.out.find("\"latency_pixel3_ms\": 3.60584999"), std::string::npos) << g.out;
    EXPECT_NE(g.out.find("129306"), std::string::npos) << g.out;
  }

  // The pinned list knows HELP's own files: the mirror's stand-ins are refused by name.
  const std::string to2 = dir.file("to2");
  ToolResult pinned = run_script("fetch_data.sh", {"--mirror", url, "--to", to2});
  EXPECT_EQ(pinned.exit_code, 1);
  EXPECT_NE(pinned.err.find("refused help/pixel3.pt from " + url + "/HayeonLee/HELP/"),
            std::string::npos) << pinned.err;
  EXPECT_NE(pinned.err.find("nothing installed"), std::string::npos) << pinned.err;
  EXPECT_TRUE(installed_files(to2).empty());
}

}  // namespace
}  // namespace nas
