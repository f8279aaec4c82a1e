#include "libnas/spaces/nb101.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <unordered_set>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

const char* const kExample = "0110,0001,0001,0000;input,conv3x3-bn-relu,maxpool3x3,output";

CellDag make(std::vector<int> ops, const std::string& rows) {
  return CellDag(std::move(ops), adjacency_from_string(rows, ',', "test"));
}

// Expects `fn` to throw nas::Error whose message contains `needle`.
template <typename F>
void expect_error(F fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected nas::Error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' lacks '" << needle << "'";
  }
}

// The cell renumbered along a random topological order (first vertex first, last vertex last).
CellDag random_reorder(const CellDag& c, Rng& rng) {
  const int n = c.num_nodes();
  std::vector<int> order = {0};
  std::vector<bool> placed(static_cast<size_t>(n), false);
  placed[0] = true;
  while (static_cast<int>(order.size()) < n - 1) {
    std::vector<int> ready;
    for (int v = 1; v < n - 1; ++v) {
      if (placed[v]) continue;
      bool ok = true;
      for (int p : c.preds(v)) ok = ok && placed[p];
      if (ok) ready.push_back(v);
    }
    int v = rng.choice(ready);
    placed[v] = true;
    order.push_back(v);
  }
  order.push_back(n - 1);
  std::vector<int> pos(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) pos[order[i]] = i;
  CellDag out(n);
  for (int i = 0; i < n; ++i) {
    out.ops[pos[i]] = c.ops[i];
    for (int j = i + 1; j < n; ++j)
      if (c.adj[i][j]) out.adj[pos[i]][pos[j]] = 1;
  }
  return out;
}

TEST(Nb101Space, BasicsAndRegistry) {
  auto space = make_space("nb101");
  EXPECT_EQ(space->name(), "nb101");
  EXPECT_EQ(space->max_nodes(), 7);
  EXPECT_EQ(space->num_cells(), 1);
  EXPECT_EQ(space->vocab().names, (std::vector<std::string>{"output", "input", "conv1x1-bn-relu",
                                                            "conv3x3-bn-relu", "maxpool3x3"}));
  EXPECT_EQ(space->vocab().output_id, 0);
  EXPECT_EQ(space->vocab().input_ids, (std::vector<int>{1}));
  EXPECT_EQ(space->size(), std::optional<uint64_t>(423624));
  EXPECT_FALSE(space->has_sequence_view());
}

TEST(Nb101Space, ParseFormatRoundTripAndForms) {
  Nb101Space s;
  Arch a = s.parse(kExample);
  ASSERT_EQ(a.cells.size(), 1u);
  EXPECT_EQ(a.cells[0].ops, (std::vector<int>{1, 3, 4, 0}));
  EXPECT_EQ(s.format(a), kExample);
  // Short op names and surrounding spaces.
  EXPECT_EQ(s.parse(" 0110,0001,0001,0000 ; input, conv3x3, maxpool3x3, output "), a);
  // JSON form.
  EXPECT_EQ(s.parse(R"({"matrix": [[0,1,1,0],[0,0,0,1],[0,0,0,1],[0,0,0,0]],
                        "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]})"),
            a);
  // Smallest cell: input straight to output.
  Arch tiny = s.parse("01,00;input,output");
  EXPECT_EQ(s.format(tiny), "01,00;input,output");
  // A cell with a dead vertex is written as given.
  const std::string dead = "01001,00001,00000,00001,00000;input,conv1x1,maxpool3x3,conv3x3,output";
  EXPECT_EQ(s.parse(s.format(s.parse(dead))), s.parse(dead));
}

