#include "libnas/models/graph_layers.h"

#include <cmath>

#include "libnas/spaces/search_space.h"
#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas {

namespace F = torch::nn::functional;

GraphShape GraphShape::of(const SearchSpace& space) {
  GraphShape s;
  s.cells = space.num_cells();
  s.max_nodes = space.max_nodes();
  s.vocab = space.vocab().size();
  s.input_ids = space.vocab().input_ids;
  s.output_id = space.vocab().output_id;
  NAS_CHECK(!s.input_ids.empty() && s.output_id >= 0 && s.output_id < s.vocab,
            "space {}: its graph view has no input or output label, which a graph generator needs",
            space.name());
  NAS_CHECK(s.max_nodes > static_cast<int>(s.input_ids.size()),
            "space {}: max_nodes {} leaves no room after the {} input vertices", space.name(),
            s.max_nodes, s.input_ids.size());
  return s;
}

GraphReadoutImpl::GraphReadoutImpl(int64_t node_size, int64_t graph_size, bool gated,
                                   bool normalise)
    : gated_(gated), normalise_(normalise) {
  f_ = register_module("f", torch::nn::Linear(node_size, graph_size));
  if (gated_) g_ = register_module("g", torch::nn::Linear(node_size, 1));
}

torch::Tensor GraphReadoutImpl::forward(const torch::Tensor& h, const torch::Tensor& mask) {
  torch::Tensor v = f_(h);
  if (gated_) v = v * torch::sigmoid(g_(h));
  if (mask.defined()) v = v * mask.unsqueeze(-1);
  torch::Tensor s = v.sum(1);
  if (!gated_) {
    torch::Tensor count = mask.defined()
                              ? mask.sum(1, true).clamp_min(1.0)
                              : torch::full({1, 1}, static_cast<double>(h.size(1)), h.options());
    s = s / count;
  }
  return normalise_ ? l2_normalize(s) : s;
}

ReadoutPair::ReadoutPair(const GraphReadout& a, const GraphReadout& b)
    : graph_size_(a->f_->weight.size(0)), normalise_(a->normalise_) {
  NAS_CHECK(a->gated_ && b->gated_ && b->normalise_ == normalise_ &&
                b->f_->weight.sizes() == a->f_->weight.sizes(),
            "ReadoutPair: expected two gated readouts of the same sizes");
  weight_ = torch::cat({a->f_->weight, a->g_->weight, b->f_->weight, b->g_->weight});
  bias_ = torch::cat({a->f_->bias, a->g_->bias, b->f_->bias, b->g_->bias});
}

std::pair<torch::Tensor, torch::Tensor> ReadoutPair::operator()(const torch::Tensor& h) const {
  const int64_t s = graph_size_;
  torch::Tensor y = torch::nn::functional::linear(h, weight_, bias_);
  y = y.view({h.size(0), h.size(1), 2, s + 1});
  torch::Tensor sum = (y.narrow(3, 0, s) * torch::sigmoid(y.narrow(3, s, 1))).sum(1);  // [B, 2, s]
  if (normalise_) sum = l2_normalize(sum);
  return {sum.select(1, 0), sum.select(1, 1)};
}

EdgeInputs::EdgeInputs(const torch::Tensor& A) {
  const int64_t B = A.size(0), n = A.size(1);
  torch::Tensor in = A.sum(1), out = A.sum(2);
  relations_ = torch::stack({A.transpose(1, 2), A, torch::diag_embed(in), torch::diag_embed(out)}, 2)
                   .view({B, 4 * n, n});
  degrees_ = torch::stack({in, out}, 2);
}

torch::Tensor EdgeInputs::operator()(const torch::Tensor& x) const {
  const int64_t B = x.size(0), n = x.size(1), d = x.size(2);
  return torch::cat({relations_.bmm(x).view({B, n, 4 * d}), degrees_}, 2);
}

torch::Tensor both_directions(const torch::nn::Linear& fwd, const torch::nn::Linear& rev) {
  const int64_t d = fwd->weight.size(1) / 2;
  const torch::Tensor &wf = fwd->weight, &wr = rev->weight;
  return torch::cat({wf.narrow(1, 0, d), wr.narrow(1, 0, d), wf.narrow(1, d, d), wr.narrow(1, d, d),
                     fwd->bias.unsqueeze(1), rev->bias.unsqueeze(1)},
                    1);
}

torch::Tensor vertex_linear(const torch::Tensor& h, const torch::Tensor& x,
                            const torch::nn::Linear& lin) {
  const int64_t d = h.size(-1);
  const torch::Tensor& W = lin->weight;
  torch::Tensor per_vertex = h.matmul(W.narrow(1, 0, d).t());
  torch::Tensor shared = x.matmul(W.narrow(1, d, W.size(1) - d).t()) + lin->bias;
  return per_vertex + shared.unsqueeze(1);
}

torch::Tensor append_vertex(const torch::Tensor& A, const torch::Tensor& incoming) {
  const int64_t B = A.size(0), n = A.size(1);
  torch::Tensor grown = torch::zeros({B, n + 1, n + 1}, A.options());
  grown.narrow(1, 0, n).narrow(2, 0, n).copy_(A);
  grown.narrow(1, 0, n).select(2, n).copy_(incoming);
  return grown;
}

