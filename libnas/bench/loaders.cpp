#include "libnas/bench/loaders.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "libnas/bench/csv.h"
#include "libnas/bench/nb101_tfrecord.h"
#include "libnas/util/error.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"

namespace nas {

namespace {

enum class Nb201Data { Cifar10, Cifar100, ImageNet16 };

Nb201Data nb201_dataset(const std::string& table_name) {
  if (ends_with(table_name, "cifar100")) return Nb201Data::Cifar100;
  if (ends_with(table_name, "imagenet16") || ends_with(table_name, "imagenet"))
    return Nb201Data::ImageNet16;
  return Nb201Data::Cifar10;
}

// Column prefix in nb201_all.csv, section name in NASLib's JSON, file suffix of GENIUS's JSONs.
const char* nb201_csv_prefix(Nb201Data d) {
  return d == Nb201Data::Cifar10 ? "c10" : d == Nb201Data::Cifar100 ? "c100" : "in16";
}
const char* nb201_naslib_section(Nb201Data d) {
  return d == Nb201Data::Cifar10 ? "cifar10" : d == Nb201Data::Cifar100 ? "cifar100" : "ImageNet16-120";
}
const char* nb201_genius_suffix(Nb201Data d) {
  return d == Nb201Data::Cifar10 ? "cifar10" : d == Nb201Data::Cifar100 ? "cifar100" : "imagenet";
}

// Counts stored as M in the sources; rounding removes the decimal noise of the *1e6.
double mega_to_count(double m) { return std::round(m * 1e6); }

// Everything a loader needs to put records in a table and to fail with one useful line.
struct Ctx {
  TableBenchmark& table;
  const SearchSpace& space;
  std::string path;
  std::string hint;
  LoadMode mode;
  int64_t merged = 0;

  [[noreturn]] void fail_file(const std::string& message) const {
    fail("{}: {}; {}", path, message, hint);
  }

  Arch parse_arch(const std::string& text, const std::string& what) const {
    try {
      return space.parse(text);
    } catch (const Error& e) {
      fail_file(fmt::format("{} {}: {}", what, quote(text), e.what()));
    }
  }

