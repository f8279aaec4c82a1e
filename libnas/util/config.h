// YAML configs into typed structs. A config struct lists its fields once:
//
//   struct ReaConfig {
//     int64_t population = 20;
//     int64_t sample_size = 5;
//     template <class V> void fields(V& v) {
//       v("population", population, "individuals kept alive");
//       v("sample_size", sample_size, "tournament size");
//     }
//   };
//
// and that one list drives decoding (unknown keys are an error naming the allowed ones), type
// errors naming the key, writing the resolved config back, and documentation.
// Supported field types: bool, integers, double, std::string, std::vector of those, YAML::Node
// (kept as is, for sections decoded later by a plug-in), and nested structs with fields().
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

// Reads a YAML file; nas::Error with the file name and the parser's line on failure.
YAML::Node load_yaml_file(const std::string& path);
// Parses YAML text; `what` names it in errors.
YAML::Node parse_yaml(const std::string& text, const std::string& what);

// Applies "a.b.c=value" overrides (the --set flag); the value is parsed as YAML, so
// "a=3", "a=[1,2]" and "a=text" all work. Creates missing intermediate maps.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& sets);

// Writes YAML text atomically.
void save_yaml_file(const YAML::Node& node, const std::string& path);

namespace detail {

template <typename T, typename = void>
struct has_fields : std::false_type {};
template <typename T>
struct has_fields<T, std::void_t<decltype(std::declval<T&>().fields(std::declval<int&>()))>>
    : std::true_type {};

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

std::string node_text(const YAML::Node& n);
std::string join_path(const std::string& prefix, const std::string& key);

template <typename T>
void decode_value(const YAML::Node& n, T& out, const std::string& path);

struct Decoder {
  const YAML::Node& node;
  std::string prefix;
  std::set<std::string> seen;
  std::vector<std::string> allowed;

  template <typename T>
  void operator()(const char* key, T& field, const char* /*help*/ = "") {
    allowed.emplace_back(key);
    const YAML::Node child = node[key];
    if (!child.IsDefined() || child.IsNull()) return;
    seen.insert(key);
    decode_value(child, field, join_path(prefix, key));
  }
};

template <typename T>
void decode_value(const YAML::Node& n, T& out, const std::string& path) {
  if constexpr (std::is_same_v<T, YAML::Node>) {
    out = n;
  } else if constexpr (has_fields<T>::value) {
    NAS_CHECK(n.IsMap(), "config key {}: expected a section (map), found {}", path, node_text(n));
    Decoder d{n, path, {}, {}};
    out.fields(d);
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (!d.seen.count(key)) {
        bool known = false;
        for (const auto& a : d.allowed) known |= (a == key);
        NAS_CHECK(known, "config: unknown key {}; allowed keys{}: {}", join_path(path, key),
                  path.empty() ? "" : " in " + path, join(d.allowed, ", "));
      }
    }
  } else if constexpr (is_vector<T>::value) {
    using E = typename T::value_type;
    NAS_CHECK(n.IsSequence(), "config key {}: expected a list, found {}", path, node_text(n));
    out.clear();
    for (size_t i = 0; i < n.size(); ++i) {
      E e{};
      decode_value(n[i], e, path + "[" + std::to_string(i) + "]");
      out.push_back(std::move(e));
    }
  } else {
    NAS_CHECK(n.IsScalar(), "config key {}: expected a single value, found {}", path, node_text(n));
    try {
      if constexpr (std::is_same_v<T, bool>) {
        out = n.as<bool>();
      } else if constexpr (std::is_integral_v<T>) {
        out = static_cast<T>(parse_int(n.Scalar(), "config key " + path));
      } else if constexpr (std::is_floating_point_v<T>) {
        out = static_cast<T>(parse_double(n.Scalar(), "config key " + path));
      } else {
        out = n.as<T>();
      }
    } catch (const YAML::Exception&) {
      fail("config key {}: cannot read {} as the expected type", path, node_text(n));
    }
  }
}

struct Encoder {
  YAML::Node node;
  template <typename T>
  void operator()(const char* key, const T& field, const char* /*help*/ = "");
};

template <typename T>
YAML::Node encode_value(const T& v) {
  if constexpr (std::is_same_v<T, YAML::Node>) {
    return v ? YAML::Clone(v) : YAML::Node(YAML::NodeType::Map);
  } else if constexpr (has_fields<T>::value) {
    Encoder e{YAML::Node(YAML::NodeType::Map)};
    const_cast<T&>(v).fields(e);
    return e.node;
  } else if constexpr (is_vector<T>::value) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const auto& x : v) seq.push_back(encode_value(x));
    return seq;
  } else {
    return YAML::Node(v);
  }
}

template <typename T>
void Encoder::operator()(const char* key, const T& field, const char*) {
  node[key] = encode_value(field);
}

struct Lister {
  std::string prefix;
  std::vector<std::pair<std::string, std::string>>* out;
  template <typename T>
  void operator()(const char* key, T& field, const char* help = "") {
    if constexpr (has_fields<T>::value) {
      Lister sub{join_path(prefix, key), out};
      field.fields(sub);
    } else {
      out->emplace_back(join_path(prefix, key), help);
    }
  }
};

}  // namespace detail

// Fills `out` from `node` (a map); fields absent from the node keep their defaults.
template <typename T>
void decode_config(const YAML::Node& node, T& out, const std::string& path = "") {
  if (!node || node.IsNull()) return;
  detail::decode_value(node, out, path);
}

// The resolved config as YAML (every field, defaults included).
template <typename T>
YAML::Node encode_config(const T& cfg) {
  return detail::encode_value(cfg);
}

// Every leaf key ("a.b") with its help text, for documentation and --help.
template <typename T>
std::vector<std::pair<std::string, std::string>> config_keys(T& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  detail::Lister l{"", &out};
  cfg.fields(l);
  return out;
}

}  // namespace nas