torch::Tensor l2_normalize(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12));
}

namespace {

// Products over the last two dimensions, of matrices [M, K] or stacks of them [D, M, K].
torch::Tensor mat(const torch::Tensor& a, const torch::Tensor& b) {
  return a.dim() == 2 ? a.mm(b) : a.bmm(b);
}
torch::Tensor add_mat(const torch::Tensor& c, const torch::Tensor& a, const torch::Tensor& b) {
  return a.dim() == 2 ? torch::addmm(c, a, b) : torch::baddbmm(c, a, b);
}
torch::Tensor tr(const torch::Tensor& a) { return a.transpose(-1, -2); }

// The GRU update h' = (1 - z) * n + z * h with r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h +
// b_h{r,z}) and n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), PyTorch's gate order (r, z, n).
struct GruCellFunction : public torch::autograd::Function<GruCellFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& h, const torch::Tensor& w_ih,
                               const torch::Tensor& w_hh, const torch::Tensor& b_ih,
                               const torch::Tensor& b_hh) {
    const int64_t H = h.size(-1), last = h.dim() - 1;
    torch::Tensor gi = add_mat(b_ih.unsqueeze(-2), x, tr(w_ih));
    torch::Tensor gh = add_mat(b_hh.unsqueeze(-2), h, tr(w_hh));
    torch::Tensor rz = torch::sigmoid(gi.narrow(last, 0, 2 * H) + gh.narrow(last, 0, 2 * H));
    torch::Tensor hn = gh.narrow(last, 2 * H, H);
    torch::Tensor n =
        torch::tanh(torch::addcmul(gi.narrow(last, 2 * H, H), rz.narrow(last, 0, H), hn));
    torch::Tensor out = torch::addcmul(n, rz.narrow(last, H, H), h - n);
    ctx->save_for_backward({x, h, w_ih, w_hh, rz, hn, n});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &h = saved[1], &w_ih = saved[2], &w_hh = saved[3],
                        &rz = saved[4], &hn = saved[5], &n = saved[6];
    const int64_t H = h.size(-1), last = h.dim() - 1;
    const torch::Tensor& g = grads[0];
    torch::Tensor r = rz.narrow(last, 0, H), z = rz.narrow(last, H, H);
    // Through n = tanh(a): da = g (1 - z) (1 - n^2).
    torch::Tensor dn = g * (1 - z) * (1 - n * n);
    // Through r and z (sigmoids): d(pre) = d(gate) * gate (1 - gate).
    torch::Tensor drz = torch::cat({dn * hn, g * (h - n)}, last) * rz * (1 - rz);
    torch::Tensor dgi = torch::cat({drz, dn}, last);
    torch::Tensor dgh = torch::cat({drz, dn * r}, last);
    return {mat(dgi, w_ih),     add_mat(g * z, dgh, w_hh), mat(tr(dgi), x),
            mat(tr(dgh), h),    dgi.sum(-2),               dgh.sum(-2)};
  }
};

}  // namespace

torch::Tensor gru_cell(const torch::Tensor& x, const torch::Tensor& h, const torch::Tensor& w_ih,
                       const torch::Tensor& w_hh, const torch::Tensor& b_ih,
                       const torch::Tensor& b_hh) {
  const int64_t d = x.dim();
  NAS_CHECK((d == 2 || d == 3) && h.dim() == d && w_ih.dim() == d && w_hh.dim() == d &&
                b_ih.dim() == d - 1 && b_hh.dim() == d - 1 && x.size(-2) == h.size(-2) &&
                w_ih.size(-1) == x.size(-1) && w_hh.size(-1) == h.size(-1) &&
                w_ih.size(-2) == 3 * h.size(-1) && w_hh.size(-2) == 3 * h.size(-1) &&
                (d == 2 || (x.size(0) == h.size(0) && w_ih.size(0) == x.size(0) &&
                            w_hh.size(0) == x.size(0) && b_ih.size(0) == x.size(0) &&
                            b_hh.size(0) == x.size(0))),
            "gru_cell: expected x [(D,) M, I], h [(D,) M, H], weights [(D,) 3H, I] and [(D,) 3H, "
            "H]; found x {}, h {}, w_ih {}, w_hh {}",
            shape_string(x), shape_string(h), shape_string(w_ih), shape_string(w_hh));
  return GruCellFunction::apply(x, h, w_ih, w_hh, b_ih, b_hh);
}

GruCellImpl::GruCellImpl(int64_t input_size, int64_t hidden_size) {
  // Registered and initialised as torch::nn::GRUCell: U(-1/sqrt(hidden), 1/sqrt(hidden)) in
  // this order, so a seed gives the same weights and saved GRUCell weights load.
  weight_ih = register_parameter("weight_ih", torch::empty({3 * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", torch::empty({3 * hidden_size, hidden_size}));
  bias_ih = register_parameter("bias_ih", torch::empty({3 * hidden_size}));
  bias_hh = register_parameter("bias_hh", torch::empty({3 * hidden_size}));
  const double stdv = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.uniform_(-stdv, stdv);
}

torch::Tensor GruCellImpl::forward(const torch::Tensor& x, const torch::Tensor& h) {
  return gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh);
}

}  // namespace nas