  // Adds (or merges) the record whose key in the file is `text`; `what` says where the key is
  // for a parse error ("line 12: arch").
  void put(const std::string& text, const std::string& what, Metrics&& m) { put(text, what, m); }
  // Same; in Add mode `m` is moved from (left empty), in Merge mode it is only read.
  void put(const std::string& text, const std::string& what, Metrics& m) {
    if (mode == LoadMode::Add) {
      table.add(parse_arch(text, what), std::move(m), text);
      m = Metrics();
    } else if (table.merge_extra_by_key(text, m.extra) ||
               table.merge_extra(parse_arch(text, what), m.extra)) {
      ++merged;
    }
  }
};

// ---- JSON access --------------------------------------------------------------------------

// Python's json module writes NaN, Infinity and -Infinity (NASLib's zero-cost files hold
// -Infinity scores); strict JSON parsers reject them. Outside string literals they become the
// strings "nan", "inf" and "-inf", which json_value() reads back as numbers.
std::string python_json_to_json(const std::string& content) {
  if (content.find("NaN") == std::string::npos && content.find("Infinity") == std::string::npos)
    return content;
  std::string out;
  out.reserve(content.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < content.size(); ++i) {
    char ch = content[i];
    if (in_string) {
      out.push_back(ch);
      if (ch == '\\' && i + 1 < content.size()) {
        out.push_back(content[++i]);
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (content.compare(i, 3, "NaN") == 0) {
      out += "\"nan\"";
      i += 2;
      continue;
    } else if (content.compare(i, 8, "Infinity") == 0) {
      out += "\"inf\"";
      i += 7;
      continue;
    } else if (content.compare(i, 9, "-Infinity") == 0) {
      out += "\"-inf\"";
      i += 8;
      continue;
    }
    out.push_back(ch);
  }
  return out;
}

Json parse_json_content(const std::string& content, const std::string& path,
                        const std::string& hint) {
  try {
    return Json::parse(python_json_to_json(content));
  } catch (const Json::parse_error& e) {
    fail("{}: malformed JSON at byte {} of {} (truncated file?); {}", path, e.byte,
         content.size(), hint);
  } catch (const Json::exception& e) {
    fail("{}: unreadable JSON ({}); {}", path, e.what(), hint);
  }
}

std::string json_keys(const Json& obj) {
  std::vector<std::string> keys;
  if (obj.is_object())
    for (auto it = obj.begin(); it != obj.end(); ++it) keys.push_back(it.key());
  return keys.empty() ? "nothing" : join(keys, ", ");
}

// A number, or NASLib's {"score": x, "time": t}; NaN with ok=false otherwise.
bool json_value(const Json& v, double& out) {
  if (v.is_number()) {
    out = v.get<double>();
    return true;
  }
  if (v.is_null()) {
    out = kMissing;
    return true;
  }
  if (v.is_string()) {  // the NaN/Infinity tokens python_json_to_json() rewrote
    const std::string& t = v.get_ref<const std::string&>();
    if (t == "nan") out = kMissing;
    else if (t == "inf") out = std::numeric_limits<double>::infinity();
    else if (t == "-inf") out = -std::numeric_limits<double>::infinity();
    else return false;
    return true;
  }
  if (v.is_object()) {
    auto it = v.find("score");
    if (it != v.end() && !it->is_object()) return json_value(*it, out);
  }
  return false;
}

const Json& record_object(const Ctx& c, const std::string& key, const Json& rec) {
  if (!rec.is_object()) {
    c.fail_file(fmt::format("record {}: expected an object of fields, found {}", quote(key),
                            quote(rec.dump(), 40)));
  }
  return rec;
}

double json_field(const Ctx& c, const std::string& key, const Json& rec, const char* field) {
  auto it = rec.find(field);
  if (it == rec.end()) {
    c.fail_file(fmt::format("record {} has no field '{}' (it has: {})", quote(key), field,
                            json_keys(rec)));
  }
  double v;
  if (!json_value(*it, v)) {
    c.fail_file(fmt::format("record {}: field '{}' should be a number, found {}", quote(key),
                            field, quote(it->dump(), 40)));
  }
  return v;
}

// "(0, 2, 3, 2, 3, 1)" -> {0,2,3,2,3,1}; an error naming the key otherwise.
std::vector<int> parse_tuple(const Ctx& c, const std::string& key, size_t expected, int max_value) {
  std::string t = trim(key);
  bool ok = t.size() >= 2 && t.front() == '(' && t.back() == ')';
  std::vector<int> out;
  if (ok) {
    for (const auto& part : split(t.substr(1, t.size() - 2), ',')) {
      std::string p = trim(part);
      if (p.size() != 1 || p[0] < '0' || p[0] - '0' > max_value) {
        ok = false;
        break;
      }
      out.push_back(p[0] - '0');
    }
  }
  if (!ok || out.size() != expected) {
    c.fail_file(fmt::format("record key {}: expected a tuple of {} integers 0..{}", quote(key),
                            expected, max_value));
  }
  return out;
}

// ---- NAS-Bench-201 --------------------------------------------------------------------------

// NASLib (op order skip, none, conv3x3, conv1x1, avgpool; edges 1<-0, 2<-0, 3<-0, 2<-1, 3<-1,
// 3<-2) to the 6-digit GENIUS form (op order none, skip, conv1x1, conv3x3, avgpool; edges
// 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2).
std::string naslib_to_genius_digits(const std::vector<int>& naslib) {
  static const int kOp[5] = {1, 0, 3, 2, 4};
  static const int kPos[6] = {0, 1, 3, 2, 4, 5};
  std::string digits(6, '0');
  for (int d = 0; d < 6; ++d) digits[d] = static_cast<char>('0' + kOp[naslib[kPos[d]]]);
  return digits;
}

void load_genius_nb201(Ctx& c, const Json& j) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Json& rec = record_object(c, it.key(), it.value());
    Metrics m;
    m.val_acc = json_field(c, it.key(), rec, "val_acc_200");
    m.test_acc = json_field(c, it.key(), rec, "test_acc_200");
    c.put(it.key(), "record key", std::move(m));
  }
}

void load_nb201_all_csv(Ctx& c, const CsvTable& t) {
  std::string p = nb201_csv_prefix(nb201_dataset(c.table.name()));
  int arch_col = t.find("arch_str");
  if (arch_col < 0) arch_col = t.find("op_ids");
  if (arch_col < 0) t.fail_file("column arch_str missing");
  int val = t.column(p + "_val_acc");
  int test = t.column(p + "_test_acc");
  int params = t.find(p + "_params_M");
  int flops = t.find(p + "_flops_M");
  for (size_t r = 0; r < t.num_rows(); ++r) {
    Metrics m;
    m.val_acc = t.number(r, val);
    m.test_acc = t.number(r, test);
    if (params >= 0) m.params = mega_to_count(t.number(r, params));
    if (flops >= 0) m.flops = mega_to_count(t.number(r, flops));
    c.put(std::string(t.cell(r, arch_col)), fmt::format("line {}: arch", t.line(r)), std::move(m));
  }
}

// "<device>_ms" (HELP) or "<device>_latency_ms" (HW-NAS-Bench) -> "latency_<device>_ms".
void load_latency_csv(Ctx& c, const CsvTable& t) {
  int arch_col = t.column("arch_str");
  std::vector<std::pair<int, std::string>> cols;
  for (size_t i = 0; i < t.header().size(); ++i) {
    const std::string& h = t.header()[i];
    if (!ends_with(h, "_ms")) continue;
    std::string device = h.substr(0, h.size() - 3);
    if (ends_with(device, "_latency")) device = device.substr(0, device.size() - 8);
    cols.emplace_back(static_cast<int>(i), "latency_" + device + "_ms");
  }
  if (cols.empty()) t.fail_file("no latency column (<device>_ms) found");
  // One Metrics reused across rows: merging 27 columns x 15625 rows would otherwise allocate
  // and free a map node and a key string per cell (put() moves it away only in Add mode).
  Metrics m;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    for (const auto& [col, key] : cols) m.extra[key] = t.number(r, col);
    c.put(std::string(t.cell(r, arch_col)), fmt::format("line {}: arch", t.line(r)), m);
  }
}

// Fields of a NASLib zero-cost record that are not proxy scores.
bool naslib_meta_field(const std::string& k) {
  return k == "idx" || k == "arch" || k == "val_accuracy" || k == "flops" || k == "params" ||
         k == "dataset" || k == "nb201_index" || k == "arch_str" || k == "naslib_op_indices" ||
         k == "naslib_idx";
}

// Fills val/params (Add mode) and extras from one NASLib record's fields.
void naslib_metrics(Metrics& m, LoadMode mode, double val, double params, double flops) {
  m.extra["naslib_val_acc"] = val;
  if (present(flops)) m.extra["naslib_flops"] = mega_to_count(flops);
  if (mode == LoadMode::Add) {
    m.val_acc = val;
    if (present(params)) m.params = mega_to_count(params);
  }
}

void load_zc_nb201_json(Ctx& c, const Json& j) {
  const char* section = nb201_naslib_section(nb201_dataset(c.table.name()));
  auto sec = j.find(section);
  if (sec == j.end() || !sec->is_object()) {
    c.fail_file(fmt::format("dataset section '{}' missing (the file has: {})", section,
                            json_keys(j)));
  }
  for (auto it = sec->begin(); it != sec->end(); ++it) {
    const Json& rec = record_object(c, it.key(), it.value());
    std::string digits = naslib_to_genius_digits(parse_tuple(c, it.key(), 6, 4));
    Metrics m;
    double params = kMissing, flops = kMissing;
    if (rec.contains("params")) params = json_field(c, it.key(), rec, "params");
    if (rec.contains("flops")) flops = json_field(c, it.key(), rec, "flops");
    naslib_metrics(m, c.mode, json_field(c, it.key(), rec, "val_accuracy"), params, flops);
    for (auto f = rec.begin(); f != rec.end(); ++f) {
      double v;
      if (!naslib_meta_field(f.key()) && json_value(f.value(), v)) m.extra["zc_" + f.key()] = v;
    }
    c.put(digits, "record " + it.key() + " (NASLib order), as GENIUS digits", std::move(m));
  }
}

void load_zc_nb201_csv(Ctx& c, const CsvTable& t) {
  const char* section = nb201_naslib_section(nb201_dataset(c.table.name()));
  int ds = t.column("dataset"), arch = t.column("arch_str"), val = t.column("val_accuracy");
  int params = t.find("params"), flops = t.find("flops");
  std::vector<int> scores;
  for (size_t i = 0; i < t.header().size(); ++i)
    if (!naslib_meta_field(t.header()[i])) scores.push_back(static_cast<int>(i));
  size_t rows = 0;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    if (t.cell(r, ds) != section) continue;
    ++rows;
    Metrics m;
    naslib_metrics(m, c.mode, t.number(r, val), params >= 0 ? t.number(r, params) : kMissing,
                   flops >= 0 ? t.number(r, flops) : kMissing);
    for (int s : scores) m.extra["zc_" + t.header()[s]] = t.number(r, s);
    c.put(std::string(t.cell(r, arch)), fmt::format("line {}: arch", t.line(r)), std::move(m));
  }
  if (rows == 0) t.fail_file(fmt::format("no rows for dataset '{}'", section));
}

