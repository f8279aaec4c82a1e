// Whole-file reads and atomic writes (temp file in the same directory, then rename).
#pragma once

#include <string>

namespace nas {

// Reads a file; nas::Error naming the path when it cannot be read. `hint` is appended to the
// message (e.g. how to get the file).
std::string read_file(const std::string& path, const std::string& hint = "");
bool file_exists(const std::string& path);
// Writes `content` to path atomically: readers see the old or the new file, never a mix.
void write_file_atomic(const std::string& path, const std::string& content);
// Creates a directory and its parents; nas::Error when it cannot.
void make_dirs(const std::string& path);

}  // namespace nas
