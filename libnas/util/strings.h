// Small string helpers shared by parsers of native arch texts, CSV rows and command lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nas {

// Splits on every occurrence of sep; keeps empty fields.
std::vector<std::string> split(std::string_view text, char sep);
// Splits on runs of any of the characters in seps; drops empty fields.
std::vector<std::string> split_any(std::string_view text, std::string_view seps);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string to_lower(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Strict number parsing: the whole (trimmed) text must be the number, else nas::Error naming
// `what` (e.g. "budget") and the text.
int64_t parse_int(std::string_view text, std::string_view what);
double parse_double(std::string_view text, std::string_view what);

// "0:20" -> 0..19, "3" -> {3}, "1,4,7" -> {1,4,7}; errors name `what`.
std::vector<int64_t> parse_int_range(std::string_view text, std::string_view what);

// Quotes a string for a one-line message ("'abc'"), shortened when long.
std::string quote(std::string_view text, size_t max_len = 80);

// `text` as one word of a POSIX shell command: unchanged when it holds only characters no shell
// treats specially, else in single quotes (a quote inside becomes '\'').
std::string shell_quote(std::string_view text);

}  // namespace nas
