#include "libnas/util/run_dir.h"

#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"

namespace nas {

namespace fs = std::filesystem;

std::string latest_run_of(const std::string& tool) {
  return (fs::path("runs") / ("latest-" + tool)).string();
}

void RunDir::mark_latest_of_tool() const {
  std::error_code ec;
  const fs::path link = latest_run_of(tool_);
  fs::create_directories(link.parent_path(), ec);
  fs::remove(link, ec);
  fs::create_directory_symlink(fs::absolute(path_, ec), link, ec);
}

RunDir::RunDir(const std::string& tool, const std::string& out, bool resume, bool overwrite)
    : tool_(tool) {
  if (out.empty()) {
    NAS_CHECK(!resume, "--resume needs --out RUN_DIR naming the run to continue");
    std::time_t t = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&t));
    path_ = fmt::format("runs/{}-{}", tool, stamp);
    for (int i = 1; fs::exists(path_); ++i) path_ = fmt::format("runs/{}-{}-{}", tool, stamp, i);
  } else {
    path_ = out;
  }
  std::error_code ec;
  if (resume) {
    NAS_CHECK(fs::is_directory(path_, ec), "--resume: run directory {} does not exist", path_);
    resumed_ = true;
  } else if (fs::exists(path_, ec)) {
    NAS_CHECK(fs::is_directory(path_, ec), "--out {}: exists and is not a directory", path_);
    bool empty = fs::is_empty(path_, ec);
    NAS_CHECK(empty || overwrite,
              "--out {}: directory is not empty; pass --resume to continue that run or "
              "--overwrite to start again",
              path_);
    if (!empty && overwrite) {
      for (const auto& entry : fs::directory_iterator(path_)) fs::remove_all(entry.path(), ec);
    }
  }
  make_dirs(path_);
  if (out.empty()) {
    fs::path latest = fs::path("runs") / "latest";
    fs::remove(latest, ec);
    fs::create_directory_symlink(fs::path(path_).filename(), latest, ec);
  }
}

std::string RunDir::file(const std::string& name) const { return (fs::path(path_) / name).string(); }

std::string RunDir::checkpoints() const {
  std::string p = file("checkpoints");
  make_dirs(p);
  return p;
}

}  // namespace nas
