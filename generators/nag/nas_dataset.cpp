#include "generators/nag/nas_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"

namespace nas::nag {

namespace {

// Config structs with fields() as a flat JSON object and back (JSON is YAML, so decoding goes
// through the config decoder and keeps its errors for unknown keys).
struct JsonWriter {
  Json* out;
  template <typename T>
  void operator()(const char* key, const T& field, const char* = "") {
    (*out)[key] = field;
  }
};

Json network_to_json(const NetworkConfig& cfg) {
  Json j = Json::object();
  JsonWriter w{&j};
  const_cast<NetworkConfig&>(cfg).fields(w);
  return j;
}

NetworkConfig network_from_json(const Json& j, const std::string& what) {
  NetworkConfig cfg;
  decode_config(parse_yaml(j.dump(), what), cfg, "network");
  return cfg;
}

Json number_or_null(double v) { return present(v) ? Json(v) : Json(nullptr); }

double read_number(const Json& rec, const char* key, bool required, const std::string& where) {
  if (!rec.contains(key) || rec[key].is_null()) {
    NAS_CHECK(!required, "{}: record has no \"{}\"", where, key);
    return kMissing;
  }
  NAS_CHECK(rec[key].is_number(), "{}: \"{}\" must be a number, found {}", where, key, rec[key].dump());
  return rec[key].get<double>();
}

}  // namespace

void write_nas_dataset(const NasDataset& data, const std::string& path) {
  auto space = make_space(data.space);
  Json header = {{"kind", "nas_dataset"},
                 {"version", 1},
                 {"space", data.space},
                 {"source", data.source},
                 {"benchmark", data.benchmark},
                 {"network", data.network ? network_to_json(*data.network) : Json(nullptr)},
                 {"image_dataset", data.image_dataset}};
  std::string text = header.dump() + "\n";
  for (size_t i = 0; i < data.records.size(); ++i) {
    const NasRecord& r = data.records[i];
    space->validate(r.arch);
    Json rec = {{"arch", space->format(r.arch)},
                {"acc", number_or_null(r.acc)},
                {"params", number_or_null(r.params)},
                {"flops", number_or_null(r.flops)}};
    text += rec.dump() + "\n";
  }
  write_file_atomic(path, text);
}

std::string resolve_nas_dataset(const std::string& path) {
  namespace fs = std::filesystem;
  NAS_CHECK(!path.empty(), "no NAS dataset given: set `dataset` in the config or pass --dataset "
            "(a build_nas_dataset run directory or its nas_dataset.jsonl)");
  std::error_code ec;
  const fs::path p(path);
  const std::string from =
      p.is_relative()
          ? fmt::format(" (relative to the working directory {})", fs::current_path(ec).string())
          : "";
  if (fs::is_directory(p, ec)) {
    const fs::path file = p / "nas_dataset.jsonl";
    NAS_CHECK(fs::is_regular_file(file, ec),
              "NAS dataset {}{}: a directory without nas_dataset.jsonl; pass a build_nas_dataset "
              "run directory or the file",
              path, from);
    return file.string();
  }
  NAS_CHECK(fs::is_regular_file(p, ec),
            "NAS dataset {}{}: not found; build it with build_nas_dataset --out DIR and pass "
            "--dataset DIR",
            path, from);
  return path;
}

NasDataset read_nas_dataset(const std::string& path) {
  const std::string text = read_file(path, "(a NAS dataset: build one with build_nas_dataset)");
  std::istringstream in(text);
  std::string line;
  NAS_CHECK(std::getline(in, line), "{}: empty file, expected a NAS dataset", path);
  Json header = parse_json(line, path + " line 1");
  NAS_CHECK(header.is_object() && header.value("kind", "") == "nas_dataset",
            "{} line 1: expected the header {{\"kind\": \"nas_dataset\", ...}} of a NAS dataset "
            "(build one with build_nas_dataset)",
            path);
  NasDataset data;
  data.space = header.value("space", "");
  data.source = header.value("source", "");
  data.benchmark = header.value("benchmark", "");
  data.image_dataset = header.value("image_dataset", "");
  if (header.contains("network") && header["network"].is_object())
    data.network = network_from_json(header["network"], path + " line 1 network");
  std::shared_ptr<SearchSpace> space;
  try {
    space = make_space(data.space);
  } catch (const Error& e) {
    fail("{} line 1: {}", path, e.what());
  }
  int64_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{} line {}", path, lineno);
    Json rec = parse_json(line, where);
    NAS_CHECK(rec.is_object() && rec.contains("arch") && rec["arch"].is_string(),
              "{}: expected a record {{\"arch\": ..., \"acc\": ..., \"params\": ...}}", where);
    NasRecord r;
    try {
      r.arch = space->parse(rec["arch"].get<std::string>());
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
    r.acc = read_number(rec, "acc", true, where);
    r.params = read_number(rec, "params", true, where);
    r.flops = read_number(rec, "flops", false, where);
    data.records.push_back(std::move(r));
  }
  NAS_CHECK(!data.records.empty(), "{}: the NAS dataset has no records", path);
  return data;
}

NasDataset nas_dataset_from_benchmark(const TabularBenchmark& bench, int64_t n, uint64_t seed,
                                      const std::string& by) {
  std::vector<std::pair<Arch, Metrics>> all;
  bench.for_each([&](const Arch& a, const Metrics& m) { all.emplace_back(a, m); });
  // Aliases (equivalent keys) would be drawn twice: keep one record per canonical arch.
  std::vector<std::pair<Arch, Metrics>> distinct;
  {
    std::unordered_map<std::string, bool> seen;
    for (auto& am : all)
      if (seen.emplace(bench.space().hash(am.first), true).second) distinct.push_back(std::move(am));
  }
  NAS_CHECK(n >= 1 && n <= static_cast<int64_t>(distinct.size()),
            "benchmark {}: asked for {} records, it has {} distinct architectures", bench.name(), n,
            distinct.size());
  Rng rng(seed);
  rng.shuffle(distinct);
  NasDataset data;
  data.space = bench.space().name();
  data.benchmark = bench.name();
  data.source = fmt::format("{} of benchmark {} ({} records drawn uniformly, seed {})", by,
                            bench.name(), n, seed);
  for (int64_t i = 0; i < n; ++i) {
    const auto& [arch, m] = distinct[static_cast<size_t>(i)];
    NasRecord r;
    r.arch = arch;
    r.acc = m.get(by);
    r.params = m.params;
    r.flops = m.flops;
    NAS_CHECK(present(r.acc), "benchmark {}: a record has no {} (fields: {})", bench.name(), by,
              fmt::join(bench.fields(), ", "));
    NAS_CHECK(present(r.params), "benchmark {}: a record has no params column", bench.name());
    data.records.push_back(std::move(r));
  }
  return data;
}

int64_t ConditionScale::label(double value) const {
  for (size_t i = 0; i < bounds.size(); ++i)
    if (value <= bounds[i]) return static_cast<int64_t>(i);
  return classes() - 1;
}

std::pair<double, double> ConditionScale::range(int64_t k) const {
  const double lo = k == 0 ? min : bounds[static_cast<size_t>(k - 1)];
  const double hi = k == classes() - 1 ? max : bounds[static_cast<size_t>(k)];
  return {lo, hi};
}

ConditionScale ConditionScale::fit(const std::string& name, std::vector<double> values,
                                   int64_t classes) {
  NAS_CHECK(classes >= 2, "condition {}: expected at least 2 classes, found {}", name, classes);
  NAS_CHECK(static_cast<int64_t>(values.size()) >= classes,
            "condition {}: {} values cannot be split into {} classes", name, values.size(), classes);
  for (double v : values)
    NAS_CHECK(std::isfinite(v), "condition {}: the data has a missing or infinite value", name);
  std::sort(values.begin(), values.end());
  ConditionScale s;
  s.name = name;
  s.min = values.front();
  s.max = values.back();
  const size_t step = values.size() / static_cast<size_t>(classes);
  for (int64_t i = 1; i < classes; ++i) s.bounds.push_back(values[step * static_cast<size_t>(i)]);
  return s;
}

Json ConditionScale::to_json() const {
  return {{"name", name}, {"bounds", bounds}, {"min", min}, {"max", max}};
}

ConditionScale ConditionScale::from_json(const Json& j) {
  ConditionScale s;
  try {
    s.name = j.at("name").get<std::string>();
    s.bounds = j.at("bounds").get<std::vector<double>>();
    s.min = j.at("min").get<double>();
    s.max = j.at("max").get<double>();
  } catch (const Json::exception& e) {
    fail("condition scale: expected {{\"name\", \"bounds\", \"min\", \"max\"}}, found {} ({})",
         j.dump(), e.what());
  }
  NAS_CHECK(!s.bounds.empty() && std::is_sorted(s.bounds.begin(), s.bounds.end()) &&
                s.min <= s.bounds.front() && s.bounds.back() <= s.max,
            "condition scale {}: expected ascending bounds within [min, max], found {}", s.name, j.dump());
  return s;
}

std::vector<int64_t> ConditionScale::empty_classes() const {
  // Class k > 0 holds the values in (bounds[k - 1], bounds[k]], the top class those above
  // bounds.back(); class 0 holds min.
  std::vector<int64_t> out;
  for (size_t i = 1; i < bounds.size(); ++i)
    if (bounds[i] == bounds[i - 1]) out.push_back(static_cast<int64_t>(i));
  if (!bounds.empty() && bounds.back() >= max) out.push_back(classes() - 1);
  return out;
}

double condition_value(const NasRecord& r, const std::string& name) {
  if (name == "acc") return r.acc;
  if (name == "params") return r.params;
  fail("condition '{}': expected acc or params", name);
}

}  // namespace nas::nag