// ---- NAS-Bench-Macro and Channel-Bench-Macro ---------------------------------------------------

// Macro and channel JSONs differ only in field names: (seeds list, mean) = (test_acc, mean_acc)
// or (acc, mean). Neither has a validation split, so the mean test accuracy is val and test.
void load_macro_like_json(Ctx& c, const Json& j, const char* seeds_field, const char* mean_field) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const Json& rec = record_object(c, key, it.value());
    Metrics m;
    m.val_acc = m.test_acc = json_field(c, key, rec, mean_field);
    m.params = json_field(c, key, rec, "params");
    m.flops = json_field(c, key, rec, "flops");
    auto seeds = rec.find(seeds_field);
    if (seeds != rec.end()) {
      if (!seeds->is_array()) {
        c.fail_file(fmt::format("record {}: field '{}' should be a list of accuracies, found {}",
                                quote(key), seeds_field, quote(seeds->dump(), 40)));
      }
      for (size_t i = 0; i < seeds->size(); ++i) {
        double v;
        if (!json_value((*seeds)[i], v)) {
          c.fail_file(fmt::format("record {}: '{}' item {} should be a number", quote(key),
                                  seeds_field, i));
        }
        m.extra[fmt::format("acc_seed{}", i)] = v;
      }
    }
    if (rec.contains("std")) m.extra["acc_std"] = json_field(c, key, rec, "std");
    c.put(key, "record key", std::move(m));
  }
}

