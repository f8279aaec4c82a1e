#include "libnas/search/history.h"

#include <cmath>
#include <filesystem>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"

namespace nas {

namespace {

double number_or_nan(const Json& v, const std::string& what, const std::string& key) {
  if (v.is_null()) return kMissing;
  NAS_CHECK(v.is_number(), "{}: metric {} should be a number or null, found {}", what, key,
            v.dump());
  return v.get<double>();
}

}  // namespace

OrderedJson metrics_to_json(const Metrics& m) {
  OrderedJson j = OrderedJson::object();
  j["val_acc"] = json_number(m.val_acc);
  j["test_acc"] = json_number(m.test_acc);
  j["params"] = json_number(m.params);
  j["flops"] = json_number(m.flops);
  j["train_seconds"] = json_number(m.train_seconds);
  for (const auto& kv : m.extra) j[kv.first] = json_number(kv.second);
  return j;
}

Metrics metrics_from_json(const Json& j, const std::string& what) {
  NAS_CHECK(j.is_object(), "{}: \"metrics\" should be an object, found {}", what, j.dump());
  Metrics m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    double v = number_or_nan(it.value(), what, key);
    if (key == "val_acc") m.val_acc = v;
    else if (key == "test_acc") m.test_acc = v;
    else if (key == "params") m.params = v;
    else if (key == "flops") m.flops = v;
    else if (key == "train_seconds") m.train_seconds = v;
    else m.extra[key] = v;
  }
  return m;
}

std::string history_line(const HistoryRecord& r) {
  OrderedJson j = OrderedJson::object();
  j["id"] = r.id;
  j["arch"] = r.arch;
  j["hash"] = r.hash;
  j["metrics"] = metrics_to_json(r.metrics);
  j["wall_s"] = json_number(r.wall_s);
  return j.dump();
}

HistoryFile read_history(const std::string& path) {
  HistoryFile out;
  if (!file_exists(path)) return out;
  const std::string text = read_file(path);
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      out.torn = true;  // killed while writing the last line
      break;
    }
    ++line_no;
    const std::string line = text.substr(pos, nl - pos);
    const std::string what = path + ":" + std::to_string(line_no);
    Json j = parse_json(line, what);
    NAS_CHECK(j.is_object() && j.contains("id") && j.contains("arch") && j.contains("hash") &&
                  j.contains("metrics"),
              "{}: expected an object with id, arch, hash, metrics and wall_s", what);
    NAS_CHECK(j["id"].is_number_integer(), "{}: \"id\" should be an integer", what);
    NAS_CHECK(j["arch"].is_string() && j["hash"].is_string(),
              "{}: \"arch\" and \"hash\" should be strings", what);
    HistoryRecord r;
    r.id = j["id"].get<int64_t>();
    NAS_CHECK(r.id == static_cast<int64_t>(out.records.size()),
              "{}: expected id {} (ids count up from 0), found {}", what, out.records.size(), r.id);
    r.arch = j["arch"].get<std::string>();
    r.hash = j["hash"].get<std::string>();
    r.metrics = metrics_from_json(j["metrics"], what);
    r.wall_s = j.contains("wall_s") ? number_or_nan(j["wall_s"], what, "wall_s") : kMissing;
    out.records.push_back(std::move(r));
    pos = nl + 1;
    out.valid_bytes = pos;
  }
  return out;
}

HistoryWriter::HistoryWriter(const std::string& path, uint64_t keep_bytes) : path_(path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::filesystem::resize_file(path, keep_bytes, ec);
    if (ec) fail_runtime("{}: cannot cut the torn last line: {}", path, ec.message());
  }
  file_ = std::fopen(path.c_str(), "ab");
  if (!file_) fail_runtime("{}: cannot open for appending", path);
}

HistoryWriter::~HistoryWriter() { close(); }

void HistoryWriter::append(const HistoryRecord& r) {
  NAS_CHECK(file_ != nullptr, "history: append to a closed file");
  const std::string line = history_line(r) + "\n";
  // One write per line, flushed: a kill leaves complete lines and at most one torn tail.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    fail_runtime("{}: write failed (disk full?)", path_);
}

void HistoryWriter::close() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
}

}  // namespace nas
