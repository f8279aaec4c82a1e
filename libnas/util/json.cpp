#include "libnas/util/json.h"

#include <cmath>

#include "libnas/util/error.h"

namespace nas {

Json parse_json(const std::string& text, const std::string& what) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail("{}: malformed JSON at byte {} (truncated or not JSON?)", what, e.byte);
  }
}

OrderedJson json_number(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

}  // namespace nas
