#include "generators/nag/gan.h"

#include <gtest/gtest.h>

#include "generators/nag/nag_gan.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/rng.h"

namespace nas::nag {
namespace {

GanModelConfig small_model() {
  GanModelConfig m;
  m.latent_dim = 8;
  m.g_node_size = 16;
  m.g_graph_size = 8;
  m.d_node_size = 16;
  m.d_graph_size = 8;
  return m;
}

TEST(NagGenerator, GraphsHaveTheViewsLayoutAndEndAtTheirOutput) {
  auto space = make_space("nag");
  const GraphShape shape = GraphShape::of(*space);
  torch::manual_seed(0);
  Generator g(shape, small_model(), 2, 3);
  const int64_t B = 16, N = shape.max_nodes, V = shape.vocab;
  auto labels = torch::randint(0, 3, {B, 2}, torch::kInt64);
  GraphBatch out = g->forward(torch::randn({B, 8}), labels);
  ASSERT_EQ(out.adj.sizes(), (std::vector<int64_t>{B, 2, N, N}));
  ASSERT_EQ(out.ops.sizes(), (std::vector<int64_t>{B, 2, N, V}));
  ASSERT_EQ(out.num_nodes.sizes(), (std::vector<int64_t>{B, 2}));
  EXPECT_TRUE(out.adj.requires_grad());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < 2; ++c) {
      const int64_t n = out.num_nodes[b][c].item<int64_t>();
      ASSERT_GE(n, 3);
      ASSERT_LE(n, N);
      auto labels_bc = out.ops[b][c].argmax(1);
      EXPECT_EQ(labels_bc[0].item<int64_t>(), NagCellSpace::kInput0);
      EXPECT_EQ(labels_bc[1].item<int64_t>(), NagCellSpace::kInput1);
      EXPECT_EQ(labels_bc[n - 1].item<int64_t>(), NagCellSpace::kOutput);
      for (int64_t i = 2; i < n - 1; ++i) {
        const int64_t l = labels_bc[i].item<int64_t>();
        EXPECT_TRUE(l >= NagCellSpace::kFirstOp && l <= NagCellSpace::kLastOp) << l;
      }
      // Soft rows are distributions inside the cell and zero outside; edges only go forward.
      auto row_sums = out.ops[b][c].sum(1);
      for (int64_t i = 0; i < N; ++i)
        EXPECT_NEAR(row_sums[i].item<double>(), i < n ? 1.0 : 0.0, 1e-5);
      EXPECT_EQ(out.adj[b][c].tril().abs().sum().item<double>(), 0.0);
      EXPECT_EQ(out.adj[b][c].narrow(0, n, N - n).abs().sum().item<double>(), 0.0);
      EXPECT_EQ(out.adj[b][c].narrow(1, n, N - n).abs().sum().item<double>(), 0.0);
      // The input vertices have no edge between them.
      EXPECT_EQ(out.adj[b][c][0][1].item<double>(), 0.0);
    }
}

// The reference tiled the graph embedding and condition across the batch in the edge step, so a
// sample's edges depended on the other samples (specs/nag.md §9.1). Each sample must come out
// the same alone as in a batch.
TEST(NagGenerator, EachSampleIsIndependentOfTheRestOfTheBatch) {
  auto space = make_space("nag");
  const GraphShape shape = GraphShape::of(*space);
  torch::manual_seed(1);
  Generator g(shape, small_model(), 1, 3);
  g->eval();
  torch::NoGradGuard no_grad;
  const int64_t B = 6;
  auto z = torch::randn({B, 8});
  auto labels = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64).unsqueeze(1);
  GraphBatch all = g->forward(z, labels);
  for (int64_t b = 0; b < B; ++b) {
    GraphBatch one = g->forward(z.narrow(0, b, 1), labels.narrow(0, b, 1));  // a batch of one works
    EXPECT_TRUE(torch::allclose(one.adj[0], all.adj[b], 1e-5, 1e-6)) << "sample " << b;
    EXPECT_TRUE(torch::allclose(one.ops[0], all.ops[b], 1e-5, 1e-6)) << "sample " << b;
    EXPECT_TRUE(torch::equal(one.num_nodes[0], all.num_nodes[b])) << "sample " << b;
  }
}

