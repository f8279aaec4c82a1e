#include "libnas/util/plot.h"

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

// Every series has a y (and, when banded, a lo and hi) for each x.
void check_series(const std::string& what, const std::vector<PlotSeries>& series) {
  NAS_CHECK(!series.empty(), "plot {}: no series to draw", what);
  for (const auto& s : series) {
    NAS_CHECK(s.y.size() == s.x.size(), "plot {}: series {} has {} x values and {} y values",
              what, quote(s.label), s.x.size(), s.y.size());
    NAS_CHECK((s.lo.empty() && s.hi.empty()) ||
                  (s.lo.size() == s.x.size() && s.hi.size() == s.x.size()),
              "plot {}: series {} needs band bounds for every x (or none)", what, quote(s.label));
  }
}

}  // namespace

bool plot_lines(const std::string& base, const PlotSpec& spec,
                const std::vector<PlotSeries>& series) {
  check_series(base, series);
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
  const ProgramOutput run = run_program(gnuplot, {stem + ".gp"}, dir);
  const std::string err = run.failure("gnuplot");
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

namespace nas {

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Round tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about
// `want` of them.
std::vector<double> linear_ticks(double lo, double hi, int want) {
  const double raw = (hi - lo) / std::max(1, want);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::ceil(lo / step - 1e-9);
  // An index, not a running sum: a step below the values' precision would never move it.
  for (int k = 0; k < 4 * std::max(1, want) + 2; ++k) {
    const double t = (first + k) * step;
    if (t > hi + step * 1e-9) break;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

// Powers of ten in [lo, hi] (log10 units), with 2 and 5 between them when there are few.
std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  const bool fine = hi - lo < 2.5;
  for (double d = std::floor(lo); d <= std::ceil(hi); d += 1) {
    for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double t = d + std::log10(m);
      if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks.push_back(t);
    }
  }
  return ticks;
}

std::string tick_label(double v) {
  if (v != 0 && (std::abs(v) >= 1e6 || std::abs(v) < 1e-3)) return fmt::format("{:.3g}", v);
  std::string s = fmt::format("{:.6f}", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace

std::string svg_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  check_series(spec.title.empty() ? "svg" : spec.title, series);
  const double width = spec.width, height = spec.height;
  const auto tx = [&](double x) { return spec.log_x ? (x > 0 ? std::log10(x) : NAN) : x; };

  // Data ranges (x in axis units, i.e. log10 on a log axis), then the spec's limits.
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const auto& s : series) {
    for (size_t k = 0; k < s.x.size(); ++k) {
      const double x = tx(s.x[k]);
      if (!std::isfinite(x)) continue;
      for (double y : {s.y[k], s.lo.empty() ? s.y[k] : s.lo[k], s.hi.empty() ? s.y[k] : s.hi[k]}) {
        if (!std::isfinite(y)) continue;
        x_lo = std::min(x_lo, x);
        x_hi = std::max(x_hi, x);
        y_lo = std::min(y_lo, y);
        y_hi = std::max(y_hi, y);
      }
    }
  }
  if (std::isfinite(spec.x_min)) x_lo = tx(spec.x_min);
  if (std::isfinite(spec.x_max)) x_hi = tx(spec.x_max);
  if (std::isfinite(spec.y_min)) y_lo = spec.y_min;
  if (std::isfinite(spec.y_max)) y_hi = spec.y_max;
  if (!std::isfinite(x_lo) || !std::isfinite(x_hi)) x_lo = 0, x_hi = 1;
  if (!std::isfinite(y_lo) || !std::isfinite(y_hi)) y_lo = 0, y_hi = 1;
  // A range narrower than the values' precision (all points equal, or a limit on the far side
  // of the data) becomes a small one around them.
  auto widen = [](double& lo, double& hi, double margin) {
    const double span = hi - lo;
    if (!(span > 1e-9 * std::max({std::abs(lo), std::abs(hi), 1e-300}))) {
      const double mid = span > 0 ? (lo + hi) / 2 : lo;
      const double d = std::max(std::abs(mid) * 0.05, 1e-9);
      lo = mid - d;
      hi = mid + d;
    } else {
      lo -= span * margin;
      hi += span * margin;
    }
  };
  widen(x_lo, x_hi, 0.0);
  widen(y_lo, y_hi, std::isfinite(spec.y_min) || std::isfinite(spec.y_max) ? 0.0 : 0.04);

  // Layout: title on top, tick labels and axis labels around the plot area, the legend under
  // it, one line per series.
  const double legend_h = 18.0 * static_cast<double>(series.size()) + 8;
  const double left = 72, right = 24, top = spec.title.empty() ? 16 : 36;
  const double bottom = 52 + legend_h;
  // The legend takes what it needs: with many series the figure grows rather than the axes
  // shrinking to nothing.
  const double pw = std::max(40.0, width - left - right), ph = std::max(120.0, height - top - bottom);
  const double full_height = std::max(height, top + ph + bottom);
  const auto px = [&](double x) { return (x - x_lo) / (x_hi - x_lo) * pw; };
  const auto py = [&](double y) { return ph - (y - y_lo) / (y_hi - y_lo) * ph; };
  const auto f = [](double v) { return fmt::format("{:.1f}", v); };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n",
      spec.width, full_height);
  svg += fmt::format("<title>{}</title>\n", xml_escape(spec.title.empty() ? spec.ylabel : spec.title));
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", spec.width, full_height);
  if (!spec.title.empty())
    svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
                       f(left + pw / 2), xml_escape(spec.title));
  svg += fmt::format("<g transform=\"translate({},{})\">\n", f(left), f(top));
  // Grid and tick labels.
  const std::vector<double> xt = spec.log_x ? log_ticks(x_lo, x_hi) : linear_ticks(x_lo, x_hi, 6);
  for (double t : xt) {
    svg += fmt::format("<line x1=\"{0}\" y1=\"0\" x2=\"{0}\" y2=\"{1}\" stroke=\"#e3e3e3\"/>", f(px(t)), f(ph));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", f(px(t)),
                       f(ph + 16), tick_label(spec.log_x ? std::pow(10.0, t) : t));
  }
  for (double t : linear_ticks(y_lo, y_hi, 5)) {
    svg += fmt::format("<line x1=\"0\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#e3e3e3\"/>", f(py(t)), f(pw));
    svg += fmt::format("<text x=\"-6\" y=\"{}\" text-anchor=\"end\">{}</text>\n", f(py(t) + 4),
                       tick_label(t));
  }
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#555\"/>\n", f(pw), f(ph));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", f(pw / 2),
                     f(ph + 36), xml_escape(spec.xlabel));
  svg += fmt::format(
      "<text transform=\"translate(-54,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      f(ph / 2), xml_escape(spec.ylabel));

  // Series, clipped to the plot area by a nested <svg> (no ids, so several plots can share a page).
  svg += fmt::format("<svg width=\"{}\" height=\"{}\" overflow=\"hidden\">\n", f(pw), f(ph));
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const std::string color = s.dashed ? "#555555" : kColors[i % (sizeof kColors / sizeof kColors[0])];
    // Runs of consecutive drawable points; a missing value breaks the line.
    std::vector<std::vector<size_t>> runs(1);
    for (size_t k = 0; k < s.x.size(); ++k) {
      if (std::isfinite(tx(s.x[k])) && std::isfinite(s.y[k])) {
        runs.back().push_back(k);
      } else if (!runs.back().empty()) {
        runs.emplace_back();
      }
    }
    for (const auto& run : runs) {
      if (run.empty()) continue;
      std::vector<size_t> banded;  // where both band edges are known
      if (!s.lo.empty())
        for (size_t k : run)
          if (std::isfinite(s.lo[k]) && std::isfinite(s.hi[k])) banded.push_back(k);
      if (!banded.empty()) {
        std::string pts;
        for (size_t k : banded) pts += f(px(tx(s.x[k]))) + "," + f(py(s.hi[k])) + " ";
        for (auto it = banded.rbegin(); it != banded.rend(); ++it)
          pts += f(px(tx(s.x[*it]))) + "," + f(py(s.lo[*it])) + " ";
        svg += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n",
                           pts, color);
      }
      if (s.style != PlotStyle::Points) {
        std::string pts;
        for (size_t k : run) pts += f(px(tx(s.x[k]))) + "," + f(py(s.y[k])) + " ";
        svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                           pts, color, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
      }
      if (s.style != PlotStyle::Lines) {
        const char* r = s.style == PlotStyle::Points ? "2.5" : "3.5";
        for (size_t k : run)
          svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>", f(px(tx(s.x[k]))),
                             f(py(s.y[k])), r, color);
        svg += "\n";
      }
    }
  }
  svg += "</svg>\n";
  // Legend.
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const std::string color = s.dashed ? "#555555" : kColors[i % (sizeof kColors / sizeof kColors[0])];
    const double y = ph + 52 + 18.0 * static_cast<double>(i);
    if (s.style == PlotStyle::Points)
      svg += fmt::format("<circle cx=\"12\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>", f(y - 4), color);
    else
      svg += fmt::format("<line x1=\"0\" y1=\"{0}\" x2=\"24\" y2=\"{0}\" stroke=\"{1}\" stroke-width=\"2\"{2}/>",
                         f(y - 4), color, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    svg += fmt::format("<text x=\"32\" y=\"{}\">{}</text>\n", f(y), xml_escape(s.label));
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace nas
