#include "libnas/bench/tabular_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "libnas/bench/loaders.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

// ---- Metrics -----------------------------------------------------------------------------------

double Metrics::get(const std::string& key) const {
  if (key == "val_acc") return val_acc;
  if (key == "test_acc") return test_acc;
  if (key == "params") return params;
  if (key == "flops") return flops;
  if (key == "train_seconds") return train_seconds;
  auto it = extra.find(key);
  return it == extra.end() ? kMissing : it->second;
}

// ---- TabularBenchmark ------------------------------------------------------------------------

std::vector<std::string> TabularBenchmark::fields() const {
  bool std_present[5] = {false, false, false, false, false};
  static const char* kStd[5] = {"val_acc", "test_acc", "params", "flops", "train_seconds"};
  std::set<std::string> extras;
  for_each([&](const Arch&, const Metrics& m) {
    for (int i = 0; i < 5; ++i) std_present[i] = std_present[i] || present(m.get(kStd[i]));
    for (const auto& kv : m.extra) extras.insert(kv.first);
  });
  std::vector<std::string> out;
  for (int i = 0; i < 5; ++i)
    if (std_present[i]) out.push_back(kStd[i]);
  out.insert(out.end(), extras.begin(), extras.end());
  return out;
}

// ---- TableBenchmark ----------------------------------------------------------------------------

TableBenchmark::TableBenchmark(std::string name, std::shared_ptr<const SearchSpace> space,
                               std::string source)
    : name_(std::move(name)), space_(std::move(space)), source_(std::move(source)) {
  NAS_CHECK(space_ != nullptr, "benchmark {}: needs a search space", name_);
}

void TableBenchmark::add(const Arch& arch, const Metrics& metrics) { add(arch, metrics, ""); }

void TableBenchmark::add(Arch arch, Metrics metrics, const std::string& key_text) {
  std::string key = space_->hash(arch);
  // The first record of equivalent keys is the one queries return.
  auto it = index_.emplace(std::move(key), records_.size()).first;
  if (!key_text.empty()) key_index_.emplace(key_text, it->second);
  records_.push_back(Record{std::move(arch), std::move(metrics)});
  std::lock_guard<std::mutex> lock(cache_mutex_);
  sorted_cache_.clear();
}

namespace {
void merge_into(std::map<std::string, double>& dst, const std::map<std::string, double>& extra) {
  // Insert with a hint: the merged keys usually arrive in the same sorted order.
  auto hint = dst.begin();
  for (const auto& kv : extra) {
    hint = std::next(dst.insert_or_assign(hint, kv.first, kv.second));
  }
}
}  // namespace

bool TableBenchmark::merge_extra(const Arch& arch, const std::map<std::string, double>& extra) {
  auto it = index_.find(space_->hash(arch));
  if (it == index_.end()) return false;
  merge_into(records_[it->second].metrics.extra, extra);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  sorted_cache_.clear();
  return true;
}

bool TableBenchmark::merge_extra_by_key(const std::string& key_text,
                                        const std::map<std::string, double>& extra) {
  auto it = key_index_.find(key_text);
  if (it == key_index_.end()) return false;
  merge_into(records_[it->second].metrics.extra, extra);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  sorted_cache_.clear();
  return true;
}

bool TableBenchmark::merge(const Arch& arch, const Metrics& m) {
  auto it = index_.find(space_->hash(arch));
  if (it == index_.end()) return false;
  Metrics& dst = records_[it->second].metrics;
  if (present(m.val_acc)) dst.val_acc = m.val_acc;
  if (present(m.test_acc)) dst.test_acc = m.test_acc;
  if (present(m.params)) dst.params = m.params;
  if (present(m.flops)) dst.flops = m.flops;
  if (present(m.train_seconds)) dst.train_seconds = m.train_seconds;
  for (const auto& kv : m.extra) dst.extra[kv.first] = kv.second;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  sorted_cache_.clear();
  return true;
}

bool TableBenchmark::contains(const Arch& arch) const {
  return index_.count(space_->hash(arch)) != 0;
}