TEST(NagGenerator, WorksOnSingleInputSpacesAndIsDeterministicGivenTheNoise) {
  for (const char* name : {"nb201", "nb101", "macro"}) {
    auto space = make_space(name);
    const GraphShape shape = GraphShape::of(*space);
    torch::manual_seed(2);
    Generator g(shape, small_model(), 1, 3);
    g->eval();
    torch::NoGradGuard no_grad;
    auto z = torch::randn({4, 8});
    auto labels = torch::full({4, 1}, 2, torch::kInt64);
    GraphBatch a = g->forward(z, labels), b = g->forward(z, labels);
    EXPECT_TRUE(torch::equal(a.adj, b.adj)) << name;
    EXPECT_EQ(a.ops.size(3), space->vocab().size()) << name;
    EXPECT_EQ(a.ops[0][0][0].argmax().item<int64_t>(), space->vocab().input_ids[0]) << name;
  }
}

TEST(NagDiscriminator, ScoresDependOnTheGraphAndLabelsAndPassGradientsToTheGenerator) {
  auto space = make_space("nag");
  const GraphShape shape = GraphShape::of(*space);
  torch::manual_seed(3);
  Generator g(shape, small_model(), 1, 3);
  Discriminator d(shape, small_model(), 1, 3);
  d->eval();
  Rng rng(0);
  std::vector<Arch> archs;
  for (int i = 0; i < 4; ++i) archs.push_back(space->sample(rng));
  GraphBatch real = to_graph_batch(*space, archs);
  auto labels = torch::zeros({4, 1}, torch::kInt64);
  torch::Tensor s = d->forward(real, labels);
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{4}));
  EXPECT_FALSE(torch::allclose(s[0], s[1]));
  EXPECT_FALSE(torch::allclose(s, d->forward(real, labels + 2)));
  // A batch's order does not change a sample's score.
  GraphBatch swapped{real.adj.flip(0), real.ops.flip(0), real.num_nodes.flip(0)};
  EXPECT_TRUE(torch::allclose(d->forward(swapped, labels).flip(0), s, 1e-5, 1e-6));

  GraphBatch fake = g->forward(torch::randn({4, 8}), labels);
  d->forward(fake, labels).pow(2).mean().backward();
  double grad = 0;
  for (const auto& p : g->parameters())
    if (p.grad().defined()) grad += p.grad().abs().sum().item<double>();
  EXPECT_GT(grad, 0.0);
}