void load_macro_like_csv(Ctx& c, const CsvTable& t, const char* seed_prefix,
                         const char* mean_field) {
  int arch = t.column("arch"), mean = t.column(mean_field);
  int params = t.column("params"), flops = t.column("flops"), sd = t.find("std");
  std::vector<int> seeds;
  for (int i = 0;; ++i) {
    int col = t.find(fmt::format("{}{}", seed_prefix, i));
    if (col < 0) break;
    seeds.push_back(col);
  }
  for (size_t r = 0; r < t.num_rows(); ++r) {
    Metrics m;
    m.val_acc = m.test_acc = t.number(r, mean);
    m.params = t.number(r, params);
    m.flops = t.number(r, flops);
    for (size_t i = 0; i < seeds.size(); ++i)
      m.extra[fmt::format("acc_seed{}", i)] = t.number(r, seeds[i]);
    if (sd >= 0) m.extra["acc_std"] = t.number(r, sd);
    c.put(std::string(t.cell(r, arch)), fmt::format("line {}: arch", t.line(r)), std::move(m));
  }
}

// ---- NAS-Bench-101 -----------------------------------------------------------------------------

// The nb101 space's text form: adjacency rows, ';', op names.
std::string nb101_text(const std::vector<int>& matrix, int n, const std::vector<std::string>& ops) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i) text += ',';
    for (int k = 0; k < n; ++k) text += static_cast<char>('0' + matrix[i * n + k]);
  }
  return text + ";" + join(ops, ",");
}

const std::vector<std::string>& naslib_nb101_ops() {
  static const std::vector<std::string> ops = {"input", "output", "maxpool3x3", "conv1x1-bn-relu",
                                               "conv3x3-bn-relu"};
  return ops;
}

void load_zc_nb101_json(Ctx& c, const Json& j) {
  auto bench = j.find("nasbench101");
  if (bench == j.end() || !bench->is_object() || bench->empty()) {
    c.fail_file(fmt::format("section 'nasbench101' missing or empty (the file has: {})",
                            json_keys(j)));
  }
  auto sec = bench->find("cifar10");
  if (sec == bench->end()) sec = bench->begin();
  if (!sec->is_object()) c.fail_file("section 'nasbench101' holds no object of records");
  for (auto it = sec->begin(); it != sec->end(); ++it) {
    const Json& rec = record_object(c, it.key(), it.value());
    std::vector<int> ints = parse_tuple(c, it.key(), 56, 4);
    std::vector<int> matrix(ints.begin(), ints.begin() + 49);
    std::vector<std::string> ops;
    for (int k = 49; k < 56; ++k) ops.push_back(naslib_nb101_ops()[ints[k]]);
    for (int v : matrix) {
      if (v > 1) c.fail_file(fmt::format("record key {}: adjacency entries must be 0 or 1", quote(it.key(), 40)));
    }
    Metrics m;
    m.val_acc = json_field(c, it.key(), rec, "val_accuracy");
    if (rec.contains("params")) m.params = mega_to_count(json_field(c, it.key(), rec, "params"));
    if (rec.contains("flops")) m.flops = mega_to_count(json_field(c, it.key(), rec, "flops"));
    for (auto f = rec.begin(); f != rec.end(); ++f) {
      double v;
      if (!naslib_meta_field(f.key()) && json_value(f.value(), v)) m.extra["zc_" + f.key()] = v;
    }
    c.put(nb101_text(matrix, 7, ops), "record", std::move(m));
  }
}

