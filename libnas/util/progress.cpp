#include "libnas/util/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "libnas/util/log.h"

namespace nas {

std::string format_duration(double s) {
  if (s < 0 || s != s) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  int64_t t = static_cast<int64_t>(s + 0.5);
  if (t < 3600) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
}

bool Progress::on_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, std::string unit, double period_s)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      period_s_(period_s),
      tty_(on_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (!finished_ && tty_ && done_ > 0) std::fputc('\n', stderr);
}

std::string Progress::line(int64_t done, double best, const std::string& note) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done / elapsed : 0.0;
  std::string s = fmt::format("{}: {}", label_, done);
  if (total_ > 0) s += fmt::format("/{} ({:.0f}%)", total_, 100.0 * done / total_);
  s += fmt::format(" {} | {:.1f} {}/s | {}", unit_, rate, unit_, format_duration(elapsed));
  if (total_ > 0 && rate > 0 && done < total_)
    s += fmt::format(" | ETA {}", format_duration((total_ - done) / rate));
  if (best != kNoBest) s += fmt::format(" | best {:.4g}", best);
  if (!note.empty()) s += " | " + note;
  return s;
}

void Progress::update(int64_t done, double best, const std::string& note) {
  done_ = done;
  if (best != kNoBest) best_ = best;
  if (!note.empty()) note_ = note;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_) {
    if (since < 0.1 && done != total_) return;
    std::fprintf(stderr, "\r\033[K%s", line(done_, best_, note_).c_str());
    std::fflush(stderr);
    last_print_ = now;
  } else if (since >= period_s_) {
    spdlog::info("{}", line(done_, best_, note_));
    last_print_ = now;
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s\n", line(done_, best_, note_).c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line(done_, best_, note_));
  }
}

}  // namespace nas
