// Loaders for the public benchmark files (data/PROVENANCE.md describes each one). Every loader
// discovers what its file holds and fails with one line naming the file, what was expected and
// how to get it: a missing or truncated file, malformed JSON/CSV, a record without a field.
#pragma once

#include <string>
#include <vector>

#include "libnas/bench/tabular_benchmark.h"

namespace nas {

// The formats a benchmark file can have; detect_format() tells them apart by content.
enum class BenchFormat {
  Nb201GeniusJson,  // {nb201 string: {val_acc_200, test_acc_200, rank}}
  Nb201AllCsv,      // nb201_all.csv: c10_/c100_/in16_ val, test, params_M, flops_M
  Nb201LatencyCsv,  // index, arch_str, <device>_ms ... (HELP or the HW-NAS-Bench subset)
  Nb201ZcJson,      // NASLib zc_nasbench201.json: {dataset: {"(6 NASLib ids)": {...}}}
  Nb201ZcCsv,       // its CSV conversion
  MacroJson,        // NAS-Bench-Macro {8 digits: {test_acc[3], mean_acc, std, params, flops}}
  MacroCsv,
  ChannelJson,      // Channel-Bench-Macro {7 digits: {acc[3], mean, std, params, flops}}
  ChannelCsv,
  Nb101ZcJson,      // NASLib zc_nasbench101.json: {"nasbench101": {"cifar10": {"(56 ints)": {...}}}}
  Nb101ZcCsv,
  Nb101Tfrecord,    // the official nasbench_only108.tfrecord
};

// Short human name of a format ("GENIUS NAS-Bench-201 JSON").
std::string format_label(BenchFormat format);
// The benchmark family (space name: nb201, macro, channel-resnet/-mobilenet, nb101) whose
// records a format holds; channel formats fit both channel spaces.
bool format_fits_space(BenchFormat format, const std::string& space_name);

// Detects the format of `path` from its extension and first bytes; nas::Error naming the file
// and the supported formats when it is none of them, or when the file cannot be read.
BenchFormat detect_format(const std::string& path);

// How records are put into the table: Add creates records (the file is the benchmark);
// Merge only adds fields (latencies, zero-cost scores) to records already there and skips
// archs the table lacks.
enum class LoadMode { Add, Merge };

// Loads `path` into `table`. The family comes from table.space().name(); for nb201 the dataset
// comes from the table's name (nb201-cifar10, nb201-cifar100, nb201-imagenet16). Returns the
// detected format; nas::Error (one line) on every problem with the file.
BenchFormat load_benchmark_file(TableBenchmark& table, const std::string& path,
                                LoadMode mode = LoadMode::Add);

// One line saying what a file of `format` is and where to get it, appended to error messages
// ("expected ...; get it from ..."). `dataset` picks the GENIUS file name for NB201
// (cifar10, cifar100, imagenet).
std::string format_hint(BenchFormat format, const std::string& dataset = "cifar10");

// Reads a whole file; nas::Error "<path>: file not found; <hint>" when it cannot be read.
std::string read_data_file(const std::string& path, const std::string& hint);

}  // namespace nas