void load_zc_nb101_csv(Ctx& c, const CsvTable& t) {
  int mat = t.column("raw_matrix_7x7_rowmajor"), ops_col = t.column("raw_ops");
  int val = t.column("val_accuracy"), params = t.find("params"), flops = t.find("flops");
  std::vector<int> scores;
  for (size_t i = 0; i < t.header().size(); ++i) {
    const std::string& h = t.header()[i];
    if (!naslib_meta_field(h) && !starts_with(h, "raw_") && !starts_with(h, "pruned_"))
      scores.push_back(static_cast<int>(i));
  }
  for (size_t r = 0; r < t.num_rows(); ++r) {
    std::string_view bits = t.cell(r, mat);
    if (bits.size() != 49 || bits.find_first_not_of("01") != std::string_view::npos) {
      t.fail_at(r, fmt::format("raw_matrix_7x7_rowmajor: expected 49 characters 0/1, found {}",
                               quote(bits)));
    }
    std::vector<int> matrix;
    for (char ch : bits) matrix.push_back(ch - '0');
    std::vector<std::string> ops = split_any(t.cell(r, ops_col), " ");
    Metrics m;
    m.val_acc = t.number(r, val);
    if (params >= 0) m.params = mega_to_count(t.number(r, params));
    if (flops >= 0) m.flops = mega_to_count(t.number(r, flops));
    for (int s : scores) m.extra["zc_" + t.header()[s]] = t.number(r, s);
    c.put(nb101_text(matrix, 7, ops), fmt::format("line {}: arch", t.line(r)), std::move(m));
  }
}

// The official file: 3 records (repeats) per cell at 108 epochs; the labels are the means over
// the repeats of the final evaluation, as the NB101 API reports them.
void load_nb101_tfrecord(Ctx& c, const std::string& content) {
  struct Agg {
    std::string adjacency, operations;
    int64_t params = 0;
    double val = 0, test = 0, train = 0, seconds = 0;
    int count = 0;
  };
  std::vector<Agg> cells;
  std::unordered_map<std::string, size_t> by_hash;
  int64_t index = 0, other_epochs = 0;
  try {
    read_tfrecords(content, [&](std::string_view data, size_t offset) {
      Nb101Row row;
      try {
        row = decode_nb101_row(data);
      } catch (const Error& e) {
        fail("record {} at byte {}: {}", index, offset, e.what());
      }
      ++index;
      if (row.epochs != 108) {
        ++other_epochs;  // nasbench_full.tfrecord also holds 4, 12 and 36 epochs
        return;
      }
      if (row.metrics.evaluation_data.empty()) {
        fail("record {} at byte {}: ModelMetrics holds no EvaluationData", index - 1, offset);
      }
      auto [it, inserted] = by_hash.emplace(row.module_hash, cells.size());
      if (inserted) {
        Agg a;
        a.adjacency = std::move(row.adjacency);
        a.operations = std::move(row.operations);
        a.params = row.metrics.trainable_parameters;
        cells.push_back(std::move(a));
      }
      Agg& a = cells[it->second];
      const Nb101Evaluation& last = row.metrics.evaluation_data.back();
      a.val += last.validation_accuracy;
      a.test += last.test_accuracy;
      a.train += last.train_accuracy;
      a.seconds += last.training_time;
      ++a.count;
    });
  } catch (const Error& e) {
    c.fail_file(e.what());
  }
  if (cells.empty()) {
    c.fail_file(other_epochs ? "the file holds no 108-epoch records" : "the file holds no records");
  }
  for (const Agg& a : cells) {
    size_t n = 0;
    while (n * n < a.adjacency.size()) ++n;
    if (n * n != a.adjacency.size() || a.adjacency.find_first_not_of("01") != std::string::npos) {
      c.fail_file(fmt::format("cell with adjacency {}: expected n*n characters 0/1",
                              quote(a.adjacency)));
    }
    std::vector<int> matrix;
    for (char ch : a.adjacency) matrix.push_back(ch - '0');
    Metrics m;
    m.val_acc = 100.0 * a.val / a.count;
    m.test_acc = 100.0 * a.test / a.count;
    m.train_seconds = a.seconds / a.count;
    m.params = static_cast<double>(a.params);
    m.extra["train_acc"] = 100.0 * a.train / a.count;
    c.put(nb101_text(matrix, static_cast<int>(n), split(a.operations, ',')), "cell", std::move(m));
  }
}

