#include "libnas/encoding/graph_view.h"

#include <gtest/gtest.h>

#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas {
namespace {

TEST(GraphView, ShapesAndOneHotsMatchTheArchs) {
  auto space = make_space("nb201");
  Rng rng(1);
  std::vector<Arch> archs{space->sample(rng), space->sample(rng), space->sample(rng)};
  GraphBatch g = to_graph_batch(*space, archs);
  const int64_t N = space->max_nodes(), V = space->vocab().size();
  EXPECT_EQ(g.adj.sizes(), (std::vector<int64_t>{3, 1, N, N}));
  EXPECT_EQ(g.ops.sizes(), (std::vector<int64_t>{3, 1, N, V}));
  EXPECT_EQ(g.num_nodes.sizes(), (std::vector<int64_t>{3, 1}));
  // Every real node has exactly one label; the label sum equals the node count.
  EXPECT_TRUE(torch::equal(g.ops.sum(-1).sum(-1).to(torch::kInt64), g.num_nodes));
  for (size_t b = 0; b < archs.size(); ++b) {
    const CellDag& c = archs[b].cells[0];
    for (int i = 0; i < c.num_nodes(); ++i) {
      EXPECT_EQ(g.ops[b][0][i].argmax().item<int64_t>(), c.ops[i]);
      for (int j = 0; j < c.num_nodes(); ++j)
        EXPECT_EQ(g.adj[b][0][i][j].item<float>(), c.adj[i][j] ? 1.0f : 0.0f);
    }
  }
}

TEST(GraphView, RoundTripsEverySpaceWithCellsOfDifferentSizes) {
  for (const std::string name : {"nb201", "nb101", "macro", "channel-resnet", "nao", "nag", "darts"}) {
    auto space = make_space(name);
    Rng rng(7);
    std::vector<Arch> archs;
    for (int i = 0; i < 16; ++i) archs.push_back(space->sample(rng));
    GraphBatch g = to_graph_batch(*space, archs);
    EXPECT_EQ(g.adj.size(1), space->num_cells()) << name;
    std::vector<Arch> back = from_graph_batch(g);
    ASSERT_EQ(back.size(), archs.size());
    for (size_t i = 0; i < archs.size(); ++i) {
      EXPECT_EQ(back[i], archs[i]) << name << " arch " << i;
      EXPECT_NO_THROW(space->validate(back[i])) << name;
    }
  }
}

TEST(GraphView, SoftTensorsDecodeByThresholdAndArgmax) {
  auto space = make_space("nb101");
  Arch a = space->parse("0110,0001,0001,0000;input,conv3x3-bn-relu,maxpool3x3,output");
  GraphBatch g = to_graph_batch(*space, {a});
  g.adj = g.adj * 0.8 + 0.1;  // 1 -> 0.9, 0 -> 0.1
  g.ops = g.ops * 0.5 + 0.1;  // the one-hot still wins the argmax
  std::vector<Arch> back = from_graph_batch(g);
  EXPECT_EQ(back[0], a);
}

TEST(GraphView, WrongCellCountIsError) {
  auto nb201 = make_space("nb201");
  auto nag = make_space("nag");
  Rng rng(3);
  EXPECT_THROW(to_graph_batch(*nb201, {nag->sample(rng)}), Error);
}

}  // namespace
}  // namespace nas
