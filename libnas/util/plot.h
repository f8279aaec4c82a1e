// Line and scatter plots through gnuplot: a data file and a script are always written (so a plot can be
// redrawn or restyled by hand), then gnuplot renders SVG and PNG next to them.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "libnas/util/process.h"

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

// An empty series named `label`, to be filled point by point.
inline PlotSeries empty_series(const std::string& label, PlotStyle style = PlotStyle::Lines) {
  PlotSeries s;
  s.label = label;
  s.style = style;
  return s;
}

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

// A figure ready to draw: its axes and its series.
struct Plot {
  PlotSpec spec;
  std::vector<PlotSeries> series;
};

// Writes <base>.dat and <base>.gp, then runs gnuplot for <base>.svg and <base>.png. Returns
// true when both images were written; when gnuplot is missing or fails, logs a warning naming
// the script to run by hand and returns false. nas::Error for malformed series.
bool plot_lines(const std::string& base, const PlotSpec& spec,
                const std::vector<PlotSeries>& series);

// The same plot as one self-contained <svg> element (no gnuplot, no script, no external
// reference), for pages that inline their figures. Bands are shaded, dashed series are
// reference lines, the legend sits under the axes. nas::Error for malformed series.
std::string svg_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series);

// `text` with &, <, >, " and ' escaped for XML and HTML text and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace nas
