// Helpers shared by the tests: the benchmark data directory, temporary directories and running
// the built tools as a user would.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "libnas/util/json.h"

#include <string>
#include <vector>

namespace nas::test {

// The benchmark tables' directory as the tools find it (nas::data_dir()), "" when none.
std::string data_dir();
// data_dir()/relative when that file exists, "" otherwise.
std::string data_file(const std::string& relative);

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ToolResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs build/bin/<tool> with args (no shell); stdin is /dev/null.
ToolResult run_tool(const std::string& tool, const std::vector<std::string>& args);
// Runs scripts/<script> of the source tree with bash and args, with NASGEN_BUILD_DIR set to
// this build so it runs the tools under test.
ToolResult run_script(const std::string& script, const std::vector<std::string>& args);
// Starts build/bin/<tool> with args in the background, output discarded; returns its pid.
int spawn_tool(const std::string& tool, const std::vector<std::string>& args);

// The lines of RUN_DIR/history.jsonl without the fields that measure time (wall_s,
// images_per_s), for comparing two runs.
std::vector<Json> history_without_times(const std::string& run_dir);
// Expects every parameter and buffer of `a` to equal `b`'s bit for bit.
void expect_same_weights(torch::nn::Module& a, torch::nn::Module& b);

// Sets (or, given nullptr, unsets) an environment variable for one scope; tools started
// meanwhile inherit it. The old value comes back after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ScopedEnv(const char* name, const std::string& value) : ScopedEnv(name, value.c_str()) {}
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

// How many times `what` occurs in `text` (overlapping occurrences counted).
size_t count_of(const std::string& text, const std::string& what);

void write_text(const std::string& path, const std::string& content);
std::string read_text(const std::string& path);

}  // namespace nas::test

// Skips the test (with the reason) when a file of the shared benchmark data is absent.
#define NAS_REQUIRE_DATA(var, relative)                                              \
  const std::string var = ::nas::test::data_file(relative);                          \
  if (var.empty()) GTEST_SKIP() << "benchmark data file " << relative                \
                                << " not found (scripts/fetch_data.sh downloads and installs " \
                                   "the tables; or set NASGEN_DATA)"
