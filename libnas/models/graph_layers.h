// Building blocks of the step-wise graph generators (NAG's and AG-Net's, both DGMG-like): what
// a generator generates (the graph view's shape), the gated-sum graph readout and summed edge
// messages. One copy here; each generator composes them its own way (specs/nag.md §2,
// specs/agnet.md §2).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace nas {

class SearchSpace;

// What a graph generator generates: the graph view of a space (cells per arch, vertices per
// cell, labels, which labels start and end a cell).
struct GraphShape {
  int cells = 1;
  int max_nodes = 0;
  int vocab = 0;
  std::vector<int> input_ids;  // labels of the start vertices, in order
  int output_id = 0;

  // nas::Error when the space's graph view has no input or output label or no room for a
  // generated vertex.
  static GraphShape of(const SearchSpace& space);
};

// Graph readout over node states h [B, n, node_size]: gated, sum_v f(h_v) * sigmoid(g(h_v));
// otherwise the mean of f(h_v); over the vertices where mask [B, n] is 1 (all when undefined).
// With `normalise` the result is L2-normalised (NAG); AG-Net reads the plain gated sum.
class GraphReadoutImpl : public torch::nn::Module {
 public:
  GraphReadoutImpl(int64_t node_size, int64_t graph_size, bool gated, bool normalise);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask = {});

 private:
  friend class ReadoutPair;
  bool gated_, normalise_;
  torch::nn::Linear f_{nullptr}, g_{nullptr};
};
TORCH_MODULE(GraphReadout);

// Two gated readouts of the same vertex states (a generator's graph embedding and the one that
// initialises its next vertex) in one product: operator()(h) returns (a(h), b(h)). Built once per
// forward pass from the two modules, whose parameters it reads (gradients flow to them).
class ReadoutPair {
 public:
  ReadoutPair(const GraphReadout& a, const GraphReadout& b);
  std::pair<torch::Tensor, torch::Tensor> operator()(const torch::Tensor& h) const;

 private:
  torch::Tensor weight_, bias_;  // [2 (graph_size + 1), node_size]: f_a, g_a, f_b, g_b
  int64_t graph_size_;
  bool normalise_;
};

// Message passing along the edges and against them as one product. With A [B, n, n] holding
// the edges (A[b][u][v] = 1 for u -> v), node features x [B, n, d] and two Linear(2d -> m),
// fwd and rev, vertex v receives
//   m_v = sum over edges u -> v of fwd(x_u ‖ x_v) + sum over edges v -> u of rev(x_u ‖ x_v),
// which equals EdgeInputs(A)(x) times both_directions(fwd, rev)^T. The inputs [B, n, 4d + 2] are,
// per vertex, [sum_{u->v} x_u ‖ sum_{v->u} x_u ‖ indeg_v x_v ‖ outdeg_v x_v ‖ indeg_v ‖
// outdeg_v], gathered by one batched product with relations built once per graph; the weights
// [m, 4d + 2] are built once per forward pass and can be composed with whatever reads the
// messages (a GRU's input weights). A layer then costs one batched product and one product with
// the composed weights, instead of two products and a batched one per direction.
class EdgeInputs {
 public:
  explicit EdgeInputs(const torch::Tensor& A);
  torch::Tensor operator()(const torch::Tensor& x) const;

 private:
  torch::Tensor relations_;  // [B, 4n, n]: row 4v + k sums over u for input k of vertex v
  torch::Tensor degrees_;    // [B, n, 2]: in-degree, out-degree
};
torch::Tensor both_directions(const torch::nn::Linear& fwd, const torch::nn::Linear& rev);

// lin(h_u ‖ x) for every vertex u of h [B, n, d], with x [B, k] (per sample, shared by its
// vertices) and lin a Linear(d + k -> m): [B, n, m]. Computed as h W_h^T + (x W_x^T + b), one
// product per vertex and one per sample instead of a product per pair.
torch::Tensor vertex_linear(const torch::Tensor& h, const torch::Tensor& x,
                            const torch::nn::Linear& lin);

// The adjacency [B, n, n] grown by one vertex whose incoming edges are `incoming` [B, n] (0/1).
torch::Tensor append_vertex(const torch::Tensor& A, const torch::Tensor& incoming);

// L2 normalisation over the last dimension (PyTorch's F.normalize).
torch::Tensor l2_normalize(const torch::Tensor& x);

// The GRU cell of torch::nn::GRUCell (gate order r, z, n) as one autograd node: its backward
// pass is written out (four products and a few element-wise ops) instead of the dozen nodes
// ATen's composite gru_cell records. The graph generators call it on small batches many times
// per step, where the cost per node dominates. x [M, I], h [M, H], w_ih [3H, I], w_hh [3H, H],
// b_ih and b_hh [3H] -> h' [M, H]; or D independent cells at once, every argument stacked along a
// new first dimension (x [D, M, I], w_ih [D, 3H, I], b_ih [D, 3H], ...). No double backward.
torch::Tensor gru_cell(const torch::Tensor& x, const torch::Tensor& h, const torch::Tensor& w_ih,
                       const torch::Tensor& w_hh, const torch::Tensor& b_ih,
                       const torch::Tensor& b_hh);

// torch::nn::GRUCell on gru_cell: the same parameters (names, shapes, initialisation from a seed)
// and results.
class GruCellImpl : public torch::nn::Module {
 public:
  GruCellImpl(int64_t input_size, int64_t hidden_size);
  // x [M, input_size], h [M, hidden_size] -> h' [M, hidden_size].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& h);

  torch::Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};
TORCH_MODULE(GruCell);

}  // namespace nas