namespace {
// The arch in the space's text form for a message; the reason when it cannot be formatted.
std::string describe(const SearchSpace& space, const Arch& arch) {
  try {
    return quote(space.format(arch), 200);
  } catch (const Error& e) {
    return std::string("(an arch that is not valid in space ") + space.name() + ": " + e.what() + ")";
  }
}
}  // namespace

Metrics TableBenchmark::query(const Arch& arch) const {
  auto it = index_.find(space_->hash(arch));
  if (it == index_.end()) {
    fail("benchmark {} has no record for arch {} (it holds {} archs, from {})", name_,
         describe(*space_, arch), records_.size(), source_);
  }
  return records_[it->second].metrics;
}

const std::vector<double>& TableBenchmark::sorted_values(const std::string& by) const {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  auto it = sorted_cache_.find(by);
  if (it != sorted_cache_.end()) return it->second;
  std::vector<double> values;
  values.reserve(records_.size());
  for (const auto& r : records_) {
    double v = r.metrics.get(by);
    if (present(v)) values.push_back(v);
  }
  std::sort(values.begin(), values.end(), std::greater<double>());
  return sorted_cache_.emplace(by, std::move(values)).first->second;
}

std::pair<Arch, Metrics> TableBenchmark::best(const std::string& by) const {
  const Record* best = nullptr;
  double best_value = 0;
  for (const auto& r : records_) {
    double v = r.metrics.get(by);
    if (present(v) && (!best || v > best_value)) {
      best = &r;
      best_value = v;
    }
  }
  if (!best) {
    fail("benchmark {} has no values of '{}' (its records hold: {})", name_, by,
         join(fields(), ", "));
  }
  return {best->arch, best->metrics};
}

int64_t TableBenchmark::rank(const Arch& arch, const std::string& by) const {
  Metrics m = query(arch);
  double v = m.get(by);
  if (!present(v)) {
    fail("benchmark {}: the record of arch {} has no '{}' (its records hold: {})", name_,
         describe(*space_, arch), by, join(fields(), ", "));
  }
  const std::vector<double>& values = sorted_values(by);
  // Values are descending: everything strictly better comes before the first element equal
  // to v, so tied archs share the smaller rank.
  auto first_not_better =
      std::lower_bound(values.begin(), values.end(), v, std::greater<double>());
  return static_cast<int64_t>(first_not_better - values.begin()) + 1;
}

void TableBenchmark::for_each(const std::function<void(const Arch&, const Metrics&)>& fn) const {
  for (const auto& r : records_) fn(r.arch, r.metrics);
}

std::vector<std::string> TableBenchmark::fields() const { return TabularBenchmark::fields(); }

// ---- registry ----------------------------------------------------------------------------------