// What a GPU adds: the same generator and discriminator on CUDA give the CPU's graphs and
// scores (eval mode, same weights and noise).
TEST(NagGenerator, CudaMatchesTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto space = make_space("nag");
  const GraphShape shape = GraphShape::of(*space);
  torch::manual_seed(4);
  Generator g(shape, small_model(), 2, 3);
  Discriminator d(shape, small_model(), 2, 3);
  g->eval();
  d->eval();
  torch::NoGradGuard no_grad;
  auto z = torch::randn({8, 8});
  auto labels = torch::randint(0, 3, {8, 2}, torch::kInt64);
  GraphBatch cpu = g->forward(z, labels);
  torch::Tensor cpu_score = d->forward(cpu, labels);
  g->to(torch::kCUDA);
  d->to(torch::kCUDA);
  GraphBatch gpu = g->forward(z.cuda(), labels.cuda());
  EXPECT_TRUE(torch::equal(gpu.num_nodes.cpu(), cpu.num_nodes));
  EXPECT_TRUE(torch::allclose(gpu.adj.cpu(), cpu.adj, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(d->forward(gpu, labels.cuda()).cpu(), cpu_score, 1e-4, 1e-5));
}

TEST(NagDecode, RepairsDeadVerticesKeepsInputsAndDropsWhatCannotBeFixed) {
  auto space = make_space("nag");
  // Normal cell: vertex 2 (sep3) has no path to the output; reduction: a plain valid cell.
  CellDag dead(5);
  dead.ops = {NagCellSpace::kInput0, NagCellSpace::kInput1, NagCellSpace::kSepConv3x3,
              NagCellSpace::kMaxPool, NagCellSpace::kOutput};
  dead.set_edge(0, 2);
  dead.set_edge(1, 3);
  dead.set_edge(3, 4);
  CellDag ok(4);
  ok.ops = {NagCellSpace::kInput0, NagCellSpace::kInput1, NagCellSpace::kIdentity, NagCellSpace::kOutput};
  ok.set_edge(0, 2);
  ok.set_edge(2, 3);
  ok.set_edge(1, 3);
  CellDag unreachable(3);  // the output has no in-edge
  unreachable.ops = {NagCellSpace::kInput0, NagCellSpace::kInput1, NagCellSpace::kOutput};
  std::vector<Arch> archs = {Arch{{ok, ok}}, Arch{{dead, ok}}, Arch{{unreachable, ok}}};
  std::vector<bool> repaired;
  auto out = decode_generated(*space, to_graph_batch(*space, archs), &repaired);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0].has_value());
  EXPECT_EQ(*out[0], archs[0]);
  EXPECT_FALSE(repaired[0]);
  ASSERT_TRUE(out[1].has_value());
  EXPECT_TRUE(repaired[1]);
  EXPECT_EQ(out[1]->cells[0].num_nodes(), 4);  // the dead sep conv is gone, both inputs stay
  EXPECT_EQ(out[1]->cells[0].ops[0], NagCellSpace::kInput0);
  EXPECT_EQ(out[1]->cells[0].ops[1], NagCellSpace::kInput1);
  EXPECT_FALSE(out[2].has_value());
}

// Sampling draws its dropout masks from LibTorch's dropout, as it did before training moved to
// fast_dropout, so a saved generator gives the same architectures for a seed as before.
TEST(NagGan, SamplingDrawsDropoutMasksFromLibTorchsDropout) {
  auto space = make_space("nb201");
  GanConfig cfg;
  cfg.conditions = {"acc"};
  cfg.model = small_model();
  cfg.model.straight_through = false;  // soft fakes: every mask shows in the scores
  ASSERT_TRUE(cfg.sample_dropout);
  Rng rng(3);
  std::vector<NasRecord> records;
  for (int i = 0; i < 30; ++i)
    records.push_back({space->sample(rng), 70.0 + i, kMissing, kMissing});
  NagGan gan(space, cfg, NagGan::fit_scales(cfg, records), torch::kCPU);
  {
    // Every edge taken, so every step passes messages through dropout.
    torch::NoGradGuard no_grad;
    gan.generator()->named_parameters()["cell0.edge_out.bias"].fill_(10.0);
  }
  const int64_t n = 64;
  const uint64_t seed = 5;
  const torch::Tensor sampled = gan.sample({2}, n, seed).fakeness;
  EXPECT_TRUE(gan.generator()->is_training());

  // The discriminator's scores of the generator's batch from the same seed, in train mode, with
  // the masks from either source.
  auto scores = [&](bool fast) {
    torch::NoGradGuard no_grad;
    torch::manual_seed(seed);
    const torch::Tensor labels = torch::full({n, 1}, 2, torch::kInt64);
    gan.generator()->set_fast_dropout(fast);
    GraphBatch fake = gan.generator()->forward(torch::randn({n, cfg.model.latent_dim}), labels);
    gan.generator()->set_fast_dropout(true);
    gan.discriminator()->eval();
    torch::Tensor out = gan.discriminator()->forward(fake, labels);
    gan.discriminator()->train();
    return out;
  };
  // The same operations in the same order: equal to the last bit; the other masks move the
  // scores by about 1e-5.
  EXPECT_TRUE(torch::equal(sampled, scores(false)));
  EXPECT_FALSE(torch::equal(sampled, scores(true)));
}

}  // namespace
}  // namespace nas::nag
