#include "libnas/spaces/nag_cell.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "libnas/util/error.h"

namespace nas {
namespace {

const char* const kMinimal = "001,001,000;input0,input1,output";

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

// The cell renumbered along a random topological order; the two inputs stay first and the
// output last.
CellDag random_reorder(const CellDag& c, Rng& rng) {
  const int n = c.num_nodes();
  std::vector<int> order = {0, 1};
  std::vector<bool> placed(static_cast<size_t>(n), false);
  placed[0] = placed[1] = true;
  while (static_cast<int>(order.size()) < n - 1) {
    std::vector<int> ready;
    for (int v = 2; v < n - 1; ++v) {
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

std::string both(const std::string& cell) { return cell + "|" + kMinimal; }

TEST(NagCellSpace, BasicsAndRegistry) {
  auto space = make_space("nag");
  EXPECT_EQ(space->name(), "nag");
  EXPECT_EQ(space->num_cells(), 2);
  EXPECT_EQ(space->max_nodes(), 10);
  EXPECT_EQ(space->vocab().names,
            (std::vector<std::string>{"output", "input0", "input1", "seqconv3x3", "seqconv5x5",
                                      "avgpool3x3", "maxpool3x3", "identity"}));
  EXPECT_EQ(space->vocab().output_id, 0);
  EXPECT_EQ(space->vocab().input_ids, (std::vector<int>{1, 2}));
  EXPECT_FALSE(space->size().has_value());
  EXPECT_THROW(space->enumerate([](const Arch&) {}), Error);
  EXPECT_FALSE(space->has_sequence_view());
}

TEST(NagCellSpace, PublishedGenotypes) {
  NagCellSpace s;
  Arch rs = s.parse("RS-NAG");
  const CellDag& normal = rs.cells[0];
  const CellDag& reduction = rs.cells[1];
  EXPECT_EQ(normal.num_nodes(), 9);
  EXPECT_EQ(normal.preds(8), (std::vector<int>{0, 1, 2, 3, 4, 7}));
  EXPECT_EQ(normal.ops, (std::vector<int>{1, 2, 3, 4, 6, 4, 4, 4, 0}));
  EXPECT_EQ(normal.succs(3), (std::vector<int>{4, 5, 6, 8}));
  EXPECT_EQ(reduction.num_nodes(), 6);
  EXPECT_EQ(reduction.preds(5), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(reduction.ops, (std::vector<int>{1, 2, 4, 3, 4, 0}));
  EXPECT_EQ(s.parse("rs-nag"), rs);
  EXPECT_EQ(NagCellSpace::published("RS-NAG"), rs);
  std::set<std::string> hashes;
  for (const auto& name : NagCellSpace::published_names()) {
    Arch a = s.parse(name);
    EXPECT_NO_THROW(s.validate(a)) << name;
    hashes.insert(s.hash(a));
  }
  EXPECT_EQ(hashes.size(), 4u);
  Arch e1 = s.parse("RS-NAG-E1");
  EXPECT_EQ(e1.cells[0].num_nodes(), 8);
  EXPECT_EQ(e1.cells[1].ops, (std::vector<int>{1, 2, 6, 0}));
  Arch e3 = s.parse("RS-NAG-E3");
  EXPECT_EQ(e3.cells[0].ops[3], NagCellSpace::kIdentity);
  EXPECT_EQ(e3.cells[0].preds(7), (std::vector<int>{1, 2, 5, 6}));
  expect_error([&] { s.parse("RS-NAG-E4"); }, "published genotype name");
}

TEST(NagCellSpace, FormatParseRoundTripAndJson) {
  NagCellSpace s;
  for (const auto& name : NagCellSpace::published_names()) {
    Arch a = s.parse(name);
    EXPECT_EQ(s.parse(s.format(a)), a) << name;
  }
  Arch m = s.parse(both(kMinimal));
  EXPECT_EQ(s.format(m), both(kMinimal));
  Arch j = s.parse(R"({"normal": {"matrix": [[0,0,1],[0,0,1],[0,0,0]],
                                  "ops": ["input0","input1","output"]},
                       "reduction": {"matrix": [[0,0,1,0],[0,0,1,1],[0,0,0,1],[0,0,0,0]],
                                     "ops": ["input0","input1","identity","output"]}})");
  EXPECT_EQ(s.format(j),
            "001,001,000;input0,input1,output|0010,0011,0001,0000;"
            "input0,input1,identity,output");
  Rng rng(5);
  for (int k = 0; k < 100; ++k) {
    Arch a = s.sample(rng);
    EXPECT_EQ(s.parse(s.format(a)), a);
  }
  // input1 unused: valid (inputs are never deleted).
  EXPECT_NO_THROW(s.parse(both("001,000,000;input0,input1,output")));
}

TEST(NagCellSpace, BadInputsNameTheProblem) {
  NagCellSpace s;
  expect_error([&] { s.parse(both("011,001,000;input0,input1,output")); }, "input0->input1");
  expect_error([&] { s.parse(both("0001,0001,1001,0000;input0,input1,identity,output")); },
               "goes into input0");
  expect_error([&] { s.parse(both("0011,0001,0101,0000;input0,input1,identity,output")); },
               "goes into input1");
  expect_error([&] { s.parse(both("0010,0011,0001,0000;input0,input1,input0,output")); },
               "op vertex 2 is input0 (id 1)");
  expect_error([&] { s.parse(both("0010,0011,0001,0000;input0,input1,output,output")); },
               "op vertex 2 is output");
  expect_error([&] { s.parse(both("0010,0011,0001,0000;input1,input0,identity,output")); },
               "vertex 0 is input1");
  expect_error([&] { s.parse(both("0010,0011,0001,0000;input0,input1,identity,maxpool3x3")); },
               "expected output");
  expect_error([&] { s.parse(both("0010,0011,0001,0000;input0,input1,conv3x3,output")); },
               "unknown op 'conv3x3'");
  // 11 vertices: a chain through 8 op vertices.
  std::string rows;
  for (int i = 0; i < 11; ++i) {
    if (i) rows += ",";
    for (int j = 0; j < 11; ++j) rows += (j == i + 1 && i != 0) || (i == 0 && j == 2) ? "1" : "0";
  }
  expect_error(
      [&] {
        s.parse(both(rows + ";input0,input1,identity,identity,identity,identity,identity,identity,"
                            "identity,identity,output"));
      },
      "11 vertices");
  expect_error([&] { s.parse(both("0010,0010,0000,0000;input0,input1,identity,output")); },
               "not reachable");
  expect_error([&] { s.parse(both("000,000,000;input0,input1,output")); }, "not reachable");
  // Dead op vertices are not canonical.
  expect_error(
      [&] {
        s.parse(both("00001,00101,00000,00001,00000;input0,input1,identity,maxpool3x3,output"));
      },
      "op vertex 2 is not on any input->output path");
  expect_error(
      [&] {
        s.parse(both("00001,00001,00010,00001,00000;input0,input1,identity,maxpool3x3,output"));
      },
      "op vertex 2 has no predecessor");
  // Malformed text.
  expect_error([&] { s.parse(kMinimal); }, "expected 2");
  expect_error([&] { s.parse(both("001,00x,000;input0,input1,output")); }, "0/1");
  expect_error([&] { s.parse(both("001,001;input0,input1,output")); }, "adjacency row");
  expect_error([&] { s.parse(both("001,001,000")); }, "expected 2: adjacency rows");
  expect_error([&] { s.parse(both("001,001,000;input0,output")); }, "2 op names");
  expect_error([&] { s.parse(""); }, "empty");
  expect_error([&] { s.parse("{\"normal\": 3"); }, "malformed JSON");
  expect_error(
      [&] {
        s.parse(
            R"({"normal": {"matrix": [[0,0,1],[0,0,1],[0,0,0]],
                           "ops": ["input0","input1","output"]}})");
      },
      "missing \"reduction\"");
  expect_error([&] { s.validate(Arch{}); }, "expected 2 cells");
}

TEST(NagCellSpace, SamplesAreValidIndependentAndFollowTheVertexPrior) {
  NagCellSpace s;
  Rng rng(11), again(11);
  int differing = 0, ten = 0, three = 0;
  for (int k = 0; k < 1000; ++k) {
    Arch a = s.sample(rng);
    ASSERT_EQ(a, s.sample(again));
    ASSERT_TRUE(s.is_valid(a)) << s.format(a);
    for (const auto& c : a.cells) {
      EXPECT_EQ(NagCellSpace::canonical_cell(c), c);
      ten += c.num_nodes() == 10;
      three += c.num_nodes() == 3;
    }
    differing += cell_hash(a.cells[0]) != cell_hash(a.cells[1]);
  }
  EXPECT_GT(differing, 950);
  // P(V = 10) is about 0.5 before pruning; pruning removes many op vertices of sparse cells.
  EXPECT_GT(ten, 250);
  EXPECT_LT(ten, 1100);
  EXPECT_GT(three, 0);
}

TEST(NagCellSpace, HashIsInvariantToOpVertexOrderAndPruning) {
  NagCellSpace s;
  Arch rs = s.parse("RS-NAG");
  Rng rng(2);
  int changed_order = 0;
  for (int k = 0; k < 30; ++k) {
    Arch p = rs;
    p.cells[0] = random_reorder(rs.cells[0], rng);
    p.cells[1] = random_reorder(rs.cells[1], rng);
    changed_order += p != rs;
    EXPECT_TRUE(s.is_valid(p));
    EXPECT_EQ(s.hash(p), s.hash(rs));
  }
  EXPECT_GT(changed_order, 10);
  // Cell order matters: (normal, reduction) swapped is another arch.
  Arch swapped{{rs.cells[1], rs.cells[0]}};
  EXPECT_NE(s.hash(swapped), s.hash(rs));
  // Swapping the two inputs' roles changes the network.
  Arch e2 = s.parse("RS-NAG-E2");
  Arch e2_swapped = s.parse(
      "00100,00111,00010,00001,00000;input0,input1,seqconv3x3,avgpool3x3,output|"
      "0011,0010,0001,0000;input0,input1,seqconv3x3,output");
  EXPECT_NE(s.hash(e2), s.hash(e2_swapped));
  // A dead op vertex is pruned by hash (validate rejects it, hash accepts it).
  Arch dead = rs;
  CellDag& c = dead.cells[1];
  CellDag bigger(7);
  for (int i = 0; i < 6; ++i) {
    int ni = i < 5 ? i : 6;
    bigger.ops[ni] = c.ops[i];
    for (int j = i + 1; j < 6; ++j) bigger.adj[ni][j < 5 ? j : 6] = c.adj[i][j];
  }
  bigger.ops[5] = NagCellSpace::kMaxPool;
  bigger.adj[1][5] = 1;  // fed by input1, feeds nothing
  c = bigger;
  EXPECT_FALSE(s.is_valid(dead));
  EXPECT_EQ(s.hash(dead), s.hash(rs));
  EXPECT_EQ(NagCellSpace::canonical_cell(dead.cells[1]), rs.cells[1]);
}

TEST(NagCellSpace, MutateIsOneValidChangeAndCellsCanGrow) {
  NagCellSpace s;
  Rng rng(4);
  int grew = 0, shrank = 0;
  for (int k = 0; k < 300; ++k) {
    Arch a = s.sample(rng);
    Arch b = s.mutate(a, rng);
    ASSERT_TRUE(s.is_valid(b)) << s.format(b);
    EXPECT_NE(s.hash(a), s.hash(b));
    int changed_cells = (a.cells[0] != b.cells[0]) + (a.cells[1] != b.cells[1]);
    EXPECT_EQ(changed_cells, 1);
    int na = a.cells[0].num_nodes() + a.cells[1].num_nodes();
    int nb = b.cells[0].num_nodes() + b.cells[1].num_nodes();
    grew += nb > na;
    shrank += nb < na;
  }
  EXPECT_GT(grew, 0);
  EXPECT_GT(shrank, 0);
  // The smallest arch can still move.
  Arch m = s.parse(both(kMinimal));
  Arch moved = s.mutate(m, rng);
  EXPECT_NE(s.hash(moved), s.hash(m));
}

TEST(NagCellSpace, NeighborsAreDeterministicValidAndDistinct) {
  NagCellSpace s;
  Arch rs = s.parse("RS-NAG");
  auto nb = s.neighbors(rs);
  EXPECT_EQ(nb, s.neighbors(rs));
  std::unordered_set<std::string> seen{s.hash(rs)};
  for (const auto& a : nb) {
    ASSERT_TRUE(s.is_valid(a)) << s.format(a);
    EXPECT_TRUE(seen.insert(s.hash(a)).second) << "duplicate or unchanged " << s.format(a);
  }
  // Normal: 9 vertices, 35 flippable edges and 6 op vertices x 4 other ops; reduction: 6
  // vertices, 14 edges and 3 x 4 op changes. Dedup and validity can only shrink that.
  EXPECT_LE(nb.size(), 35u + 24u + 14u + 12u);
  EXPECT_GT(nb.size(), 50u);
  // Changing the normal cell's first op vertex to identity is one of them.
  Arch want = rs;
  want.cells[0].ops[2] = NagCellSpace::kIdentity;
  bool found = false;
  for (const auto& a : nb) found = found || s.hash(a) == s.hash(want);
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace nas
