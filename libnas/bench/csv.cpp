#include "libnas/bench/csv.h"

#include <charconv>
#include <cmath>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

bool parse_number(std::string_view text, double& out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.empty()) return false;
  // from_chars rejects a leading '+', which Python never writes but spreadsheets might.
  if (text.front() == '+') text.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec == std::errc() && ptr == text.data() + text.size()) return true;
  // Python writes nan/inf as "nan", "inf"; from_chars accepts those, but "NaN"/"None" differ.
  std::string lower = to_lower(text);
  if (lower == "nan" || lower == "none" || lower == "null") {
    out = std::nan("");
    return true;
  }
  return false;
}

CsvTable::CsvTable(std::string text, std::string path, std::string hint)
    : text_(std::move(text)), path_(std::move(path)), hint_(std::move(hint)) {
  const char* p = text_.data();
  const char* end = p + text_.size();
  // A UTF-8 byte-order mark from spreadsheet exports would otherwise end up in the first name.
  if (text_.size() >= 3 && static_cast<unsigned char>(p[0]) == 0xEF &&
      static_cast<unsigned char>(p[1]) == 0xBB && static_cast<unsigned char>(p[2]) == 0xBF)
    p += 3;

  int64_t line = 1;
  std::vector<std::string_view> fields;
  bool have_header = false;
  while (p < end) {
    fields.clear();
    int64_t row_line = line;
    // One record: fields separated by commas up to an unquoted newline.
    while (true) {
      if (p < end && *p == '"') {
        std::string value;
        ++p;
        while (true) {
          if (p >= end) fail_file(fmt::format("line {}: unterminated quoted field (truncated file?)", row_line));
          if (*p == '"') {
            if (p + 1 < end && p[1] == '"') {
              value.push_back('"');
              p += 2;
              continue;
            }
            ++p;
            break;
          }
          if (*p == '\n') ++line;
          value.push_back(*p++);
        }
        unquoted_.push_back(std::move(value));
        fields.emplace_back(unquoted_.back());
        // Anything between the closing quote and the separator is kept out of the value.
        while (p < end && *p != ',' && *p != '\n') ++p;
      } else {
        const char* start = p;
        while (p < end && *p != ',' && *p != '\n') ++p;
        const char* stop = p;
        if (stop > start && stop[-1] == '\r') --stop;
        fields.emplace_back(start, static_cast<size_t>(stop - start));
      }
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      if (p < end && *p == '\n') {
        ++p;
        ++line;
      }
      break;
    }
    // Blank lines (e.g. a trailing newline pair) carry no record.
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (!have_header) {
      for (auto f : fields) header_.push_back(trim(f));
      have_header = true;
      continue;
    }
    if (fields.size() != header_.size()) {
      fail_file(fmt::format("line {}: expected {} comma-separated fields as in the header, found {}{}",
                            row_line, header_.size(), fields.size(),
                            p >= end ? " (truncated file?)" : ""));
    }
    rows_.push_back(Row{fields, row_line});
  }
  if (!have_header) fail_file("the file is empty; expected a header row and records");
}

int CsvTable::find(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return static_cast<int>(i);
  return -1;
}

int CsvTable::column(std::string_view name) const {
  int c = find(name);
  if (c < 0) fail_file(fmt::format("column {} missing", name));
  return c;
}

double CsvTable::number(size_t row, int col) const {
  double v = 0;
  if (!parse_number(rows_[row].fields[col], v)) {
    fail_at(row, fmt::format("column {}: expected a number, found {}", header_[col],
                             quote(rows_[row].fields[col])));
  }
  return v;
}

void CsvTable::fail_at(size_t row, const std::string& message) const {
  fail_file(fmt::format("line {}: {}", rows_[row].line, message));
}

void CsvTable::fail_file(const std::string& message) const {
  if (hint_.empty()) fail("{}: {}", path_, message);
  fail("{}: {}; {}", path_, message, hint_);
}

}  // namespace nas
