#include "libnas/util/plot.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"
#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// A gnuplot single-quoted string ('' stands for a quote inside it).
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : "?"; }

// Runs gnuplot on `script` inside `dir`; returns "" on success, else what went wrong.
std::string run_gnuplot(const std::string& gnuplot, const std::string& dir,
                        const std::string& script) {
  int fds[2];
  if (::pipe(fds) != 0) return "cannot create a pipe";
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return "cannot fork";
  }
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execl(gnuplot.c_str(), gnuplot.c_str(), script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string err;
  char buf[4096];
  ssize_t got;
  while ((got = ::read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(got));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  // gnuplot ends its report with "file, line N: what is wrong"; that line says the most.
  std::string last;
  for (const auto& l : split(err, '\n')) {
    if (!trim(l).empty()) last = trim(l);
  }
  if (WIFEXITED(status))
    return fmt::format("gnuplot exited with status {}{}{}", WEXITSTATUS(status),
                       last.empty() ? "" : ": ", last);
  return "gnuplot was killed by a signal";
}

}  // namespace

std::string find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  for (const auto& dir : split(path, ':')) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / program;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

bool plot_lines(const std::string& base, const PlotSpec& spec,
                const std::vector<PlotSeries>& series) {
  NAS_CHECK(!series.empty(), "plot {}: no series to draw", base);
  for (const auto& s : series) {
    NAS_CHECK(s.y.size() == s.x.size(), "plot {}: series {} has {} x values and {} y values",
              base, quote(s.label), s.x.size(), s.y.size());
    NAS_CHECK((s.lo.empty() && s.hi.empty()) ||
                  (s.lo.size() == s.x.size() && s.hi.size() == s.x.size()),
              "plot {}: series {} needs band bounds for every x (or none)", base, quote(s.label));
  }
  const fs::path base_path(base);
  const std::string dir = base_path.has_parent_path() ? base_path.parent_path().string() : ".";
  const std::string stem = base_path.filename().string();
  make_dirs(dir);

  // Data: one block per series (gnuplot "index i"), columns x y lo hi.
  std::string dat = "# x y band_lo band_hi; one block per series: ";
  for (size_t i = 0; i < series.size(); ++i)
    dat += fmt::format("{}{}={}", i ? ", " : "", i, series[i].label);
  dat += "\n";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) dat += "\n\n";
    const auto& s = series[i];
    for (size_t k = 0; k < s.x.size(); ++k) {
      double lo = s.lo.empty() ? s.y[k] : s.lo[k];
      double hi = s.hi.empty() ? s.y[k] : s.hi[k];
      dat += fmt::format("{} {} {} {}\n", number(s.x[k]), number(s.y[k]), number(lo), number(hi));
    }
  }
  write_file_atomic(base + ".dat", dat);

  std::string gp;
  gp += fmt::format("# Redraw with: gnuplot {}.gp (run in this directory)\n", stem);
  gp += fmt::format("set terminal svg size {},{} dynamic background rgb 'white' font 'Sans,12'\n",
                    spec.width, spec.height);
  gp += fmt::format("set output {}\n", gp_quote(stem + ".svg"));
  gp += "set datafile missing '?'\n";
  if (!spec.title.empty()) gp += fmt::format("set title {} noenhanced\n", gp_quote(spec.title));
  gp += fmt::format("set xlabel {} noenhanced\n", gp_quote(spec.xlabel));
  gp += fmt::format("set ylabel {} noenhanced\n", gp_quote(spec.ylabel));
  gp += "set key bottom right noenhanced\n";
  gp += "set grid lc rgb '#dddddd'\n";
  gp += "set style fill transparent solid 0.18 noborder\n";
  if (spec.log_x) gp += "set logscale x\n";
  auto limit = [](double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : std::string("*"); };
  gp += fmt::format("set xrange [{}:{}]\n", limit(spec.x_min), limit(spec.x_max));
  gp += fmt::format("set yrange [{}:{}]\n", limit(spec.y_min), limit(spec.y_max));
  gp += "plot \\\n";
  const std::string dat_name = gp_quote(stem + ".dat");
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % (sizeof kColors / sizeof kColors[0])];
    const bool band = !series[i].lo.empty();
    if (band)
      gp += fmt::format("  {} index {} using 1:3:4 with filledcurves lc rgb '{}' notitle, \\\n",
                        dat_name, i, color);
    const char* with = series[i].style == PlotStyle::Points        ? "points pt 7 ps 0.5"
                       : series[i].style == PlotStyle::LinesPoints ? "linespoints pt 7 ps 0.9 lw 2"
                                                                   : "lines lw 2";
    gp += fmt::format("  {} index {} using 1:2 with {} lc rgb '{}'{} title {}{}\n", dat_name, i,
                      with, series[i].dashed ? "#555555" : color, series[i].dashed ? " dt 2" : "",
                      gp_quote(series[i].label), i + 1 < series.size() ? ", \\" : "");
  }
  gp += fmt::format(
      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {{ set terminal pngcairo size {},{} "
      "background rgb 'white' font 'Sans,11' }} else {{ set terminal png size {},{} }}\n",
      spec.width, spec.height, spec.width, spec.height);
  gp += fmt::format("set output {}\n", gp_quote(stem + ".png"));
  gp += "replot\nunset output\n";
  write_file_atomic(base + ".gp", gp);

  const std::string gnuplot = find_program("gnuplot");
  if (gnuplot.empty()) {
    spdlog::warn("gnuplot not found in PATH: kept {0}.dat and {0}.gp; install gnuplot and run "
                 "'gnuplot {1}.gp' in {2} to draw the plot",
                 base, stem, dir);
    return false;
  }
  std::error_code ec;
  fs::remove(base + ".svg", ec);
  fs::remove(base + ".png", ec);
  const std::string err = run_gnuplot(gnuplot, dir, stem + ".gp");
  const bool drawn = err.empty() && fs::file_size(base + ".svg", ec) > 0 && !ec &&
                     fs::file_size(base + ".png", ec) > 0 && !ec;
  if (!drawn) {
    spdlog::warn("plot {}: {}; kept {}.dat and {}.gp", base,
                 err.empty() ? "gnuplot wrote no image" : err, base, base);
    return false;
  }
  return true;
}

}  // namespace nas
