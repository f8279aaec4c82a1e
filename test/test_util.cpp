#include "test_util.h"

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace nas::test {

namespace fs = std::filesystem;

std::string data_dir() { return nas::data_dir(); }

std::string data_file(const std::string& relative) {
  std::string dir = data_dir();
  if (dir.empty()) return "";
  fs::path p = fs::path(dir) / relative;
  return fs::exists(p) ? p.string() : "";
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "nasgen-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* p = ::mkdtemp(buf.data());
  if (!p) throw std::runtime_error("mkdtemp failed");
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}


namespace {

// Runs exe with args (no shell), stdin /dev/null, NASGEN_BUILD_DIR set to this build.
ToolResult run_with_build_dir(const std::string& exe, const std::vector<std::string>& args) {
  // Scripts started here run the tools of this build.
  ScopedEnv build_dir("NASGEN_BUILD_DIR", fs::path(NASGEN_BIN_DIR).parent_path().string());
  const ProgramOutput p = nas::run_program(exe, args);
  return ToolResult{p.status, p.out, p.err};
}

}  // namespace

ToolResult run_tool(const std::string& tool, const std::vector<std::string>& args) {
  return run_with_build_dir(std::string(NASGEN_BIN_DIR) + "/" + tool, args);
}

ToolResult run_script(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> all = {std::string(NASGEN_SOURCE_DIR) + "/scripts/" + script};
  all.insert(all.end(), args.begin(), args.end());
  return run_with_build_dir("/bin/bash", all);
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) {
    had_ = true;
    old_ = old;
  }
  if (value)
    ::setenv(name, value, 1);
  else
    ::unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  if (had_)
    ::setenv(name_, old_.c_str(), 1);
  else
    ::unsetenv(name_);
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Json> history_without_times(const std::string& run_dir) {
  std::vector<Json> lines;
  std::istringstream in(read_text(run_dir + "/history.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    Json j = Json::parse(line);
    j.erase("wall_s");
    j.erase("images_per_s");
    lines.push_back(j);
  }
  return lines;
}

void expect_same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::equal(pa[i].value(), pb[i].value())) << pa[i].key();
  auto ba = a.named_buffers(), bb = b.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_TRUE(torch::equal(ba[i].value(), bb[i].value())) << ba[i].key();
}

int spawn_tool(const std::string& tool, const std::vector<std::string>& args) {
  const std::string exe = std::string(NASGEN_BIN_DIR) + "/" + tool;
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv{const_cast<char*>(exe.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace nas::test
