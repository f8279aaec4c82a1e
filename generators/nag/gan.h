// NAG's conditional GAN over cell DAGs (specs/nag.md §2, §3), for any space with a graph view.
//
// Generator: per cell of the arch (normal and reduction for NASNet-style spaces) one
// DGMG-style step generator. It starts from the space's input vertices and adds one vertex per
// step: propagate the node states through a GNN (forward and reverse message MLPs, sum, GRU
// update), read the graph out (gated sum), pick the new vertex's label from the graph embedding
// and the condition vector (inputs masked; the label is the argmax), initialise its state, then
// decide an edge from every existing vertex to it (sigmoid > 0.5). A cell ends at its first
// output vertex; the last slot is forced to be the output. The condition vector is the noise z
// concatenated with the L2-normalised embedding of each condition's class label.
// What leaves the generator is soft: edge probabilities and label softmaxes, padded like the
// graph view (GraphBatch), so the discriminator's gradient reaches the generator; hard
// decisions only steer the construction. With straight_through the values are the hard
// decisions (0/1 edges, one-hot labels) carrying the soft values' gradient (specs/nag.md §9.11).
//
// Deviations from the reference, on purpose (specs/nag.md §9):
//   - the edge step broadcasts each sample's own graph embedding and condition over its
//     vertices (the reference's repeat mixed samples across the batch, §9.1);
//   - messages are computed densely: Linear(h_u ‖ h_v) summed over the in-edges of v is
//     W_src (A^T h) + indeg(v) (W_dst h_v + b), the same function at a fraction of the cost;
//   - message passing is skipped for a sample while it has no edge (the reference skipped it
//     while no sample of the batch had one, so a sample depended on its batch), and a batch of
//     one works.
//
// Discriminator: per cell a GCN over the symmetrised, self-looped, degree-normalised adjacency
// (label one-hots in, no bias, dropout before each layer, LeakyReLU between), L2-normalised
// node states, a gated-sum readout over the first num_nodes vertices; a head MLP over the cells'
// embeddings and its own L2-normalised label embeddings, widths halving, raw scalar out.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "libnas/encoding/graph_view.h"
#include "libnas/models/graph_layers.h"
#include "libnas/spaces/search_space.h"

namespace nas::nag {

// Sizes of the networks (the reference values, specs/nag.md §2.3 and §3.1).
struct GanModelConfig {
  int64_t latent_dim = 100;
  int64_t label_embedding = 10;
  int64_t g_node_size = 250;   // generator node state (ndim)
  int64_t g_graph_size = 56;   // generator graph embedding (sdim)
  int64_t g_layers = 3;        // GNN layers per step
  double g_dropout = 0.5;
  std::string aggr = "gsum";   // readout: gsum or mean
  int64_t d_node_size = 250;
  int64_t d_graph_size = 56;
  int64_t d_gnn_layers = 3;
  int64_t d_mlp_layers = 4;
  double d_dropout = 0.5;
  bool straight_through = true;  // hand D hard fakes, pass gradients through the soft values

  template <class V>
  void fields(V& v) {
    v("latent_dim", latent_dim, "noise size");
    v("label_embedding", label_embedding, "embedding size of each condition's class label");
    v("g_node_size", g_node_size, "generator node state size");
    v("g_graph_size", g_graph_size, "generator graph embedding size");
    v("g_layers", g_layers, "generator GNN layers per step");
    v("g_dropout", g_dropout, "generator dropout (before each GNN layer)");
    v("aggr", aggr, "graph readout: gsum (gated sum) or mean");
    v("d_node_size", d_node_size, "discriminator node state size");
    v("d_graph_size", d_graph_size, "discriminator graph embedding size");
    v("d_gnn_layers", d_gnn_layers, "discriminator GCN layers");
    v("d_mlp_layers", d_mlp_layers, "discriminator head layers (widths halving)");
    v("d_dropout", d_dropout, "discriminator dropout");
    v("straight_through", straight_through,
      "give the discriminator hard (0/1) fakes with the soft values' gradient, so it cannot tell "
      "fakes by their softness (the reference hands it the soft values)");
  }
  void validate(const std::string& where) const;
};

class CellGeneratorImpl;
class CellDiscriminatorImpl;

// The generator of all cells. `num_conditions` label embeddings of `classes` rows each.
class GeneratorImpl : public torch::nn::Module {
 public:
  GeneratorImpl(const GraphShape& shape, const GanModelConfig& cfg, int num_conditions,
                int64_t classes);
  // z [B, latent_dim], labels [B, num_conditions] int64 in 0..classes-1 -> a soft GraphBatch
  // (adj and ops padded to max_nodes, zero beyond each cell's num_nodes).
  GraphBatch forward(const torch::Tensor& z, const torch::Tensor& labels);
  // The condition vector z ‖ normalised label embeddings.
  torch::Tensor condition(const torch::Tensor& z, const torch::Tensor& labels);
  // Where dropout masks come from in train mode: fast_dropout (the default; training) or
  // LibTorch's dropout, the stream sampling has always drawn from, so a saved generator gives
  // the same architectures for a seed as it did before fast_dropout.
  void set_fast_dropout(bool fast);

 private:
  std::vector<torch::nn::Embedding> label_emb_;
  std::vector<std::shared_ptr<CellGeneratorImpl>> cells_;
  bool straight_through_;
};
TORCH_MODULE(Generator);

class DiscriminatorImpl : public torch::nn::Module {
 public:
  DiscriminatorImpl(const GraphShape& shape, const GanModelConfig& cfg, int num_conditions,
                    int64_t classes);
  // A realness score per sample, [B] (raw; the loss is least squares with real 0, fake 1).
  torch::Tensor forward(const GraphBatch& graphs, const torch::Tensor& labels);

 private:
  std::vector<torch::nn::Embedding> label_emb_;
  std::vector<std::shared_ptr<CellDiscriminatorImpl>> cells_;
  std::vector<torch::nn::Linear> head_;
  double dropout_;
};
TORCH_MODULE(Discriminator);

}  // namespace nas::nag