TEST(Nb101Space, ValidateNamesTheRuleBroken) {
  Nb101Space s;
  expect_error([&] { s.parse("0110,0001,0001;input,conv3x3,maxpool3x3,output"); }, "adjacency row");
  expect_error([&] { s.parse("0110,0001,0001,0000"); }, "expected 2");
  expect_error([&] { s.parse(""); }, "empty");
  expect_error([&] { s.parse("0110,0001,0001,0000;input,conv3x3,output"); }, "3 op names");
  expect_error([&] { s.parse("0110,0001,0001,0000;input,conv5x5,maxpool3x3,output"); },
               "unknown op 'conv5x5'");
  expect_error([&] { s.parse("0110,0001,0001,0000;output,conv3x3,maxpool3x3,input"); },
               "first vertex must be input");
  expect_error([&] { s.parse("0110,0001,0001,0000;input,conv3x3,maxpool3x3,conv1x1"); },
               "last vertex must be output");
  expect_error([&] { s.parse("0110,0001,0001,0000;input,input,maxpool3x3,output"); },
               "interior vertex 1 is input");
  expect_error([&] { s.parse("0110,1001,0001,0000;input,conv3x3,maxpool3x3,output"); },
               "goes backwards");
  expect_error([&] { s.parse("0100,0000,0001,0000;input,conv3x3,maxpool3x3,output"); },
               "not reachable from the input");
  expect_error(
      [&] {
        s.parse(
            "01000000,00100000,00010000,00001000,00000100,00000010,00000001,00000000;"
            "input,conv3x3,conv3x3,conv3x3,conv3x3,conv3x3,conv3x3,output");
      },
      "8 vertices");
  // All 21 edges of a 7-vertex cell are live.
  expect_error(
      [&] {
        s.parse(
            "0111111,0011111,0001111,0000111,0000011,0000001,0000000;"
            "input,conv3x3,conv3x3,conv3x3,conv3x3,conv3x3,output");
      },
      "21 edges after pruning");
  expect_error([&] { s.parse("{\"matrix\": [[0,1],[0,0]]"); }, "malformed JSON");
  expect_error([&] { s.parse(R"({"matrix": [[0,1],[0,0]], "ops": ["input","output"], "x": 1})"); },
               "unknown key");
  expect_error([&] { s.parse(R"({"matrix": [[0,2],[0,0]], "ops": ["input","output"]})"); },
               "only 0/1");
  expect_error([&] { s.validate(Arch{}); }, "expected 1 cell");
  // 11 edges in the matrix, but 3 of them touch the dead vertex 3: 8 after pruning, valid.
  Arch pruned_ok = s.parse(
      "0111100,0011100,0001100,0000000,0000010,0000001,0000000;"
      "input,conv3x3,conv1x1,maxpool3x3,conv3x3,conv1x1,output");
  EXPECT_EQ(pruned_ok.cells[0].num_edges(), 11);
  EXPECT_EQ(Nb101Space::prune_cell(pruned_ok.cells[0]).num_edges(), 8);
  EXPECT_EQ(Nb101Space::prune_cell(pruned_ok.cells[0]).num_nodes(), 6);
}

TEST(Nb101Space, HashIgnoresVertexOrderAndDeadVertices) {
  Nb101Space s;
  // input -> a(conv3) -> c(maxpool) -> out, input -> b(conv1) -> c, b -> out.
  CellDag base = make({1, 3, 2, 4, 0}, "01100,00010,00011,00001,00000");
  // The same cell with a and b swapped.
  CellDag swapped = make({1, 2, 3, 4, 0}, "01100,00011,00010,00001,00000");
  EXPECT_EQ(s.hash(Arch{{base}}), s.hash(Arch{{swapped}}));
  Rng rng(7);
  for (int k = 0; k < 20; ++k)
    EXPECT_EQ(s.hash(Arch{{random_reorder(base, rng)}}), s.hash(Arch{{base}}));
  // Different ops or structure give a different hash.
  CellDag other_op = base;
  other_op.ops[1] = 2;
  EXPECT_NE(s.hash(Arch{{other_op}}), s.hash(Arch{{base}}));
  CellDag other_edge = base;
  other_edge.set_edge(1, 4);
  EXPECT_NE(s.hash(Arch{{other_edge}}), s.hash(Arch{{base}}));
  // A dangling vertex (fed by the input, feeding nothing) and a vertex feeding the output but
  // fed by nothing do not change the network.
  CellDag dangling = make({1, 3, 2, 4, 3, 0}, "011010,000100,000101,000001,000000,000000");
  CellDag orphan = make({1, 3, 2, 4, 3, 0}, "011000,000100,000101,000001,000001,000000");
  EXPECT_EQ(s.hash(Arch{{dangling}}), s.hash(Arch{{base}}));
  EXPECT_EQ(s.hash(Arch{{orphan}}), s.hash(Arch{{base}}));
  EXPECT_EQ(Nb101Space::prune_cell(dangling), base);
}

