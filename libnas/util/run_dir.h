// Run directories: RUN_DIR/ holds config.yaml, history.jsonl, log.txt, checkpoints/,
// summary.json and plots. Without --out a run goes to runs/<tool>-<YYYYmmdd-HHMMSS>, and
// runs/latest points at the newest run.
#pragma once

#include <string>

namespace nas {

// runs/latest-<tool>: the last run of `tool` started from this working directory that marked
// itself (RunDir::mark_latest_of_tool).
std::string latest_run_of(const std::string& tool);

class RunDir {
 public:
  // Creates (or, with resume, reopens) the directory. `out` empty = default location under
  // runs/. With resume the directory must exist; without it a non-empty directory is an error
  // unless `overwrite` (so a finished run is never clobbered by accident).
  RunDir(const std::string& tool, const std::string& out, bool resume, bool overwrite = false);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path()/name
  std::string checkpoints() const;                   // path()/checkpoints, created on demand
  bool resumed() const { return resumed_; }
  // Points latest_run_of(tool) at this run (an absolute link), with --out or without, for a
  // tool whose run another tool reads by default (train_gan's, read by generate_archs).
  void mark_latest_of_tool() const;

 private:
  std::string tool_;
  std::string path_;
  bool resumed_ = false;
};

}  // namespace nas
