#include "libnas/util/plot.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>

#include "libnas/util/error.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;

std::vector<PlotSeries> two_series() {
  PlotSeries a{"rea (mean ± std)", {1, 2, 3, 4}, {80, 85, 88, 90}, {78, 83, 87, 89.5}, {82, 87, 89, 90.5}};
  PlotSeries b{"it's random", {1, 2, 3, 4}, {79, 82, 84, 86}, {}, {}};
  return {a, b};
}

TEST(Plot, WritesDataScriptAndImages) {
  if (find_program("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  test::TempDir tmp;
  PlotSpec spec;
  spec.title = "best_so_far val_acc";
  spec.xlabel = "queries";
  spec.ylabel = "val_acc";
  ASSERT_TRUE(plot_lines(tmp.file("sub/curve"), spec, two_series()));
  for (const char* ext : {".dat", ".gp", ".svg", ".png"})
    EXPECT_GT(fs::file_size(tmp.file(std::string("sub/curve") + ext)), 0u) << ext;
  const std::string png = test::read_text(tmp.file("sub/curve.png"));
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_NE(test::read_text(tmp.file("sub/curve.svg")).find("<svg"), std::string::npos);
  // Two blocks in the data file; the quote in a label is escaped for gnuplot.
  const std::string dat = test::read_text(tmp.file("sub/curve.dat"));
  EXPECT_NE(dat.find("\n\n\n1 79 79 79\n"), std::string::npos) << dat;
  EXPECT_NE(test::read_text(tmp.file("sub/curve.gp")).find("'it''s random'"), std::string::npos);
}

TEST(Plot, WithoutGnuplotKeepsDataAndScript) {
  test::TempDir tmp;
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", tmp.path().c_str(), 1);
  bool drawn = plot_lines(tmp.file("curve"), PlotSpec{}, two_series());
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_FALSE(drawn);
  EXPECT_TRUE(fs::exists(tmp.file("curve.dat")));
  EXPECT_TRUE(fs::exists(tmp.file("curve.gp")));
  EXPECT_FALSE(fs::exists(tmp.file("curve.png")));
}

TEST(Plot, MalformedSeriesAreErrors) {
  test::TempDir tmp;
  PlotSeries bad{"x", {1, 2}, {1}, {}, {}};
  EXPECT_THROW(plot_lines(tmp.file("c"), PlotSpec{}, {bad}), Error);
  PlotSeries band{"x", {1, 2}, {1, 2}, {0}, {3, 4}};
  EXPECT_THROW(plot_lines(tmp.file("c"), PlotSpec{}, {band}), Error);
  EXPECT_THROW(plot_lines(tmp.file("c"), PlotSpec{}, {}), Error);
}

// The coordinates of each <polyline> of an SVG, in order.
std::vector<std::vector<std::pair<double, double>>> polylines(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> out;
  const std::regex line("<polyline points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), line); it != std::sregex_iterator(); ++it) {
    std::vector<std::pair<double, double>> pts;
    std::istringstream in((*it)[1].str());
    std::string pair;
    while (in >> pair) {
      const size_t comma = pair.find(',');
      pts.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
    }
    out.push_back(pts);
  }
  return out;
}

TEST(SvgPlot, MapsTheDataIntoThePlotAreaWithBandsAndEscapedLabels) {
  PlotSpec spec;
  spec.title = "best <so far> & more";
  spec.width = 600;
  spec.height = 400;
  const std::string svg = svg_plot(spec, two_series());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"400\"", 0), 0u);
  EXPECT_NE(svg.find("best &lt;so far&gt; &amp; more"), std::string::npos);
  EXPECT_NE(svg.find("it&#39;s random"), std::string::npos);
  EXPECT_EQ(svg.find("it's"), std::string::npos);
  // One band (the first series has bounds), two lines of four points each.
  EXPECT_EQ(test::count_of(svg, "<polygon"), 1u);
  const auto lines = polylines(svg);
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_EQ(lines[0].size(), 4u);
  // x spans the plot area from its left edge; higher values sit higher (smaller y).
  EXPECT_DOUBLE_EQ(lines[0].front().first, 0.0);
  EXPECT_DOUBLE_EQ(lines[0].back().first, lines[1].back().first);
  for (size_t k = 1; k < 4; ++k) EXPECT_LT(lines[0][k].second, lines[0][k - 1].second);
  // At x = 4 the first series (90) is above the second (86).
  EXPECT_LT(lines[0][3].second, lines[1][3].second);
  // Legend entries for both.
  EXPECT_NE(svg.find(">rea (mean ± std)</text>"), std::string::npos);
}

