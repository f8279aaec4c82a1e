// AG-Net's graph generator (specs/agnet.md §2): noise z -> a cell DAG grown one vertex at a
// time, for any space with a graph view. No encoder, no discriminator: it is pre-trained by
// reconstruction against random, unpaired architectures of the space (§2.3), and sampling its
// logits is what makes generation stochastic (§2.4).
//
// Per cell: the start vertices (the space's input labels) get states from their label
// embedding and z. Each step then
//   a. propagates the states over the partial graph: a bidirectional GNN on split states (the
//      first half along the edges, the second along reversed edges; per layer a Linear of the
//      two end points' halves summed at the receiver and a GRU update) and reads it out twice
//      (gated sums h_G and h_Ginit);
//   b. scores the new vertex's label from h_G ‖ z;
//   c. embeds the raw label logits (soft, differentiable) and initialises the new state from
//      them, h_Ginit and z;
//   d. scores an edge from every existing vertex: MLP(h_u ‖ h_new ‖ h_G ‖ z);
//   e. adds the edges whose logit exceeds 0.5 to the graph the GNN sees next (deterministic; the
//      generator's own graph, never the target's).
// All max_nodes vertices are always produced; sampling cuts a cell at its first output label.
//
// Like NAG's generator (generators/nag/gan.h) it is DGMG-like and shares its building blocks
// (libnas/models/graph_layers.h: readout, dense edge messages). They differ where the papers
// do: AG-Net reads no condition, splits each state into a forward and a backward half, embeds
// soft label logits instead of an argmax label, emits logits for every vertex (the
// reconstruction loss and the surrogate read them) instead of stopping at the output, and has
// no dropout or normalisation.
//
// Deviations from the reference, on purpose (specs/agnet.md §5):
//   - the edge MLP reads each sample's own h_G and z (the reference's tiling gave graph b the
//     embedding and noise of another sample of its batch, §5.5);
//   - message passing runs on dense per-sample adjacencies, so a graph whose last vertices are
//     isolated cannot receive another graph's messages (the reference's offsets could, §5.6);
//     with both, a sample's logits do not depend on the rest of its batch (tested);
//   - a graph of one vertex is read out by the gated readout like any other (the reference
//     switches to a plain linear layer there);
//   - generated vertices cannot take an input label (their logit is offset by -20, as the start
//     vertices' logits are fixed at +20 for theirs); the reference relies on the validity filter;
//   - several input vertices (NASNet-style cells) are all start vertices, with no edge between
//     them; with one input the first edge (input -> vertex 1) is fixed at +20, as the reference;
//   - a space of several cells (normal and reduction) has one cell generator per cell, each
//     with its own slice of z.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libnas/models/graph_layers.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/rng.h"

namespace nas::agnet {

// Sizes of the generator (specs/agnet.md §2.1: 32, 32, 2 for NB101/NB201).
struct GeneratorConfig {
  int64_t latent_dim = 32;   // z per cell; also the graph embedding size
  int64_t node_size = 32;    // vertex state (split into two halves for the GNN)
  int64_t gnn_layers = 2;    // per direction

  template <class V>
  void fields(V& v) {
    v("latent_dim", latent_dim, "noise size per cell (and graph embedding size)");
    v("node_size", node_size, "vertex state size (even: a forward and a backward half)");
    v("gnn_layers", gnn_layers, "GNN layers per direction");
  }
  void validate(const std::string& where) const;
};

// The generator's raw output, per cell c: node_logits [B, C, N, V] (the start vertices' rows
// fixed at +20 for their label) and edge_logits [B, C, E], E = N (N - 1) / 2, ordered by target
// vertex and, within a target, by source: (0->1), (0->2), (1->2), (0->3), ... (specs/agnet.md
// §1.1).
struct GraphLogits {
  torch::Tensor node_logits;
  torch::Tensor edge_logits;

  int64_t batch() const { return node_logits.size(0); }
  // Everything flattened per sample, [B, C (N V + E)]: the surrogate's input.
  torch::Tensor flat() const;
};

// Reconstruction targets of a batch of archs: node labels [B, C, N] int64 (padding vertices
// take the output label, §1.1) and edges [B, C, E] float 0/1 in the order of GraphLogits.
struct GraphTargets {
  torch::Tensor labels;
  torch::Tensor edges;
};
GraphTargets graph_targets(const SearchSpace& space, const std::vector<Arch>& archs,
                           const torch::Device& device = torch::kCPU);

class CellGeneratorImpl;

class GeneratorImpl : public torch::nn::Module {
 public:
  GeneratorImpl(const GraphShape& shape, const GeneratorConfig& cfg);
  // z [B, cells * latent_dim] -> logits.
  GraphLogits forward(const torch::Tensor& z);
  // Noise for n samples: standard normal (training), or uniform in [-bound, bound] (search
  // draws from U[-3, 3], specs/agnet.md §2.4).
  torch::Tensor noise(int64_t n, std::optional<double> uniform_bound = std::nullopt) const;
  const GraphShape& shape() const { return shape_; }
  int64_t latent_size() const { return shape_.cells * cfg_.latent_dim; }
  // Size of GraphLogits::flat() per sample.
  int64_t flat_size() const;

 private:
  GraphShape shape_;
  GeneratorConfig cfg_;
  std::vector<std::shared_ptr<CellGeneratorImpl>> cells_;
};
TORCH_MODULE(Generator);

// Per-sample reconstruction loss [B]: the mean cross-entropy of the vertex labels plus the
// mean binary cross-entropy of the edges, over all cells (specs/agnet.md §2.3).
torch::Tensor reconstruction_loss(const GraphLogits& logits, const GraphTargets& targets);

// Samples one architecture per row (specs/agnet.md §2.4): labels from softmax(logits) for the
// generated vertices (the last one forced to the output label), the cell cut at its first
// output, each edge from Bernoulli(sigmoid(logit)). Draws from LibTorch's generator. A row
// whose sample the space rejects is nullopt.
std::vector<std::optional<Arch>> sample_archs(const SearchSpace& space, const GraphLogits& logits);

}  // namespace nas::agnet
