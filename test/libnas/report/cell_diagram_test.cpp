#include "libnas/report/cell_diagram.h"

#include <gtest/gtest.h>

#include "libnas/util/process.h"
#include "libnas/util/rng.h"
#include "test_util.h"

namespace nas {
namespace {

TEST(CellDiagram, DotNamesEveryOpDrawsEveryEdgeAndMarksDeadNodes) {
  OpVocab vocab;
  vocab.names = {"input", "conv3x3", "maxpool \"3\"", "output"};
  vocab.input_ids = {0};
  vocab.output_id = 3;
  // input -> conv -> output, input -> maxpool (which reaches nothing: dead).
  CellDag cell({0, 1, 2, 3}, {{0, 1, 1, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}});
  const std::string dot = cell_dot(cell, vocab, "normal cell");
  EXPECT_NE(dot.find("n1 [label=\"conv3x3\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("n2 [label=\"maxpool \\\"3\\\"\", style=\"rounded,dotted\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("n0 [label=\"input\", fillcolor=\"#d9d9d9\"]"), std::string::npos) << dot;
  EXPECT_EQ(test::count_of(dot, " -> "), 3u);
  for (const char* e : {"n0 -> n1;", "n0 -> n2;", "n1 -> n3;"}) EXPECT_NE(dot.find(e), std::string::npos) << e;
  EXPECT_NE(dot.find("label=\"normal cell\""), std::string::npos);
}

TEST(CellDiagram, OneInlineSvgPerCellOrTheGraphvizTextWithoutDot) {
  EXPECT_EQ(cell_name(*make_space("nag"), 1), "reduction cell");
  EXPECT_EQ(cell_name(*make_space("nb201"), 0), "cell");
  for (const char* name : {"nb201", "nag"}) {
    auto space = make_space(name);
    Rng rng(3);
    const Arch arch = space->sample(rng);
    test::ScopedEnv no_path("PATH", "");
    const std::string text = arch_diagrams(*space, arch);
    EXPECT_EQ(test::count_of(text, "<pre class=\"dot\" title=\"Graphviz (dot) is not installed\">"),
              arch.cells.size());
    EXPECT_NE(text.find("digraph cell"), std::string::npos);
  }
  if (find_program("dot").empty()) GTEST_SKIP() << "Graphviz (dot) is not installed: only the text fallback was checked";
  for (const char* name : {"nb201", "nag"}) {
    auto space = make_space(name);
    Rng rng(3);
    const Arch arch = space->sample(rng);
    const std::string html = arch_diagrams(*space, arch);
    EXPECT_EQ(test::count_of(html, "<svg"), arch.cells.size()) << name;
    EXPECT_EQ(html.find("<?xml"), std::string::npos);
    EXPECT_EQ(html.find(" id=\""), std::string::npos);
    EXPECT_EQ(html.find("<!--"), std::string::npos);
    // Every op of the first cell is written in its diagram.
    for (int op : arch.cells[0].ops)
      EXPECT_NE(html.find(">" + space->vocab().names[static_cast<size_t>(op)] + "</text>"), std::string::npos)
          << name << " " << space->vocab().names[static_cast<size_t>(op)];
  }
}

}  // namespace
}  // namespace nas