namespace {

struct DefaultFile {
  const char* relative;
  // Only used when the file holds these columns (nb201_all.csv carries in16_* only in the full
  // table); empty = always.
  const char* required_column = "";
};

struct BenchDef {
  const char* name;
  const char* space;
  std::vector<DefaultFile> primary;      // first one present is the table
  std::vector<DefaultFile> supplements;  // merged in (extra fields) when present
};

const std::vector<BenchDef>& bench_defs() {
  static const std::vector<BenchDef> defs = {
      {"nb201-cifar10",
       "nb201",
       {{"nas-bench-201/nb201_all.csv"}, {"nas-bench-201/genius/nasbench201_cifar10.json"}},
       {{"nas-bench-201/nb201_latency_help.csv"}, {"nas-bench-201/naslib_zc/zc_nasbench201.json"}}},
      {"nb201-cifar100",
       "nb201",
       {{"nas-bench-201/nb201_all.csv"}, {"nas-bench-201/genius/nasbench201_cifar100.json"}},
       {{"nas-bench-201/nb201_latency_help.csv"}, {"nas-bench-201/naslib_zc/zc_nasbench201.json"}}},
      {"nb201-imagenet16",
       "nb201",
       {{"nas-bench-201/genius/nasbench201_imagenet.json"},
        {"nas-bench-201/nb201_all.csv", "in16_val_acc"}},
       {{"nas-bench-201/naslib_zc/zc_nasbench201.json"}}},
      {"macro-cifar10",
       "macro",
       {{"nas-bench-macro/nas-bench-macro_cifar10.json"},
        {"nas-bench-macro/nas-bench-macro_cifar10.csv"}},
       {}},
      {"channel-resnet",
       "channel-resnet",
       {{"channel-bench-macro/Results_ResNet.json"}, {"channel-bench-macro/Results_ResNet.csv"}},
       {}},
      {"channel-mobilenet",
       "channel-mobilenet",
       {{"channel-bench-macro/Results_MobileNet.json"},
        {"channel-bench-macro/Results_MobileNet.csv"}},
       {}},
      {"nb101",
       "nb101",
       {{"nas-bench-101/nasbench_only108.tfrecord"},
        {"nas-bench-101/naslib_zc/zc_nasbench101.json"},
        {"nas-bench-101/naslib_zc/zc_nasbench101.csv"}},
       {}},
  };
  return defs;
}

// GENIUS's get_performance.py names.
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a = {
      {"nas-macro", "macro-cifar10"},    {"channel-res", "channel-resnet"},
      {"channel-mob", "channel-mobilenet"}, {"201-cifar10", "nb201-cifar10"},
      {"201-cifar100", "nb201-cifar100"}, {"201-imagenet", "nb201-imagenet16"},
  };
  return a;
}

const BenchDef& find_def(const std::string& name) {
  std::string n = to_lower(trim(name));
  auto al = aliases().find(n);
  if (al != aliases().end()) n = al->second;
  for (const auto& d : bench_defs())
    if (n == d.name) return d;
  std::vector<std::string> alias_names;
  for (const auto& kv : aliases()) alias_names.push_back(kv.first);
  fail("unknown benchmark {}; known benchmarks: {} (GENIUS names {} work too)", quote(name),
       join(benchmark_names(), ", "), join(alias_names, ", "));
}

// Whether the first line of a CSV file names `column`.
bool header_has(const std::string& path, const std::string& column) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  for (const auto& h : split(line, ','))
    if (trim(h) == column) return true;
  return false;
}

std::string join_path(const std::string& dir, const std::string& rel) {
  return (fs::path(dir) / rel).lexically_normal().string();
}

// The format a default file is expected to have, for the "missing file" message.
BenchFormat expected_format(const std::string& relative) {
  if (ends_with(relative, ".tfrecord")) return BenchFormat::Nb101Tfrecord;
  if (relative.find("genius/") != std::string::npos) return BenchFormat::Nb201GeniusJson;
  if (relative.find("nb201_all") != std::string::npos) return BenchFormat::Nb201AllCsv;
  if (relative.find("nas-bench-macro") != std::string::npos) return BenchFormat::MacroJson;
  if (relative.find("channel-bench-macro") != std::string::npos) return BenchFormat::ChannelJson;
  if (relative.find("zc_nasbench101") != std::string::npos) return BenchFormat::Nb101ZcJson;
  if (relative.find("zc_nasbench201") != std::string::npos) return BenchFormat::Nb201ZcJson;
  return BenchFormat::Nb201LatencyCsv;
}

std::string genius_dataset(const std::string& bench_name) {
  if (ends_with(bench_name, "cifar100")) return "cifar100";
  if (ends_with(bench_name, "imagenet16")) return "imagenet";
  return "cifar10";
}

bool subset_format(BenchFormat f) {
  return f == BenchFormat::Nb201ZcJson || f == BenchFormat::Nb201ZcCsv ||
         f == BenchFormat::Nb101ZcJson || f == BenchFormat::Nb101ZcCsv ||
         f == BenchFormat::Nb201LatencyCsv;
}

}  // namespace

std::vector<std::string> benchmark_names() {
  std::vector<std::string> out;
  for (const auto& d : bench_defs()) out.push_back(d.name);
  return out;
}

