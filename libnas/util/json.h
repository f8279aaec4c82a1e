// JSON: nlohmann::json under a short name, plus the number formatting the project uses.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace nas {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses JSON text; nas::Error naming `what` and the byte offset on failure.
Json parse_json(const std::string& text, const std::string& what);
// A double as JSON: NaN/Inf become null (JSON has no NaN).
OrderedJson json_number(double v);

}  // namespace nas
