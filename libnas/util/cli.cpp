#include "libnas/util/cli.h"

#include <c10/util/Exception.h>

#include <cstdio>
#include <iostream>

#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"

namespace nas {

YAML::Node CommonOptions::load_config() const {
  YAML::Node root = config.empty() ? YAML::Node(YAML::NodeType::Map) : load_yaml_file(config);
  NAS_CHECK(root.IsMap(), "config file {}: expected a map of keys at the top level", config);
  apply_overrides(root, sets);
  return root;
}

YAML::Node CommonOptions::load_run_config() {
  NAS_CHECK(!resume || !out.empty(), "--resume needs --out RUN_DIR naming the run to continue");
  if (resume && config.empty() && file_exists(out + "/config.yaml")) config = out + "/config.yaml";
  return load_config();
}

Tool::Tool(std::string name, std::string description)
    : name_(std::move(name)), app_(std::move(description), name_) {
  app_.set_help_flag("-h,--help", "Print this help and exit");
  app_.add_option("--log-level", log_level_, "trace, debug, info, warn, error or off")
      ->capture_default_str();
}

void Tool::example(const std::string& command_line, const std::string& what) {
  examples_.push_back(what.empty() ? "  " + command_line
                                   : "  " + command_line + "\n      " + what);
  std::string footer = "\nExamples:\n";
  for (const auto& e : examples_) footer += e + "\n";
  app_.footer(footer);
}

void Tool::add_common(CommonOptions& o, unsigned flags) {
  if (flags & kConfigFlags) {
    app_.add_option("--config", o.config, "YAML config file");
    app_.add_option("--set", o.sets, "Override a config key: --set a.b=value (repeatable)")
        ->type_name("KEY=VALUE");
  }
  if (flags & kDeviceFlag) {
    app_.add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    app_.add_option("--threads", o.threads, "LibTorch threads (0 = all cores)")
        ->capture_default_str();
  }
  if (flags & kRunDirFlags) {
    app_.add_option("--out", o.out, "Run directory (default runs/<tool>-<time>)");
    app_.add_flag("--resume", o.resume, "Continue the run in --out after an interruption");
    app_.add_flag("--overwrite", o.overwrite, "Replace a non-empty --out directory");
  }
  if (flags & kSeedFlag) {
    app_.add_option("--seed", o.seed, "Seed of every random number generator")
        ->capture_default_str();
  }
}

int Tool::run(int argc, char** argv, const std::function<int()>& body) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app_.exit(e);  // --help
    std::fprintf(stderr, "%s: error: %s (see %s --help)\n", name_.c_str(), e.what(), name_.c_str());
    return 2;
  }
  try {
    init_logging(log_level_);
    int rc = body();
    spdlog::default_logger()->flush();
    return rc;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", name_.c_str(), e.what());
    return e.exit_code();
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: error: LibTorch: %s\n", name_.c_str(),
                 e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name_.c_str(), e.what());
    return 1;
  }
}

}  // namespace nas