// ---- detection --------------------------------------------------------------------------------

const std::vector<BenchFormat>& all_formats() {
  static const std::vector<BenchFormat> f = {
      BenchFormat::Nb201GeniusJson, BenchFormat::Nb201AllCsv, BenchFormat::Nb201LatencyCsv,
      BenchFormat::Nb201ZcJson,     BenchFormat::Nb201ZcCsv,  BenchFormat::MacroJson,
      BenchFormat::MacroCsv,        BenchFormat::ChannelJson, BenchFormat::ChannelCsv,
      BenchFormat::Nb101ZcJson,     BenchFormat::Nb101ZcCsv,  BenchFormat::Nb101Tfrecord};
  return f;
}

std::string supported_formats() {
  std::vector<std::string> names;
  for (auto f : all_formats()) names.push_back(format_label(f));
  return join(names, ", ");
}

bool looks_binary(const std::string& content) {
  size_t n = std::min<size_t>(content.size(), 16);
  for (size_t i = 0; i < n; ++i) {
    auto ch = static_cast<unsigned char>(content[i]);
    if (ch < 9 || (ch > 13 && ch < 32)) return true;
  }
  return false;
}

BenchFormat classify_json(const Json& j, const std::string& path) {
  const std::string unknown = fmt::format(
      "{}: a JSON file this program does not know (top-level keys: {}); supported formats: {}",
      path, quote(json_keys(j), 120), supported_formats());
  if (!j.is_object()) fail("{}", unknown);
  if (j.empty()) fail("{}: the JSON object holds no records (empty or cut file?)", path);
  if (j.contains("nasbench101")) return BenchFormat::Nb101ZcJson;
  for (const char* s : {"cifar10", "cifar100", "ImageNet16-120"}) {
    auto it = j.find(s);
    if (it != j.end() && it->is_object()) return BenchFormat::Nb201ZcJson;
  }
  auto first = j.begin();
  const std::string& key = first.key();
  if (!key.empty() && key[0] == '|') return BenchFormat::Nb201GeniusJson;
  if (first->is_object()) {
    if (first->contains("mean_acc") || first->contains("test_acc")) return BenchFormat::MacroJson;
    if (first->contains("mean") || first->contains("acc")) return BenchFormat::ChannelJson;
    if (first->contains("val_acc_200")) return BenchFormat::Nb201GeniusJson;
    // A record missing its accuracy fields: the key still tells the benchmark, and the loader
    // then names the missing field.
    bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
    if (digits && key.size() == 8) return BenchFormat::MacroJson;
    if (digits && key.size() == 7) return BenchFormat::ChannelJson;
  }
  fail("{}", unknown);
}

BenchFormat classify_csv(const std::vector<std::string>& header, const std::string& path) {
  auto has = [&](const char* c) { return std::find(header.begin(), header.end(), c) != header.end(); };
  if (has("c10_val_acc") || has("c100_val_acc") || has("in16_val_acc") ||
      (has("arch_str") && has("op_ids")))
    return BenchFormat::Nb201AllCsv;
  if (has("dataset") && has("arch_str") && has("val_accuracy")) return BenchFormat::Nb201ZcCsv;
  if (has("raw_matrix_7x7_rowmajor")) return BenchFormat::Nb101ZcCsv;
  if (has("canonical_arch") || has("mean_acc")) return BenchFormat::MacroCsv;
  if (has("ch0") || (has("arch") && has("mean"))) return BenchFormat::ChannelCsv;
  if (has("arch_str")) {
    for (const auto& h : header)
      if (ends_with(h, "_ms")) return BenchFormat::Nb201LatencyCsv;
  }
  fail("{}: a CSV table this program does not know (columns: {}); supported formats: {}", path,
       quote(join(header, ","), 160), supported_formats());
}

bool is_csv(BenchFormat f) {
  return f == BenchFormat::Nb201AllCsv || f == BenchFormat::Nb201LatencyCsv ||
         f == BenchFormat::Nb201ZcCsv || f == BenchFormat::MacroCsv ||
         f == BenchFormat::ChannelCsv || f == BenchFormat::Nb101ZcCsv;
}

struct Detected {
  BenchFormat format;
  Json json;            // JSON formats, parsed
  std::string content;  // CSV and tfrecord formats, raw
};

