// get_performance: looks an architecture up in a tabular benchmark (GENIUS's get_performance.py
// usage, plus nasgen's benchmark names, any supported benchmark file and JSON output).
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "libnas/bench/tabular_benchmark.h"
#include "libnas/util/cli.h"
#include "libnas/util/error.h"
#include "libnas/util/json.h"
#include "libnas/util/strings.h"

namespace {

struct Options {
  std::string benchmark;
  std::string arch;
  std::string file;
  std::string by = "val_acc";
  bool json = false;
  bool oracle = false;
  bool list = false;
};

nas::OrderedJson metrics_json(const nas::Metrics& m) {
  nas::OrderedJson j;
  j["val_acc"] = nas::json_number(m.val_acc);
  j["test_acc"] = nas::json_number(m.test_acc);
  j["params"] = nas::json_number(m.params);
  j["flops"] = nas::json_number(m.flops);
  j["train_seconds"] = nas::json_number(m.train_seconds);
  nas::OrderedJson extra = nas::OrderedJson::object();
  for (const auto& kv : m.extra) extra[kv.first] = nas::json_number(kv.second);
  j["extra"] = extra;
  return j;
}

// Shortest text that reads back as the same double: values print exactly as the source
// files hold them.
std::string num(double v) { return nas::present(v) ? fmt::format("{}", v) : "n/a"; }

std::string count(double v) {
  if (!nas::present(v)) return "n/a";
  return fmt::format("{:.0f} ({:.4g} M)", v, v / 1e6);
}

// "key   value" with the values aligned (the longest latency key is 25 characters).
void print_line(const std::string& key, const std::string& value) {
  std::printf("%-25s %s\n", key.c_str(), value.c_str());
}

int run(const Options& o) {
  if (o.list) {
    for (const auto& n : nas::benchmark_names()) std::printf("%s\n", n.c_str());
    return 0;
  }
  NAS_CHECK(!o.benchmark.empty(), "--benchmark is required (one of: {})",
            nas::join(nas::benchmark_names(), ", "));
  NAS_CHECK(!o.arch.empty() || o.oracle,
            "--arch is required (or --oracle to print the benchmark's best architecture)");

  // A mistyped arch is reported before any file is read.
  nas::Arch arch;
  if (!o.arch.empty()) {
    auto arch_space = nas::make_space(nas::benchmark_space_name(o.benchmark));
    try {
      arch = arch_space->parse(o.arch);
    } catch (const nas::Error& e) {
      nas::fail("--arch {}: {}", nas::quote(o.arch), e.what());
    }
  }

  auto bench = nas::open_benchmark(o.benchmark, o.file);
  const nas::SearchSpace& space = bench->space();
  nas::OrderedJson out;
  out["benchmark"] = bench->name();
  out["source"] = bench->source();
  out["num_archs"] = bench->num_archs();

  if (!o.arch.empty()) {
    nas::Metrics m = bench->query(arch);
    int64_t rank = bench->rank(arch, o.by);
    int64_t test_rank = -1;
    if (o.by != "test_acc" && nas::present(m.test_acc)) test_rank = bench->rank(arch, "test_acc");

    out["arch"] = space.format(arch);
    out["hash"] = space.hash(arch);
    out["rank"] = rank;
    out["rank_by"] = o.by;
    if (test_rank > 0) out["test_rank"] = test_rank;
    nas::OrderedJson mj = metrics_json(m);
    for (auto it = mj.begin(); it != mj.end(); ++it) out[it.key()] = *it;

    if (!o.json) {
      print_line("benchmark", fmt::format("{} ({} archs; {})", bench->name(), bench->num_archs(),
                                          bench->source()));
      print_line("arch", space.format(arch));
      print_line("rank", fmt::format("{} of {} by {}", rank, bench->num_archs(), o.by));
      // Benchmarks without a validation split store their mean test accuracy as both.
      bool no_val_split = nas::present(m.val_acc) && m.val_acc == m.test_acc;
      if (test_rank > 0 && !no_val_split)
        print_line("test rank", fmt::format("{} of {} by test_acc", test_rank, bench->num_archs()));
      print_line("val_acc", num(m.val_acc) + (no_val_split ? " (= test_acc: no validation split)" : ""));
      print_line("test_acc", num(m.test_acc));
      if (nas::present(m.params)) print_line("params", count(m.params));
      if (nas::present(m.flops)) print_line("flops", count(m.flops));
      if (nas::present(m.train_seconds)) print_line("train_seconds", num(m.train_seconds));
      // Latencies first, then the other extra fields (seeds, zero-cost scores ...).
      for (const auto& kv : m.extra)
        if (nas::starts_with(kv.first, "latency_")) print_line(kv.first, num(kv.second));
      for (const auto& kv : m.extra)
        if (!nas::starts_with(kv.first, "latency_")) print_line(kv.first, num(kv.second));
    }
  }

  if (o.oracle) {
    auto [best_arch, best] = bench->best(o.by);
    nas::OrderedJson oracle;
    oracle["by"] = o.by;
    oracle["arch"] = space.format(best_arch);
    oracle["value"] = nas::json_number(best.get(o.by));
    oracle["metrics"] = metrics_json(best);
    bool has_test = o.by != "test_acc" && nas::present(best.test_acc);
    std::pair<nas::Arch, nas::Metrics> best_test;
    if (has_test) {
      best_test = bench->best("test_acc");
      oracle["best_test_arch"] = space.format(best_test.first);
      oracle["best_test_acc"] = nas::json_number(best_test.second.test_acc);
    }
    out["oracle"] = oracle;
    if (!o.json) {
      print_line(fmt::format("best {}", o.by),
                 fmt::format("{} at {}", num(best.get(o.by)), space.format(best_arch)));
      if (has_test) {
        print_line(fmt::format("  its test_acc"), num(best.test_acc));
        print_line("best test_acc", fmt::format("{} at {}", num(best_test.second.test_acc),
                                                space.format(best_test.first)));
      }
    }
  }

  if (o.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  nas::Tool tool("get_performance",
                 "Looks an architecture up in a tabular NAS benchmark: rank, accuracies, params, "
                 "FLOPs and latencies as the benchmark recorded them.");
  tool.example("get_performance --benchmark nb201-cifar10 --arch 213401",
               "NAS-Bench-201 on CIFAR-10; 6 op digits (0 none, 1 skip, 2 conv1x1, 3 conv3x3, "
               "4 avgpool) or the |op~0|+... string");
  tool.example("get_performance --benchmark nas-macro --arch 01201201",
               "NAS-Bench-Macro, GENIUS names work (nas-macro, channel-res, channel-mob, "
               "201-cifar10, 201-cifar100, 201-imagenet)");
  tool.example("get_performance --benchmark channel-res --arch '64, 128, 192, 256, 256, 512, 512'",
               "Channel-Bench-Macro ResNet by channel widths (or the 7 digits 1-4)");
  tool.example("get_performance --benchmark macro-cifar10 --oracle --json",
               "the best architecture of a benchmark, as JSON");
  tool.example("get_performance --benchmark nb201-cifar100 --benchmark-file nasbench201_cifar100.json "
               "--arch 333333",
               "read another file of the benchmark (format detected from its content)");

  Options o;
  auto& app = tool.app();
  app.add_option("--benchmark,-b", o.benchmark,
                 "nb201-cifar10, nb201-cifar100, nb201-imagenet16, macro-cifar10, channel-resnet, "
                 "channel-mobilenet, nb101 (or a GENIUS name)");
  app.add_option("--arch,-a", o.arch, "Architecture in the space's text form");
  app.add_option("--benchmark-file", o.file,
                 "Read this file instead of the default one under the data directory "
                 "($NASGEN_DATA, ../shared/data or the tables scripts/fetch_data.sh installed)");
  app.add_option("--by", o.by, "Metric for rank and --oracle (val_acc, test_acc, or an extra key)")
      ->capture_default_str();
  app.add_flag("--json", o.json, "Print one JSON object instead of text");
  app.add_flag("--oracle", o.oracle, "Also print the best architecture and its test accuracy");
  app.add_flag("--list", o.list, "List the benchmark names and exit");
  return tool.run(argc, argv, [&] { return run(o); });
}
