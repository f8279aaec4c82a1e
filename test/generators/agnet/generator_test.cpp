// AG-Net's generator: the target encoding's edge order (specs/agnet.md §1.1), batch
// independence (the reference's §5.5 and §5.6 bugs), pre-training by reconstruction on random
// cells, and the cache of pre-trained weights.
#include "generators/agnet/generator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "generators/agnet/pretrain.h"
#include "libnas/util/error.h"
#include "test_util.h"

namespace nas::agnet {
namespace {

namespace fs = std::filesystem;

TEST(AgNetGenerator, TargetsOrderEdgesByTargetThenSourceAndPadWithOutput) {
  auto space = make_space("nb101");
  // input -> conv3x3 -> output, plus input -> output: 3 of 7 vertices.
  Arch a = space->parse("011,001,000;input,conv3x3,output");
  GraphTargets t = graph_targets(*space, {a});
  ASSERT_EQ(t.labels.sizes(), (std::vector<int64_t>{1, 1, 7}));
  ASSERT_EQ(t.edges.sizes(), (std::vector<int64_t>{1, 1, 21}));
  const int out = space->vocab().output_id;
  EXPECT_EQ(t.labels[0][0][0].item<int64_t>(), space->vocab().input_ids[0]);
  EXPECT_EQ(t.labels[0][0][1].item<int64_t>(), space->vocab().find("conv3x3-bn-relu"));
  for (int v = 2; v < 7; ++v) EXPECT_EQ(t.labels[0][0][v].item<int64_t>(), out) << v;
  // (0->1), (0->2), (1->2), (0->3), ...: edges 0->1, 0->2 and 1->2 are the first three.
  std::vector<float> e(t.edges.data_ptr<float>(), t.edges.data_ptr<float>() + 21);
  std::vector<float> want(21, 0.0f);
  want[0] = want[1] = want[2] = 1.0f;
  EXPECT_EQ(e, want);
}

// A sample's logits do not depend on the rest of its batch. The reference tiled the graph
// embedding and noise across the batch in the wrong order for the edge scorer (§5.5) and
// offset batched graphs by their largest connected vertex (§5.6): both make a graph's edges
// depend on its neighbours in the batch.
TEST(AgNetGenerator, ASampleDoesNotDependOnItsBatch) {
  for (const std::string name : {"nb101", "nag"}) {
    auto space = make_space(name);
    torch::manual_seed(3);
    Generator gen(GraphShape::of(*space), GeneratorConfig{});
    torch::NoGradGuard no_grad;
    torch::Tensor z = gen->noise(6, 3.0);
    GraphLogits all = gen->forward(z);
    // The batch graphs differ, so a mix-up would show.
    EXPECT_FALSE(torch::allclose(all.edge_logits[0], all.edge_logits[1]));
    for (int64_t b = 0; b < 6; ++b) {
      GraphLogits one = gen->forward(z.narrow(0, b, 1));
      EXPECT_TRUE(torch::allclose(one.node_logits[0], all.node_logits[b], 1e-4, 1e-5)) << name << " " << b;
      EXPECT_TRUE(torch::allclose(one.edge_logits[0], all.edge_logits[b], 1e-4, 1e-5)) << name << " " << b;
    }
  }
}

TEST(AgNetGenerator, StartVerticesAndTheFirstEdgeAreFixed) {
  auto space = make_space("nb201");
  torch::manual_seed(0);
  Generator gen(GraphShape::of(*space), GeneratorConfig{});
  torch::NoGradGuard no_grad;
  GraphLogits l = gen->forward(gen->noise(4));
  const int in = space->vocab().input_ids[0];
  EXPECT_TRUE(torch::allclose(l.node_logits.select(2, 0).select(2, in), torch::full({4, 1}, 20.0)));
  EXPECT_TRUE(torch::allclose(l.edge_logits.select(2, 0), torch::full({4, 1}, 20.0)));
  // Generated vertices never score the input label above -19.
  EXPECT_LT(l.node_logits.narrow(2, 1, 7).select(3, in).max().item<double>(), -10.0);
}

// Pre-training by reconstruction against unpaired random cells teaches the generator the space:
// almost every NB201 sample has the fixed adjacency, and the ops follow the uniform marginal.
TEST(AgNetGenerator, PretrainingReconstructsRandomNb201Cells) {
  auto space = make_space("nb201");
  torch::manual_seed(1);
  Generator gen(GraphShape::of(*space), GeneratorConfig{});
  PretrainConfig cfg;
  cfg.steps = 600;
  cfg.lr = 2e-3;
  PretrainStats s = pretrain(gen, *space, cfg);
  EXPECT_GT(s.validity, 0.9);
  EXPECT_GT(s.uniqueness, 0.8);
  // Noise and targets are unpaired, so the best a generator can do is the data's marginal: the
  // six uniform op labels cost ln 5 * 6/8 = 1.207 per cell, edges nothing (they are fixed).
  EXPECT_LT(s.loss, 1.25);
  // Reconstruction: with noise from the training distribution, the thresholded edges equal the
  // fixed adjacency (every cell has it) for every sample, and each op position uses all five ops.
  torch::NoGradGuard no_grad;
  torch::manual_seed(2);
  GraphLogits l = gen->forward(gen->noise(500));
  Rng rng(0);
  GraphTargets t = graph_targets(*space, std::vector<Arch>(500, space->sample(rng)));
  torch::Tensor edge_ok = l.edge_logits.gt(0).to(torch::kFloat32).eq(t.edges).to(torch::kFloat32).mean();
  EXPECT_GT(edge_ok.item<double>(), 0.99);
  std::vector<std::optional<Arch>> archs = sample_archs(*space, l);
  std::map<int, int> counts;
  int valid = 0;
  for (const auto& a : archs)
    if (a) {
      ++valid;
      for (int v = 1; v <= 6; ++v) ++counts[a->cells[0].ops[v]];
    }
  ASSERT_GT(valid, 400);
  EXPECT_EQ(counts.size(), 5u);
  for (const auto& [op, c] : counts) {
    const double f = static_cast<double>(c) / (6.0 * valid);
    EXPECT_GT(f, 0.1) << "op " << op;
    EXPECT_LT(f, 0.3) << "op " << op;
  }
}

TEST(AgNetGenerator, CacheIsReadBackRebuiltWhenTruncatedAndRefusedForAnotherSpace) {
  test::TempDir tmp;
  auto space = make_space("nb201");
  PretrainConfig cfg;
  cfg.steps = 20;
  const std::string file = cache_path(tmp.path(), *space, GeneratorConfig{}, cfg);
  EXPECT_NE(file.find("/agnet/nb201-"), std::string::npos);
  PretrainStats s1, s2, s3;
  Generator a = pretrained_generator(*space, GeneratorConfig{}, cfg, file, &s1);
  EXPECT_EQ(s1.source, "trained");
  ASSERT_TRUE(fs::exists(file));
  Generator b = pretrained_generator(*space, GeneratorConfig{}, cfg, file, &s2);
  EXPECT_EQ(s2.source, file);
  test::expect_same_weights(*a, *b);

  // Another config hashes to another file; another space's generator under this name is refused.
  PretrainConfig other = cfg;
  other.steps = 21;
  EXPECT_NE(cache_path(tmp.path(), *space, GeneratorConfig{}, other), file);
  auto macro = make_space("macro");
  EXPECT_THROW(
      {
        try {
          pretrained_generator(*macro, GeneratorConfig{}, cfg, file);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("is for space nb201, not macro"), std::string::npos)
              << e.what();
          throw;
        }
      },
      Error);

  // A truncated file is trained again (same seed, same weights) and replaced.
  const auto size = fs::file_size(file);
  fs::resize_file(file, size / 2);
  Generator c = pretrained_generator(*space, GeneratorConfig{}, cfg, file, &s3);
  EXPECT_EQ(s3.source, "trained");
  test::expect_same_weights(*a, *c);
  EXPECT_EQ(fs::file_size(file), size);
}

}  // namespace
}  // namespace nas::agnet
