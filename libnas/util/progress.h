// A progress line for long work: on a terminal, one line redrawn in place with rate, ETA and
// the best value so far; otherwise a plain log line at most every `period_s` seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nas {

class Progress {
 public:
  // total: number of steps (<= 0 when unknown); unit: "queries", "batches", ...
  Progress(std::string label, int64_t total, std::string unit, double period_s = 10.0);
  ~Progress();

  // Sets the step count reached and (optionally) the best value so far and a free note.
  void update(int64_t done, double best = kNoBest, const std::string& note = "");
  // Prints the final line (newline on a terminal).
  void finish();

  // Whether stderr is a terminal (progress redraws in place there).
  static bool on_terminal();
  static constexpr double kNoBest = -1e300;

 private:
  std::string line(int64_t done, double best, const std::string& note) const;

  std::string label_, unit_;
  int64_t total_;
  double period_s_;
  bool tty_;
  bool finished_ = false;
  int64_t done_ = 0;
  double best_ = kNoBest;
  std::string note_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace nas