TEST(Nb101Space, SampleIsValidPrunedAndDeterministic) {
  Nb101Space s;
  Rng a(1), b(1);
  std::set<std::string> hashes;
  std::vector<int> by_vertices(8, 0);
  for (int k = 0; k < 300; ++k) {
    Arch x = s.sample(a);
    EXPECT_EQ(x, s.sample(b));
    ASSERT_TRUE(s.is_valid(x)) << s.format(x);
    EXPECT_EQ(Nb101Space::prune_cell(x.cells[0]), x.cells[0]);
    hashes.insert(s.hash(x));
    by_vertices[static_cast<size_t>(x.cells[0].num_nodes())]++;
  }
  EXPECT_GT(hashes.size(), 150u);
  // A random 7x7 matrix rarely survives with all 7 vertices and <= 9 edges, so like NB101's
  // (and NASLib's) random specs the pruned cells are mostly small: the NASLib file's 500 cells
  // have 2..7 vertices 55/90/130/164/60/1 times.
  for (int n = 2; n <= 6; ++n) EXPECT_GT(by_vertices[static_cast<size_t>(n)], 5) << n;
  EXPECT_LT(by_vertices[7], 10);
}

TEST(Nb101Space, MutateGivesValidDifferentCellsAndCanGrow) {
  Nb101Space s;
  Rng rng(3);
  for (int k = 0; k < 200; ++k) {
    Arch x = s.sample(rng);
    Arch y = s.mutate(x, rng);
    ASSERT_TRUE(s.is_valid(y)) << s.format(y);
    EXPECT_NE(s.hash(x), s.hash(y));
    EXPECT_EQ(Nb101Space::prune_cell(y.cells[0]), y.cells[0]);
  }
  // From the 2-vertex cell no single flip inside its own matrix is valid, yet mutation grows it.
  Arch tiny = s.parse("01,00;input,output");
  EXPECT_TRUE(s.neighbors(tiny).empty());
  Arch grown = s.mutate(tiny, rng);
  EXPECT_GT(grown.cells[0].num_nodes(), 2);
  EXPECT_TRUE(s.is_valid(grown));
}

TEST(Nb101Space, NeighborsAreEveryOneStepChange) {
  Nb101Space s;
  Arch x = s.parse(
      "0110000,0001000,0001100,0000010,0000001,0000001,0000000;"
      "input,conv3x3,conv1x1,maxpool3x3,conv3x3,conv1x1,output");
  auto nb = s.neighbors(x);
  EXPECT_EQ(nb, s.neighbors(x));
  std::unordered_set<std::string> got;
  for (const auto& y : nb) {
    ASSERT_TRUE(s.is_valid(y));
    EXPECT_TRUE(got.insert(s.hash(y)).second) << "duplicate neighbour " << s.format(y);
  }
  EXPECT_EQ(got.count(s.hash(x)), 0u);
  // Every valid one-step change that changes the network is among them.
  const CellDag& c = x.cells[0];
  std::unordered_set<std::string> expected;
  for (int i = 0; i < 7; ++i)
    for (int j = i + 1; j < 7; ++j) {
      CellDag d = c;
      d.adj[i][j] ^= 1;
      if (s.is_valid(Arch{{d}})) expected.insert(s.hash(Arch{{d}}));
    }
  for (int v = 1; v < 6; ++v)
    for (int op = 2; op <= 4; ++op) {
      CellDag d = c;
      d.ops[v] = op;
      if (s.is_valid(Arch{{d}})) expected.insert(s.hash(Arch{{d}}));
    }
  expected.erase(s.hash(x));
  EXPECT_EQ(got, expected);
  EXPECT_GT(nb.size(), 10u);
}

