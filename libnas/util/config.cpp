#include "libnas/util/config.h"

#include <fstream>
#include <sstream>

#include "libnas/util/file_io.h"

namespace nas {

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  NAS_CHECK(in.good(), "config file {}: cannot open it (expected a readable YAML file)", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_yaml(ss.str(), "config file " + path);
}

YAML::Node parse_yaml(const std::string& text, const std::string& what) {
  try {
    YAML::Node n = YAML::Load(text);
    return n ? n : YAML::Node(YAML::NodeType::Map);
  } catch (const YAML::Exception& e) {
    fail("{}: malformed YAML at line {}: {}", what, e.mark.line + 1, e.msg);
  }
}

void apply_overrides(YAML::Node& root, const std::vector<std::string>& sets) {
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  for (const auto& s : sets) {
    auto eq = s.find('=');
    NAS_CHECK(eq != std::string::npos && eq > 0, "--set {}: expected key.sub=value", quote(s));
    const std::string key = trim(s.substr(0, eq));
    const std::string value = s.substr(eq + 1);
    auto parts = split(key, '.');
    for (const auto& p : parts) NAS_CHECK(!p.empty(), "--set {}: empty key part", quote(s));
    YAML::Node value_node = parse_yaml(value.empty() ? "''" : value, "--set " + key);
    // Walk down with fresh handles: yaml-cpp nodes are references, so assignment through a
    // handle rebinds; build the path with operator[] on each level.
    std::vector<YAML::Node> chain{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = chain.back()[parts[i]];
      if (!next.IsMap()) {
        NAS_CHECK(!next.IsDefined() || next.IsNull(),
                  "--set {}: {} is a value, not a section", quote(s), parts[i]);
        chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
        next = chain.back()[parts[i]];
      }
      chain.push_back(next);
    }
    chain.back()[parts.back()] = value_node;
  }
}

void save_yaml_file(const YAML::Node& node, const std::string& path) {
  YAML::Emitter em;
  em << node;
  write_file_atomic(path, std::string(em.c_str()) + "\n");
}

namespace detail {

std::string node_text(const YAML::Node& n) {
  if (n.IsScalar()) return quote(n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a section";
  return "nothing";
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

}  // namespace detail
}  // namespace nas