TEST(SvgPlot, AMissingValueBreaksTheLineAndALogAxisTicksAtPowersOfTen) {
  PlotSeries s{"curve", {1, 10, 100, 1000}, {1, 2, std::nan(""), 4}, {}, {}};
  PlotSpec spec;
  spec.log_x = true;
  const std::string svg = svg_plot(spec, {s});
  const auto lines = polylines(svg);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), 2u);
  EXPECT_EQ(lines[1].size(), 1u);
  // Equal steps in log10(x) are equal steps on the page.
  EXPECT_DOUBLE_EQ(lines[0][0].first, 0.0);
  EXPECT_NEAR(lines[1][0].first, 3 * lines[0][1].first, 0.2);
  for (const char* tick : {">1</text>", ">10</text>", ">100</text>", ">1000</text>"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  // Points style draws circles and no line; a dashed series is dashed.
  PlotSeries pts{"points", {1, 2, 3}, {3, 1, 2}, {}, {}};
  pts.style = PlotStyle::Points;
  PlotSeries ref{"optimum", {1, 3}, {3.5, 3.5}, {}, {}};
  ref.dashed = true;
  const std::string two = svg_plot(PlotSpec{}, {pts, ref});
  EXPECT_EQ(test::count_of(two, "<circle"), 3u + 1u);  // three points and the legend's mark
  EXPECT_EQ(polylines(two).size(), 1u);
  EXPECT_NE(two.find("stroke-dasharray"), std::string::npos);
  EXPECT_THROW(svg_plot(PlotSpec{}, {PlotSeries{"bad", {1, 2}, {1}, {}, {}}}), Error);
}

TEST(SvgPlot, EqualValuesAndManySeriesStillDrawAReadablePlot) {
  // 0.1 + 0.2 and 0.3 differ in the last bit: no range, yet a handful of ticks and a line.
  PlotSeries flat{"flat", {1, 2}, {0.1 + 0.2, 0.3}, {}, {}};
  const std::string svg = svg_plot(PlotSpec{}, {flat});
  EXPECT_EQ(polylines(svg).size(), 1u);
  EXPECT_LT(test::count_of(svg, "text-anchor=\"end\""), 30u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  // A band edge that is missing leaves that point out of the band, not a "nan" in it.
  PlotSeries banded{"banded", {1, 2, 3}, {1, 2, 3}, {0.5, std::nan(""), 2.5}, {1.5, 2.5, 3.5}};
  EXPECT_EQ(svg_plot(PlotSpec{}, {banded}).find("nan"), std::string::npos);
  // Twenty series: the figure grows to hold the legend instead of squashing the axes.
  std::vector<PlotSeries> many;
  for (int i = 0; i < 20; ++i) many.push_back(PlotSeries{"s" + std::to_string(i), {1, 2}, {1.0 * i, 2.0 * i}, {}, {}});
  PlotSpec spec;
  spec.height = 400;
  const std::string tall = svg_plot(spec, many);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(tall, m, std::regex("height=\"([0-9.]+)\"")));
  EXPECT_GT(std::stod(m[1].str()), 400.0);
  EXPECT_NE(tall.find(">s19</text>"), std::string::npos);
}

}  // namespace
}  // namespace nas
