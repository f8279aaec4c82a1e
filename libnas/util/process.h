// Running an external program (gnuplot, Graphviz's dot) and reading what it printed.
#pragma once

#include <string>
#include <vector>

namespace nas {

// Full path of `program` found in $PATH; "" when absent.
std::string find_program(const std::string& program);

// What a finished program left: its exit status (as a shell reports it: 128 + N when killed by
// signal N, 127 when it could not start, -1 when no process was made) and everything it wrote to
// standard output and standard error.
struct ProgramOutput {
  int status = -1;
  std::string out, err;
  bool ok() const { return status == 0; }
  // The last non-empty line of `err` (where gnuplot and dot say what was wrong), or a line
  // saying how the program ended.
  std::string failure(const std::string& name) const;
};

// Runs `path` with `args` (standard input is /dev/null), in `dir` when not empty, and waits
// for it.
ProgramOutput run_program(const std::string& path, const std::vector<std::string>& args,
                          const std::string& dir = "");

}  // namespace nas
