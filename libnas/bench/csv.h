// A small, fast reader for the comma-separated tables the benchmarks ship (header row, one
// record per line, optional RFC 4180 double quotes). Errors name the file, the line and the
// column, and end with a caller-supplied hint saying what file was expected and how to get it.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace nas {

class CsvTable {
 public:
  // Parses `text` (the content of `path`); `hint` is appended to every error message. A row
  // with a different number of fields than the header (a truncated file, a stray comma) is an
  // error naming its line.
  CsvTable(std::string text, std::string path, std::string hint);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  size_t num_rows() const { return rows_.size(); }
  // Column index of `name`; -1 when absent.
  int find(std::string_view name) const;
  // Column index of `name`; nas::Error "column <name> missing" otherwise.
  int column(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) >= 0; }

  std::string_view cell(size_t row, int col) const { return rows_[row].fields[col]; }
  // The cell as a number; an error naming the line and column when it is not one.
  double number(size_t row, int col) const;
  // 1-based line of a row in the file, for messages.
  int64_t line(size_t row) const { return rows_[row].line; }

  // Throws nas::Error "<path>: <message>; <hint>".
  [[noreturn]] void fail_at(size_t row, const std::string& message) const;
  [[noreturn]] void fail_file(const std::string& message) const;

 private:
  struct Row {
    std::vector<std::string_view> fields;
    int64_t line;
  };
  std::string text_;
  std::string path_;
  std::string hint_;
  std::vector<std::string> header_;
  std::vector<Row> rows_;
  std::deque<std::string> unquoted_;  // fields that contained quotes (stable addresses)
};

// Parses a whole string_view as a double (strict: no trailing characters); false when it is not
// a number.
bool parse_number(std::string_view text, double& out);

}  // namespace nas
