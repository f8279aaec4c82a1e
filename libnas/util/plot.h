// Line and scatter plots through gnuplot: a data file and a script are always written (so a plot can be
// redrawn or restyled by hand), then gnuplot renders SVG and PNG next to them.
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace nas {

// How a series is drawn.
enum class PlotStyle { Lines, Points, LinesPoints };

// One curve; `lo`/`hi` (same length as x, or empty) draw a shaded band around it.
struct PlotSeries {
  std::string label;
  std::vector<double> x, y, lo, hi;
  bool dashed = false;  // a reference line (an optimum, a baseline)
  PlotStyle style = PlotStyle::Lines;
};

struct PlotSpec {
  std::string title;
  std::string xlabel, ylabel;
  bool log_x = false;
  // Axis limits; NaN = fitted to the data.
  double x_min = std::numeric_limits<double>::quiet_NaN();
  double x_max = std::numeric_limits<double>::quiet_NaN();
  double y_min = std::numeric_limits<double>::quiet_NaN();
  double y_max = std::numeric_limits<double>::quiet_NaN();
  int width = 900, height = 560;  // pixels
};

// Writes <base>.dat and <base>.gp, then runs gnuplot for <base>.svg and <base>.png. Returns
// true when both images were written; when gnuplot is missing or fails, logs a warning naming
// the script to run by hand and returns false. nas::Error for malformed series.
bool plot_lines(const std::string& base, const PlotSpec& spec,
                const std::vector<PlotSeries>& series);

// Full path of `program` found in $PATH; "" when absent.
std::string find_program(const std::string& program);

}  // namespace nas
