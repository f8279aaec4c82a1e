#include "libnas/util/strings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "libnas/util/error.h"

namespace nas {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(text.substr(start));
      return out;
    }
    out.emplace_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string> split_any(std::string_view text, std::string_view seps) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (seps.find(c) != std::string_view::npos) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

int64_t parse_int(std::string_view text, std::string_view what) {
  std::string t = trim(text);
  NAS_CHECK(!t.empty(), "{}: expected an integer, found nothing", what);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  NAS_CHECK(errno == 0 && end && *end == '\0', "{}: expected an integer, found {}", what, quote(t));
  return v;
}

double parse_double(std::string_view text, std::string_view what) {
  std::string t = trim(text);
  NAS_CHECK(!t.empty(), "{}: expected a number, found nothing", what);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  NAS_CHECK(errno == 0 && end && *end == '\0', "{}: expected a number, found {}", what, quote(t));
  return v;
}

std::vector<int64_t> parse_int_range(std::string_view text, std::string_view what) {
  std::string t = trim(text);
  std::vector<int64_t> out;
  auto colon = t.find(':');
  if (colon != std::string::npos) {
    int64_t a = parse_int(t.substr(0, colon), what);
    int64_t b = parse_int(t.substr(colon + 1), what);
    NAS_CHECK(b > a, "{}: expected a range 'first:end' with end > first, found {}", what, quote(t));
    for (int64_t i = a; i < b; ++i) out.push_back(i);
    return out;
  }
  for (const auto& part : split(t, ',')) out.push_back(parse_int(part, what));
  return out;
}

std::string shell_quote(std::string_view text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("_-+=./:,@%", c) != nullptr);
  });
  if (plain) return std::string(text);
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string quote(std::string_view text, size_t max_len) {
  if (text.size() > max_len) return "'" + std::string(text.substr(0, max_len)) + "...'";
  return "'" + std::string(text) + "'";
}

}  // namespace nas
