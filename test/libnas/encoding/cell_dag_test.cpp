#include "libnas/encoding/cell_dag.h"

#include <gtest/gtest.h>

#include "libnas/util/error.h"

namespace nas {
namespace {

CellDag make(std::vector<int> ops, const std::string& rows) {
  return CellDag(std::move(ops), adjacency_from_string(rows, ',', "test"));
}

TEST(CellDag, HashEqualForIsomorphicCells) {
  // input -> a(conv3) -> out, input -> b(conv1) -> out; the same with a and b swapped.
  CellDag x = make({0, 3, 2, 1}, "0110,0001,0001,0000");
  CellDag y = make({0, 2, 3, 1}, "0110,0001,0001,0000");
  EXPECT_EQ(cell_hash(x), cell_hash(y));
  CellDag z = make({0, 3, 3, 1}, "0110,0001,0001,0000");
  EXPECT_NE(cell_hash(x), cell_hash(z));
}

TEST(CellDag, HashSeesEdgeDirectionAndStructure) {
  CellDag chain = make({0, 3, 2, 1}, "0100,0010,0001,0000");
  CellDag chain_swapped = make({0, 2, 3, 1}, "0100,0010,0001,0000");
  EXPECT_NE(cell_hash(chain), cell_hash(chain_swapped));
}

TEST(CellDag, PruneRemovesDeadNodes) {
  // node 2 has no path to the output; node 1 is not reachable from the input.
  CellDag c = make({0, 3, 2, 4, 1}, "00011,00001,00000,00001,00000");
  CellDag p = prune(c, {0}, 4);
  EXPECT_EQ(p.num_nodes(), 3);
  EXPECT_EQ(p.ops, (std::vector<int>{0, 4, 1}));
  EXPECT_TRUE(p.edge(0, 1));
  EXPECT_TRUE(p.edge(0, 2));
  EXPECT_TRUE(p.edge(1, 2));
  // keep= holds on to a node even when it is dead.
  EXPECT_EQ(prune(c, {0}, 4, {1}).num_nodes(), 4);
}

TEST(CellDag, AdjacencyStringRoundTripAndErrors) {
  CellDag c = make({0, 3, 1}, "011,001,000");
  EXPECT_EQ(adjacency_to_string(c), "011,001,000");
  EXPECT_THROW(adjacency_from_string("01,001,000", ',', "t"), Error);
  EXPECT_THROW(adjacency_from_string("012,001,000", ',', "t"), Error);
  CellDag back = make({0, 3, 1}, "011,101,000");
  EXPECT_THROW(check_shape(back, "t"), Error);
}

}  // namespace
}  // namespace nas
