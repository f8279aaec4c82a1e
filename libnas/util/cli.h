// Command-line tools: CLI11 with the options every nasgen tool shares, examples in --help, and
// one top-level error handler (one clear line; exit 2 for bad usage or input, 1 for a runtime
// failure; never a LibTorch stack for a user mistake).
//
//   nas::Tool tool("search", "Runs a search strategy on a benchmark.");
//   tool.example("search --strategy rea --benchmark nb201-cifar10 --budget 200");
//   nas::CommonOptions common;
//   tool.add_common(common);
//   tool.app().add_option("--budget", budget, "queries");
//   return tool.run(argc, argv, [&] { ...; return 0; });
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace nas {

// Options shared by the tools; each tool adds the ones it uses.
struct CommonOptions {
  std::string config;              // --config FILE
  std::vector<std::string> sets;   // --set key.sub=value (repeatable)
  std::string device = "auto";     // --device
  std::string out;                 // --out RUN_DIR
  bool resume = false;             // --resume
  bool overwrite = false;          // --overwrite
  int64_t seed = 0;                // --seed
  int threads = 0;                 // --threads (0 = all cores)

  // The YAML config: --config file (if any) with --set overrides applied.
  YAML::Node load_config() const;
  // The same for a tool with a run directory: --resume needs --out, and a resumed run reuses
  // its own RUN_DIR/config.yaml unless --config names another one.
  YAML::Node load_run_config();
};

enum CommonFlags : unsigned {
  kConfigFlags = 1u << 0,  // --config, --set
  kDeviceFlag = 1u << 1,   // --device, --threads
  kRunDirFlags = 1u << 2,  // --out, --resume, --overwrite
  kSeedFlag = 1u << 3,     // --seed
  kAllFlags = 0xffu,
};

class Tool {
 public:
  Tool(std::string name, std::string description);
  CLI::App& app() { return app_; }
  const std::string& name() const { return name_; }
  void example(const std::string& command_line, const std::string& what = "");
  void add_common(CommonOptions& opts, unsigned flags = kAllFlags);

  // Parses argv, sets up logging, runs body and maps every failure to one line + exit status.
  int run(int argc, char** argv, const std::function<int()>& body);

 private:
  std::string name_;
  CLI::App app_;
  std::vector<std::string> examples_;
  std::string log_level_ = "info";
};

}  // namespace nas