TEST(Nb101Space, EnumerateListsAll423624UniqueCells) {
  Nb101Space s;
  auto t0 = std::chrono::steady_clock::now();
  std::unordered_set<std::string> hashes;
  hashes.reserve(900000);
  std::vector<int> by_vertices(8, 0);
  uint64_t count = 0;
  s.enumerate([&](const Arch& a) {
    ++count;
    by_vertices[static_cast<size_t>(a.cells[0].num_nodes())]++;
    hashes.insert(cell_hash(a.cells[0]));
    if (count % 4001 == 0) {
      EXPECT_TRUE(s.is_valid(a)) << s.format(a);
    }
  });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(count, 423624u);
  EXPECT_EQ(hashes.size(), 423624u);
  // Counted by hand: input->output; input->op->output with or without input->output, 3 ops.
  EXPECT_EQ(by_vertices[2], 1);
  EXPECT_EQ(by_vertices[3], 6);
  RecordProperty("seconds", std::to_string(secs));
  std::cout << "nb101 enumerate: " << count << " cells in " << secs << " s; by vertices 2..7:";
  for (int n = 2; n <= 7; ++n) std::cout << " " << by_vertices[static_cast<size_t>(n)];
  std::cout << "\n";
}

// The NASLib zero-cost file stores raw and pruned matrices of 500 NB101 cells.
TEST(Nb101Space, PruneAgreesWithNasLibZeroCostFile) {
  NAS_REQUIRE_DATA(path, "nas-bench-101/naslib_zc/zc_nasbench101.csv");
  Nb101Space s;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  auto header = split(line, ',');
  ASSERT_GE(header.size(), 6u);
  ASSERT_EQ(header[0], "raw_matrix_7x7_rowmajor");
  ASSERT_EQ(header[4], "pruned_matrix_rowmajor");
  auto to_cell = [&](const std::string& flat, const std::string& ops_text, int n) {
    CellDag c(n);
    EXPECT_EQ(flat.size(), static_cast<size_t>(n * n));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) c.adj[i][j] = flat[static_cast<size_t>(i * n + j)] == '1';
    auto names = split_any(ops_text, " ");
    EXPECT_EQ(names.size(), static_cast<size_t>(n));
    for (int i = 0; i < n && i < static_cast<int>(names.size()); ++i) c.ops[i] = s.op_id(names[i]);
    return c;
  };
  int rows = 0;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    auto f = split(line, ',');
    ASSERT_GE(f.size(), 6u);
    CellDag raw = to_cell(f[0], f[1], 7);
    Arch raw_arch{{raw}};
    ASSERT_NO_THROW(s.validate(raw_arch)) << "row " << rows;
    const int n = static_cast<int>(parse_int(f[2], "pruned_num_vertices"));
    CellDag want = to_cell(f[4], f[5], n);
    CellDag got = Nb101Space::prune_cell(raw);
    EXPECT_EQ(got, want) << "row " << rows;
    EXPECT_EQ(got.num_edges(), parse_int(f[3], "pruned_num_edges")) << "row " << rows;
    EXPECT_EQ(s.hash(raw_arch), s.hash(Arch{{want}}));
    ++rows;
  }
  EXPECT_EQ(rows, 500);
}

}  // namespace
}  // namespace nas
