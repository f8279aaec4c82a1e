#include "libnas/util/plot.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

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

}  // namespace
}  // namespace nas