std::string benchmark_space_name(const std::string& name) { return find_def(name).space; }

std::string default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "nasgen" / "data").lexically_normal().string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".local" / "share" / "nasgen" / "data").lexically_normal().string();
  return "";
}

std::string data_dir() {
  if (const char* env = std::getenv("NASGEN_DATA")) {
    if (*env) return fs::path(env).lexically_normal().string();
  }
  std::error_code ec;
  fs::path local = fs::current_path(ec) / ".." / "shared" / "data";
  if (!ec && fs::is_directory(local, ec)) return local.lexically_normal().string();
  const std::string installed = default_data_dir();
  if (!installed.empty() && fs::is_directory(installed, ec)) return installed;
#ifdef NASGEN_SOURCE_DIR
  fs::path src = fs::path(NASGEN_SOURCE_DIR) / ".." / "shared" / "data";
  if (fs::is_directory(src, ec)) return src.lexically_normal().string();
#endif
  return "";
}

std::shared_ptr<TabularBenchmark> open_benchmark(const std::string& name, const std::string& file) {
  const BenchDef& def = find_def(name);
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const SearchSpace> space = make_space(def.space);
  std::string dataset = genius_dataset(def.name);

  std::string table_file = file;
  std::vector<std::string> supplements;
  if (table_file.empty()) {
    std::string dir = data_dir();
    if (dir.empty()) {
      fail("benchmark {}: no data directory found (looked for $NASGEN_DATA, ../shared/data and {}); "
           "{}, set NASGEN_DATA to the folder holding {} or pass --benchmark-file FILE",
           def.name, default_data_dir(), kInstallTables, def.primary.front().relative);
    }
    for (const auto& f : def.primary) {
      std::string p = join_path(dir, f.relative);
      if (!file_exists(p)) continue;
      if (*f.required_column && !header_has(p, f.required_column)) continue;
      table_file = p;
      break;
    }
    if (table_file.empty()) {
      const DefaultFile& want = def.primary.front();
      fail("{}: file not found (benchmark {}); {}; {}, place it there or pass --benchmark-file FILE",
           join_path(dir, want.relative), def.name,
           format_hint(expected_format(want.relative), dataset), kInstallTables);
    }
    for (const auto& f : def.supplements) {
      std::string p = join_path(dir, f.relative);
      if (file_exists(p)) supplements.push_back(p);
    }
  } else if (!file_exists(table_file)) {
    fail("{}: file not found (--benchmark-file of benchmark {}); pass an existing file in one of "
         "the formats the README's \"Benchmarks\" section lists",
         table_file, def.name);
  }

  auto table = std::make_shared<TableBenchmark>(def.name, space, table_file);
  BenchFormat format = load_benchmark_file(*table, table_file, LoadMode::Add);
  NAS_CHECK(table->num_archs() > 0, "{}: holds no records for benchmark {}; {}", table_file,
            def.name, format_hint(format, dataset));
  for (const auto& s : supplements) {
    load_benchmark_file(*table, s, LoadMode::Merge);
    table->add_source(s);
  }

  if (format == BenchFormat::Nb101ZcJson || format == BenchFormat::Nb101ZcCsv) {
    spdlog::warn(
        "{}: using NASLib's zero-cost file {} ({} cells, validation accuracy only): a small random "
        "subset of NAS-Bench-101, biased to small cells; for the full benchmark get "
        "nasbench_only108.tfrecord (storage.googleapis.com/nasbench)",
        def.name, table_file, table->num_archs());
  } else if (!subset_format(format)) {
    auto size = space->size();
    if (size && static_cast<uint64_t>(table->num_archs()) < *size) {
      spdlog::warn("{}: {} holds {} of the {} archs of space {} (a partial or truncated table?)",
                   def.name, table_file, table->num_archs(), *size, space->name());
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::debug("{}: loaded {} archs from {} in {:.3f} s", def.name, table->num_archs(),
                table->source(), seconds);
  return table;
}

}  // namespace nas