Detected detect(const std::string& path) {
  std::string content = read_data_file(path, "expected a benchmark file; supported formats: " +
                                                 supported_formats());
  Detected d;
  if (ends_with(to_lower(path), ".tfrecord") || looks_binary(content)) {
    d.format = BenchFormat::Nb101Tfrecord;
    d.content = std::move(content);
    return d;
  }
  size_t first = content.find_first_not_of(" \t\r\n");
  if (content.compare(0, 3, "\xEF\xBB\xBF") == 0) first = content.find_first_not_of(" \t\r\n", 3);
  if (first == std::string::npos) fail("{}: the file is empty; expected a benchmark table", path);
  if (content[first] == '{' || content[first] == '[') {
    d.json = parse_json_content(content, path,
                                "expected a benchmark JSON; supported formats: " + supported_formats());
    d.format = classify_json(d.json, path);
    return d;
  }
  // A CSV is recognised by its header; it is parsed once its format (and so the hint for its
  // error messages) is known.
  size_t eol = content.find('\n', first);
  std::string header_line = content.substr(first, eol == std::string::npos ? eol : eol - first);
  std::vector<std::string> header;
  for (const auto& h : split(header_line, ',')) header.push_back(trim(h));
  d.format = classify_csv(header, path);
  d.content = std::move(content);
  return d;
}

std::string space_family(const std::string& space_name) {
  return starts_with(space_name, "channel") ? "channel" : space_name;
}

}  // namespace

std::string read_data_file(const std::string& path, const std::string& hint) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in.good()) fail("{}: file not found or not readable; {}", path, hint);
  std::streamoff size = in.tellg();
  std::string content;
  if (size > 0) {
    content.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(content.data(), size);
    if (!in.good()) fail("{}: read error after {} bytes; {}", path, in.gcount(), hint);
  }
  return content;
}

std::string format_label(BenchFormat format) {
  switch (format) {
    case BenchFormat::Nb201GeniusJson: return "GENIUS NAS-Bench-201 JSON";
    case BenchFormat::Nb201AllCsv: return "nb201_all.csv";
    case BenchFormat::Nb201LatencyCsv: return "NAS-Bench-201 latency CSV";
    case BenchFormat::Nb201ZcJson: return "NASLib zc_nasbench201.json";
    case BenchFormat::Nb201ZcCsv: return "zc_nasbench201.csv";
    case BenchFormat::MacroJson: return "NAS-Bench-Macro JSON";
    case BenchFormat::MacroCsv: return "NAS-Bench-Macro CSV";
    case BenchFormat::ChannelJson: return "Channel-Bench-Macro JSON";
    case BenchFormat::ChannelCsv: return "Channel-Bench-Macro CSV";
    case BenchFormat::Nb101ZcJson: return "NASLib zc_nasbench101.json";
    case BenchFormat::Nb101ZcCsv: return "zc_nasbench101.csv";
    case BenchFormat::Nb101Tfrecord: return "NAS-Bench-101 tfrecord";
  }
  return "?";
}

bool format_fits_space(BenchFormat format, const std::string& space_name) {
  std::string family = space_family(space_name);
  switch (format) {
    case BenchFormat::Nb201GeniusJson:
    case BenchFormat::Nb201AllCsv:
    case BenchFormat::Nb201LatencyCsv:
    case BenchFormat::Nb201ZcJson:
    case BenchFormat::Nb201ZcCsv: return family == "nb201";
    case BenchFormat::MacroJson:
    case BenchFormat::MacroCsv: return family == "macro";
    case BenchFormat::ChannelJson:
    case BenchFormat::ChannelCsv: return family == "channel";
    case BenchFormat::Nb101ZcJson:
    case BenchFormat::Nb101ZcCsv:
    case BenchFormat::Nb101Tfrecord: return family == "nb101";
  }
  return false;
}

