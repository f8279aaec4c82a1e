// Tabular benchmarks: a lookup from architecture to the metrics a benchmark recorded.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"

namespace nas {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
inline bool present(double v) { return !std::isnan(v); }

// What a benchmark (or any evaluator) reports for one architecture. Accuracies in percent;
// params as a count, FLOPs as a count; train_seconds is the training time the benchmark
// recorded. A field the source does not have is kMissing (NaN).
struct Metrics {
  double val_acc = kMissing;
  double test_acc = kMissing;
  double params = kMissing;
  double flops = kMissing;
  double train_seconds = kMissing;
  std::map<std::string, double> extra;  // latency_<device>_ms, zero-cost scores, ...

  // Value by name: val_acc, test_acc, params, flops, train_seconds or an extra key; kMissing if
  // absent.
  double get(const std::string& key) const;
};

class TabularBenchmark {
 public:
  virtual ~TabularBenchmark() = default;
  virtual std::string name() const = 0;
  virtual const SearchSpace& space() const = 0;
  virtual std::shared_ptr<const SearchSpace> space_ptr() const = 0;
  // The file(s) it was loaded from, for messages.
  virtual std::string source() const = 0;
  virtual int64_t num_archs() const = 0;
  // Whether `arch` (any equivalent encoding) has a record.
  virtual bool contains(const Arch& arch) const = 0;
  // Throws nas::Error naming the arch when the table has no record for it.
  virtual Metrics query(const Arch& arch) const = 0;
  // The record with the highest `by` value (val_acc by default, test_acc for tables without a
  // validation split where val_acc is the test accuracy).
  virtual std::pair<Arch, Metrics> best(const std::string& by = "val_acc") const = 0;
  // 1 = best by `by`; ties share the smaller rank.
  virtual int64_t rank(const Arch& arch, const std::string& by = "val_acc") const = 0;
  // Every record, in load order.
  virtual void for_each(const std::function<void(const Arch&, const Metrics&)>& fn) const = 0;
  // The metric names the records hold (standard fields first, then extra keys), so messages
  // about an unknown `by` and tools listing a record can say what is there. The default scans
  // every record.
  virtual std::vector<std::string> fields() const;
};

// A benchmark held as an in-memory table keyed by the space's canonical hash. Loaders fill it.
class TableBenchmark : public TabularBenchmark {
 public:
  TableBenchmark(std::string name, std::shared_ptr<const SearchSpace> space, std::string source);

  // Adds a record; a second record for the same canonical arch replaces nothing and is kept
  // only as an alias (the first one wins), which is how equivalent keys (NAS-Bench-Macro) load.
  void add(const Arch& arch, const Metrics& metrics);
  // Same, and remembers `key_text` (the record's key in its source file) so that files keyed by
  // the same text (NB201 latency tables next to nb201_all.csv) merge without parsing it again:
  // loading the three NB201 files stays well under a second.
  void add(Arch arch, Metrics metrics, const std::string& key_text);
  // merge_extra() by the key text a record was added with; false when no record has that key.
  bool merge_extra_by_key(const std::string& key_text, const std::map<std::string, double>& extra);
  // Merges extra fields (latency, zero-cost scores) into an existing record; returns false when
  // the arch has no record.
  bool merge_extra(const Arch& arch, const std::map<std::string, double>& extra);
  // Overwrites standard fields that are present in `m` (non-NaN); returns false when absent.
  bool merge(const Arch& arch, const Metrics& m);

  std::string name() const override { return name_; }
  const SearchSpace& space() const override { return *space_; }
  std::shared_ptr<const SearchSpace> space_ptr() const override { return space_; }
  std::string source() const override { return source_; }
  int64_t num_archs() const override { return static_cast<int64_t>(records_.size()); }
  bool contains(const Arch& arch) const override;
  Metrics query(const Arch& arch) const override;
  std::pair<Arch, Metrics> best(const std::string& by = "val_acc") const override;
  int64_t rank(const Arch& arch, const std::string& by = "val_acc") const override;
  void for_each(const std::function<void(const Arch&, const Metrics&)>& fn) const override;
  std::vector<std::string> fields() const override;
  // Number of distinct canonical archs (num_archs() counts every key of the source, aliases
  // included: NAS-Bench-Macro has 6561 keys for 3969 networks).
  int64_t num_distinct() const { return static_cast<int64_t>(index_.size()); }
  // Appends to the source description (files merged in after construction).
  void add_source(const std::string& more) { source_ += " + " + more; }

 private:
  struct Record {
    Arch arch;
    Metrics metrics;
  };
  const std::vector<double>& sorted_values(const std::string& by) const;

  std::string name_;
  std::shared_ptr<const SearchSpace> space_;
  std::string source_;
  std::vector<Record> records_;
  std::unordered_map<std::string, size_t> index_;  // canonical hash -> record
  std::unordered_map<std::string, size_t> key_index_;  // source key text -> canonical record
  mutable std::map<std::string, std::vector<double>> sorted_cache_;  // descending values per key
  // Guards sorted_cache_: one benchmark is shared by evaluator threads, and ranks are filled
  // lazily on the first query per key.
  mutable std::mutex cache_mutex_;
};

// Names: nb201-cifar10, nb201-cifar100, nb201-imagenet16, macro-cifar10, channel-resnet,
// channel-mobilenet, nb101; GENIUS's names (nas-macro, channel-res, channel-mob, 201-cifar10,
// 201-cifar100, 201-imagenet) work too. Without `file` the default files under data_dir() are
// used: nb201-cifar10/100 read nas-bench-201/nb201_all.csv (else the GENIUS JSON) and merge
// nb201_latency_help.csv latencies and NASLib zero-cost scores when present; nb201-imagenet16
// reads genius/nasbench201_imagenet.json (or nb201_all.csv when it has in16_ columns); macro and
// channel read their JSON (else CSV); nb101 reads nasbench_only108.tfrecord, else NASLib's
// 500-cell zero-cost subset with a warning. `file` may be any supported format of that
// benchmark (loaders.h; detected from the content) and is loaded alone. Every failure is one
// nas::Error line naming the file, what was expected and how to get it.
std::shared_ptr<TabularBenchmark> open_benchmark(const std::string& name,
                                                 const std::string& file = "");
std::vector<std::string> benchmark_names();
// The search space name of a benchmark (aliases resolved) without loading it, so tools can
// check an arch string before reading any file; nas::Error listing the names when unknown.
std::string benchmark_space_name(const std::string& name);

// The data directory: $NASGEN_DATA, else ../shared/data of the working directory, else the
// installed tables (default_data_dir()), else ../shared/data of the source tree, the first
// present; "" when none is found.
std::string data_dir();
// Where scripts/fetch_data.sh installs the tables: $XDG_DATA_HOME/nasgen/data, else
// ~/.local/share/nasgen/data ("" without a home directory).
std::string default_data_dir();
// The one command that installs the benchmark tables, for "file not found" messages.
inline constexpr const char* kInstallTables =
    "scripts/fetch_data.sh downloads, checks and installs the tables (--from DIR: from a copy)";

}  // namespace nas
