#include "libnas/util/file_io.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "libnas/util/error.h"

namespace nas {

namespace fs = std::filesystem;

std::string read_file(const std::string& path, const std::string& hint) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    fail("{}: cannot open it{}{}", path, hint.empty() ? "" : "; ", hint);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  fs::path p(path);
  if (p.has_parent_path()) make_dirs(p.parent_path().string());
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.good()) fail_runtime("{}: cannot write (check the directory exists and is writable)", tmp);
    out << content;
    out.flush();
    if (!out.good()) fail_runtime("{}: write failed (disk full?)", tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail_runtime("{}: cannot rename the temporary file into place: {}", path, ec.message());
  }
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) fail_runtime("{}: cannot create directory: {}", path, ec.message());
}

}  // namespace nas