std::string format_hint(BenchFormat format, const std::string& dataset) {
  switch (format) {
    case BenchFormat::Nb201GeniusJson:
      return fmt::format(
          "expected the GENIUS NAS-Bench-201 table {{arch string: {{val_acc_200, test_acc_200, "
          "rank}}}}; get it from github.com/mingkai-zheng/GENIUS, file "
          "benchmark/nasbench201_{}.json",
          dataset);
    case BenchFormat::Nb201AllCsv:
      return "expected the nb201_all.csv table (index, arch_str, op_ids, c10_/c100_/in16_ "
             "val_acc, test_acc, params_M, flops_M); scripts/fetch_data.sh derives it from the "
             "GENIUS NAS-Bench-201 JSONs (github.com/mingkai-zheng/GENIUS, benchmark/) and "
             "nasgen's NB201 network, or pass --benchmark-file with a GENIUS "
             "nasbench201_<dataset>.json";
    case BenchFormat::Nb201LatencyCsv:
      return "expected a NAS-Bench-201 latency table (index, arch_str, <device>_ms ...); "
             "scripts/fetch_data.sh converts it from the HELP latency lists "
             "(github.com/HayeonLee/HELP, data/nasbench201/latency/*.pt)";
    case BenchFormat::Nb201ZcJson:
    case BenchFormat::Nb201ZcCsv:
      return "expected NASLib's NAS-Bench-201 zero-cost table {dataset: {\"(6 NASLib op ids)\": "
             "{val_accuracy, synflow, ...}}}; get it from "
             "github.com/automl/NASLib, file naslib/data/zc_nasbench201.json";
    case BenchFormat::MacroJson:
    case BenchFormat::MacroCsv:
      return "expected the NAS-Bench-Macro table {8-digit key: {test_acc, mean_acc, std, params, "
             "flops}}; get it from github.com/xiusu/NAS-Bench-Macro, "
             "file data/nas-bench-macro_cifar10.json";
    case BenchFormat::ChannelJson:
    case BenchFormat::ChannelCsv:
      return "expected a Channel-Bench-Macro table {7-digit key: {acc, mean, std, params, "
             "flops}}; get it from github.com/xiusu/Channel-Bench-Macro, "
             "files Results_ResNet.json and Results_MobileNet.json";
    case BenchFormat::Nb101ZcJson:
    case BenchFormat::Nb101ZcCsv:
      return "expected NASLib's NAS-Bench-101 zero-cost table {\"nasbench101\": {\"cifar10\": "
             "{\"(56 ints)\": {val_accuracy, ...}}}}; get it from "
             "github.com/automl/NASLib, file naslib/data/zc_nasbench101.json";
    case BenchFormat::Nb101Tfrecord:
      return "expected the official NAS-Bench-101 TFRecord file (records [module_hash, epochs, "
             "adjacency, operations, base64 ModelMetrics]); get it from "
             "https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord "
             "(github.com/google-research/nasbench)";
  }
  return "";
}

BenchFormat detect_format(const std::string& path) { return detect(path).format; }

BenchFormat load_benchmark_file(TableBenchmark& table, const std::string& path, LoadMode mode) {
  Detected d = detect(path);
  const std::string space_name = table.space().name();
  std::string dataset = nb201_genius_suffix(nb201_dataset(table.name()));
  std::string hint = format_hint(d.format, dataset);
  if (!format_fits_space(d.format, space_name)) {
    fail("{}: this is a {} file, which benchmark {} cannot use (its space is {}); pass a file of "
         "that benchmark or pick the matching --benchmark",
         path, format_label(d.format), table.name(), space_name);
  }
  Ctx c{table, table.space(), path, hint, mode};
  std::unique_ptr<CsvTable> csv;
  if (is_csv(d.format))
    csv = std::make_unique<CsvTable>(std::move(d.content), path, hint);
  switch (d.format) {
    case BenchFormat::Nb201GeniusJson: load_genius_nb201(c, d.json); break;
    case BenchFormat::Nb201AllCsv: load_nb201_all_csv(c, *csv); break;
    case BenchFormat::Nb201LatencyCsv: load_latency_csv(c, *csv); break;
    case BenchFormat::Nb201ZcJson: load_zc_nb201_json(c, d.json); break;
    case BenchFormat::Nb201ZcCsv: load_zc_nb201_csv(c, *csv); break;
    case BenchFormat::MacroJson: load_macro_like_json(c, d.json, "test_acc", "mean_acc"); break;
    case BenchFormat::MacroCsv: load_macro_like_csv(c, *csv, "test_acc_seed", "mean_acc"); break;
    case BenchFormat::ChannelJson: load_macro_like_json(c, d.json, "acc", "mean"); break;
    case BenchFormat::ChannelCsv: load_macro_like_csv(c, *csv, "acc_seed", "mean"); break;
    case BenchFormat::Nb101ZcJson: load_zc_nb101_json(c, d.json); break;
    case BenchFormat::Nb101ZcCsv: load_zc_nb101_csv(c, *csv); break;
    case BenchFormat::Nb101Tfrecord: load_nb101_tfrecord(c, d.content); break;
  }
  if (mode == LoadMode::Merge) {
    if (c.merged == 0) {
      spdlog::warn("{}: none of its archs is in benchmark {}; nothing merged", path, table.name());
    } else {
      spdlog::debug("{}: merged fields into {} records of {}", path, c.merged, table.name());
    }
  }
  return d.format;
}

}  // namespace nas
