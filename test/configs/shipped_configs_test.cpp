// Every shipped config loads and passes its tool's validation. A config names the tool it is
// for in its header ("#   TOOL --config configs/NAME.yaml ..."); search configs also run in
// SearchTool.ShippedConfigsRun (with the benchmark tables).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;

// The tool the config's header names, "" when it names none.
std::string tool_of(const fs::path& config) {
  std::ifstream in(config);
  const std::regex usage(R"(^#\s+([a-z_]+) --config configs/)" + config.filename().string());
  std::string line;
  std::smatch m;
  while (std::getline(in, line) && starts_with(line, "#"))
    if (std::regex_search(line, m, usage)) return m[1];
  return "";
}

TEST(ShippedConfigs, EveryConfigNamesItsToolAndPassesItsValidation) {
  int checked = 0;
  for (const auto& e : fs::directory_iterator(std::string(NASGEN_SOURCE_DIR) + "/configs")) {
    const std::string name = e.path().filename().string();
    if (!ends_with(name, ".yaml")) continue;
    const std::string tool = tool_of(e.path());
    if (starts_with(name, "search_")) {
      EXPECT_TRUE(tool.empty() || tool == "search") << name << " names " << tool;
      continue;
    }
    ASSERT_FALSE(tool.empty()) << name << ": its header names no '#   TOOL --config configs/"
                               << name << "' line";
    test::ToolResult r = test::run_tool(tool, {"--config", e.path().string(), "--print-config"});
    EXPECT_EQ(r.exit_code, 0) << name << " (" << tool << "): " << r.err;
    // The tool read this file: every top-level key of it is in the printed config.
    const YAML::Node printed = YAML::Load(r.out);
    for (const auto& kv : YAML::LoadFile(e.path().string())) {
      const std::string key = kv.first.as<std::string>();
      EXPECT_TRUE(printed[key].IsDefined()) << name << ": key " << key << " not in the printed config";
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace nas
