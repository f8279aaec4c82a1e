// history.jsonl: one line per evaluation,
//   {"id":0,"arch":"<native text>","hash":"..","metrics":{"val_acc":..,..},"wall_s":..}
// with NaN written as null. Lines are appended and flushed one at a time, so after a crash the
// file holds complete lines plus at most one torn last line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/json.h"

namespace nas {

struct HistoryRecord {
  int64_t id = 0;
  std::string arch;  // the space's native text
  std::string hash;  // canonical hash
  Metrics metrics;
  double wall_s = 0.0;
};

// Metrics as a JSON object: val_acc, test_acc, params, flops, train_seconds (null when
// missing), then the extra keys in sorted order.
OrderedJson metrics_to_json(const Metrics& m);
// Inverse of metrics_to_json; `what` names the source in errors.
Metrics metrics_from_json(const Json& j, const std::string& what);

// One history line, without the trailing newline.
std::string history_line(const HistoryRecord& r);

struct HistoryFile {
  std::vector<HistoryRecord> records;
  uint64_t valid_bytes = 0;  // length of the complete lines
  bool torn = false;         // a partial last line followed them
};

// Reads a history file (an absent file reads as empty). A partial last line (no newline) is
// dropped and reported through `torn`; any other malformed line, or ids that do not count up
// from 0, is a nas::Error naming the file and line.
HistoryFile read_history(const std::string& path);

// Appends lines to a history file, flushing each one.
class HistoryWriter {
 public:
  HistoryWriter() = default;
  // Opens `path` for appending after cutting it to `keep_bytes` (drops a torn last line).
  HistoryWriter(const std::string& path, uint64_t keep_bytes);
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  bool is_open() const { return file_ != nullptr; }
  void append(const HistoryRecord& r);
  void close();

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace nas
