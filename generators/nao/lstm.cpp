#include "generators/nao/lstm.h"

#include <ATen/Parallel.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "libnas/util/device.h"
#include "libnas/util/error.h"

namespace nas::nao {

namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ---- Vectorised float math for the CPU kernels ------------------------------------------------
// Eight float lanes through GCC's vector extensions: on x86-64 the kernels below are compiled
// twice (target_clones), once for AVX2 + FMA machines, where a vector is one register, and once
// for baseline x86-64, where it is two SSE registers; the loader picks the clone at run time.
// exp, sigmoid and tanh are Cephes' single-precision approximations (within 2 ulp of the exact
// values), written branch-free so that a whole vector takes one path.

typedef float vfloat __attribute__((vector_size(32)));
typedef int32_t vint __attribute__((vector_size(32)));
constexpr int64_t kLanes = 8;

#define NAS_LSTM_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NAS_LSTM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NAS_LSTM_CLONES
#endif

// n <= kLanes floats from p; the lanes past n are zero.
NAS_LSTM_INLINE vfloat load(const float* p, int64_t n) {
  vfloat v = {};
  if (n == kLanes)
    std::memcpy(&v, p, sizeof v);
  else
    std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
  return v;
}

NAS_LSTM_INLINE void store(float* p, vfloat v, int64_t n) {
  if (n == kLanes)
    std::memcpy(p, &v, sizeof v);
  else
    std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(float));
}

// Calls body(j, n) for the vectors of a row of `width` floats: full ones (n == kLanes, a
// constant once inlined), then the partial rest.
#define NAS_LSTM_LAMBDA_INLINE __attribute__((always_inline))
template <class Body>
NAS_LSTM_INLINE void for_lanes(int64_t width, Body& body) {
  int64_t j = 0;
  for (; j + kLanes <= width; j += kLanes) body(j, kLanes);
  if (j < width) body(j, width - j);
}

NAS_LSTM_INLINE vfloat vexp(vfloat x) {
  // Clamped so that 2^n stays a normal float; exp(-87) is already below every sigmoid's
  // resolution and exp(88) above every tanh's.
  x = x < -87.0f ? vfloat{} - 87.0f : x;
  x = x > 88.0f ? vfloat{} + 88.0f : x;
  // x = n ln2 + r with n rounded to nearest (adding 1.5 * 2^23 rounds), |r| <= ln2 / 2.
  const vfloat n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const vfloat r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  vfloat p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const vint two_n = (__builtin_convertvector(n, vint) + 127) << 23;
  return p * (vfloat)two_n;
}

NAS_LSTM_INLINE vfloat vsigmoid(vfloat x) { return 1.0f / (1.0f + vexp(-x)); }

NAS_LSTM_INLINE vfloat vtanh(vfloat x) {
  // A polynomial near 0, where 1 - 2 / (exp(2|x|) + 1) would lose the relative precision.
  const vint sign = (vint)x & static_cast<int32_t>(0x80000000u);
  const vfloat a = (vfloat)((vint)x & 0x7fffffff);
  const vfloat z = x * x;
  vfloat p = z * -5.70498872745e-3f + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const vfloat small = p * z * x + x;
  const vfloat big = 1.0f - 2.0f / (vexp(a + a) + 1.0f);
  return a < 0.625f ? small : (vfloat)((vint)big | sign);
}

// One forward step for rows [b0, b1): pre-activations gx + gh + b_hh -> the activated gates
// (saved), c_t (saved), tanh(c_t) (saved) and h_t, written to the state and to the output.
// Row b of every argument starts at ptr + b * its row stride; gh and act are [B, 4H].
struct ForwardStep {
  const float* gx; int64_t gx_stride;
  const float* gh;
  const float* b_hh;
  const float* c_prev;
  float* act;
  float* c;
  float* tanh_c;
  float* h;
  float* out; int64_t out_stride;
  int64_t hidden;
};

NAS_LSTM_CLONES
void forward_rows(const ForwardStep& s, int64_t b0, int64_t b1) {
  const int64_t hid = s.hidden;
  for (int64_t b = b0; b < b1; ++b) {
    const float* gx = s.gx + b * s.gx_stride;
    const float* gh = s.gh + b * 4 * hid;
    const float* cp = s.c_prev + b * hid;
    float* act = s.act + b * 4 * hid;
    float* c = s.c + b * hid;
    float* tc = s.tanh_c + b * hid;
    float* h = s.h + b * hid;
    float* out = s.out + b * s.out_stride;
    auto lanes = [&](int64_t j, int64_t n) NAS_LSTM_LAMBDA_INLINE {
      auto pre = [&](int64_t gate) NAS_LSTM_LAMBDA_INLINE {
        const int64_t k = gate * hid + j;
        return load(gx + k, n) + load(gh + k, n) + load(s.b_hh + k, n);
      };
      const vfloat i = vsigmoid(pre(0)), f = vsigmoid(pre(1)), g = vtanh(pre(2)),
                   o = vsigmoid(pre(3));
      const vfloat cn = f * load(cp + j, n) + i * g;
      const vfloat t = vtanh(cn);
      const vfloat hn = o * t;
      store(act + j, i, n);
      store(act + hid + j, f, n);
      store(act + 2 * hid + j, g, n);
      store(act + 3 * hid + j, o, n);
      store(c + j, cn, n);
      store(tc + j, t, n);
      store(h + j, hn, n);
      store(out + j, hn, n);
    };
    for_lanes(hid, lanes);
  }
}

// One backward step for rows [b0, b1): from dL/dh_t (output gradient + recurrent part) and
// dL/dc_t (carried in dc) to the pre-activation gradients dgates and dL/dc_{t-1} (into dc).
struct BackwardStep {
  const float* dout; int64_t dout_stride;
  const float* dh;
  const float* act;
  const float* c_prev;
  const float* tanh_c;
  float* dc;
  float* dgates;
  int64_t hidden;
};

NAS_LSTM_CLONES
void backward_rows(const BackwardStep& s, int64_t b0, int64_t b1) {
  const int64_t hid = s.hidden;
  for (int64_t b = b0; b < b1; ++b) {
    const float* dout = s.dout + b * s.dout_stride;
    const float* dhr = s.dh + b * hid;
    const float* act = s.act + b * 4 * hid;
    const float* cp = s.c_prev + b * hid;
    const float* tc = s.tanh_c + b * hid;
    float* dc = s.dc + b * hid;
    float* dg = s.dgates + b * 4 * hid;
    auto lanes = [&](int64_t j, int64_t n) NAS_LSTM_LAMBDA_INLINE {
      const vfloat i = load(act + j, n), f = load(act + hid + j, n),
                   g = load(act + 2 * hid + j, n), o = load(act + 3 * hid + j, n);
      const vfloat t = load(tc + j, n);
      const vfloat dh = load(dout + j, n) + load(dhr + j, n);
      const vfloat dct = load(dc + j, n) + dh * o * (1.0f - t * t);
      store(dg + j, dct * g * i * (1.0f - i), n);
      store(dg + hid + j, dct * load(cp + j, n) * f * (1.0f - f), n);
      store(dg + 2 * hid + j, dct * i * (1.0f - g * g), n);
      store(dg + 3 * hid + j, dh * t * o * (1.0f - o), n);
      store(dc + j, dct * f, n);
    };
    for_lanes(hid, lanes);
  }
}

// Batch rows per task: the rows of a batch are independent through all steps, so each thread
// runs its rows' whole recurrence (its own small matmuls included) with no per-step barrier.
constexpr int64_t kRowGrain = 16;
// Rows of dW_hh per task.
constexpr int64_t kWeightRowGrain = 64;

// What the backward needs, time-major: hs [T + 1, B, H] (h0, h_1..h_T), cs [T + 1, B, H]
// (c0, c_1..c_T), act [T, B, 4H] (activated gates i, f, g, o), tanh_c [T, B, H].
struct Saved {
  Tensor hs, cs, act, tanh_c;
};

Tensor forward_cpu_float(const Tensor& gx, const Tensor& w_hh, const Tensor& b_hh, Saved& sv) {
  const int64_t bsz = gx.size(0), steps = gx.size(1), hid = w_hh.size(1);
  Tensor out = torch::empty({bsz, steps, hid}, gx.options());
  Tensor gh = torch::empty({bsz, 4 * hid}, gx.options());
  const Tensor w_t = w_hh.t();
  at::parallel_for(0, bsz, kRowGrain, [&](int64_t b0, int64_t b1) {
    Tensor gh_rows = gh.narrow(0, b0, b1 - b0);
    for (int64_t t = 0; t < steps; ++t) {
      at::mm_out(gh_rows, sv.hs[t].narrow(0, b0, b1 - b0), w_t);
      ForwardStep s{gx.data_ptr<float>() + t * gx.stride(1), gx.stride(0),
                    gh.data_ptr<float>(),
                    b_hh.data_ptr<float>(),
                    sv.cs.data_ptr<float>() + t * bsz * hid,
                    sv.act.data_ptr<float>() + t * bsz * 4 * hid,
                    sv.cs.data_ptr<float>() + (t + 1) * bsz * hid,
                    sv.tanh_c.data_ptr<float>() + t * bsz * hid,
                    sv.hs.data_ptr<float>() + (t + 1) * bsz * hid,
                    out.data_ptr<float>() + t * hid, steps * hid,
                    hid};
      forward_rows(s, b0, b1);
    }
  });
  return out;
}

// The same step with ATen operations, for any device and floating dtype.
Tensor forward_generic(const Tensor& gx, const Tensor& w_hh, const Tensor& b_hh, Saved& sv) {
  const int64_t steps = gx.size(1), hid = w_hh.size(1);
  const Tensor w_t = w_hh.t();
  for (int64_t t = 0; t < steps; ++t) {
    Tensor a = torch::addmm(b_hh, sv.hs[t], w_t).add_(gx.select(1, t));
    Tensor act = sv.act[t];
    act.narrow(1, 0, 2 * hid).copy_(torch::sigmoid(a.narrow(1, 0, 2 * hid)));
    act.narrow(1, 2 * hid, hid).copy_(torch::tanh(a.narrow(1, 2 * hid, hid)));
    act.narrow(1, 3 * hid, hid).copy_(torch::sigmoid(a.narrow(1, 3 * hid, hid)));
    std::vector<Tensor> ifgo = act.chunk(4, 1);
    Tensor c = ifgo[1] * sv.cs[t] + ifgo[0] * ifgo[2];
    sv.cs[t + 1].copy_(c);
    sv.tanh_c[t].copy_(torch::tanh(c));
    sv.hs[t + 1].copy_(ifgo[3] * sv.tanh_c[t]);
  }
  return sv.hs.slice(0, 1).transpose(0, 1).contiguous();
}

// Backpropagation through time: fills dgates [T, B, 4H]; dh / dc come back as dL/dh0, dL/dc0.
// dh0 is computed only when `want_dh0` (it costs one more matmul).
void backward_cpu_float(const Tensor& dout, const Tensor& w_hh, const Saved& sv, Tensor& dgates,
                        Tensor& dh, Tensor& dc, bool want_dh0) {
  const int64_t steps = sv.act.size(0), bsz = sv.act.size(1), hid = w_hh.size(1);
  at::parallel_for(0, bsz, kRowGrain, [&](int64_t b0, int64_t b1) {
    Tensor dh_rows = dh.narrow(0, b0, b1 - b0);
    for (int64_t t = steps - 1; t >= 0; --t) {
      BackwardStep s{dout.data_ptr<float>() + t * hid, steps * hid,
                     dh.data_ptr<float>(),
                     sv.act.data_ptr<float>() + t * bsz * 4 * hid,
                     sv.cs.data_ptr<float>() + t * bsz * hid,
                     sv.tanh_c.data_ptr<float>() + t * bsz * hid,
                     dc.data_ptr<float>(),
                     dgates.data_ptr<float>() + t * bsz * 4 * hid,
                     hid};
      backward_rows(s, b0, b1);
      if (t > 0 || want_dh0) at::mm_out(dh_rows, dgates[t].narrow(0, b0, b1 - b0), w_hh);
    }
  });
}

void backward_generic(const Tensor& dout, const Tensor& w_hh, const Saved& sv, Tensor& dgates,
                      Tensor& dh, Tensor& dc, bool want_dh0) {
  const int64_t steps = sv.act.size(0);
  for (int64_t t = steps - 1; t >= 0; --t) {
    std::vector<Tensor> ifgo = sv.act[t].chunk(4, 1);
    const Tensor &i = ifgo[0], &f = ifgo[1], &g = ifgo[2], &o = ifgo[3];
    const Tensor tc = sv.tanh_c[t];
    Tensor dht = dout.select(1, t) + dh;
    Tensor dct = dc + dht * o * (1 - tc * tc);
    dgates[t].copy_(torch::cat({dct * g * i * (1 - i), dct * sv.cs[t] * f * (1 - f),
                                dct * i * (1 - g * g), dht * tc * o * (1 - o)},
                               1));
    dc = dct * f;
    if (t > 0 || want_dh0) dh = torch::mm(dgates[t], w_hh);
  }
}

class LstmFromGates : public torch::autograd::Function<LstmFromGates> {
 public:
  static Tensor forward(AutogradContext* ctx, const Tensor& gates_x, const Tensor& h0,
                        const Tensor& c0, const Tensor& w_hh, const Tensor& b_hh) {
    const int64_t bsz = gates_x.size(0), steps = gates_x.size(1), hid = w_hh.size(1);
    const Tensor gx = gates_x.stride(2) == 1 ? gates_x : gates_x.contiguous();
    const auto opts = gx.options();
    Saved sv{torch::empty({steps + 1, bsz, hid}, opts), torch::empty({steps + 1, bsz, hid}, opts),
             torch::empty({steps, bsz, 4 * hid}, opts), torch::empty({steps, bsz, hid}, opts)};
    sv.hs[0].copy_(h0);
    sv.cs[0].copy_(c0);
    // Detached: the kernels' matmuls run on worker threads, where grad mode is not disabled.
    const Tensor w = w_hh.detach().contiguous(), bias = b_hh.detach().contiguous();
    const bool fast = cpu_float({gx, h0, c0, w, bias});
    Tensor out = fast ? forward_cpu_float(gx, w, bias, sv) : forward_generic(gx, w, bias, sv);
    ctx->save_for_backward({w, sv.hs, sv.cs, sv.act, sv.tanh_c});
    ctx->saved_data["fast"] = fast;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const Tensor& w = saved[0];
    const Saved sv{saved[1], saved[2], saved[3], saved[4]};
    const int64_t steps = sv.act.size(0), bsz = sv.act.size(1), hid = w.size(1);
    const Tensor dout = grads[0].defined() ? grads[0].contiguous()
                                           : torch::zeros({bsz, steps, hid}, sv.hs.options());
    Tensor dgates = torch::empty({steps, bsz, 4 * hid}, sv.act.options());
    Tensor dh = torch::zeros({bsz, hid}, sv.hs.options());
    Tensor dc = torch::zeros({bsz, hid}, sv.hs.options());
    const bool want_dh0 = ctx->needs_input_grad(1);
    if (ctx->saved_data["fast"].toBool() && cpu_float({dout}))
      backward_cpu_float(dout, w, sv, dgates, dh, dc, want_dh0);
    else
      backward_generic(dout, w, sv, dgates, dh, dc, want_dh0);
    // dW_hh = sum_t dgates_t^T h_{t-1}, one matmul over all steps and rows; on the CPU split
    // between threads by rows of dW_hh (BLAS itself runs on one thread next to LibTorch's).
    const Tensor dg_rows = dgates.view({steps * bsz, 4 * hid});
    const Tensor h_prev = sv.hs.narrow(0, 0, steps).reshape({steps * bsz, hid});
    Tensor dw;
    if (sv.act.device().is_cpu()) {
      dw = torch::empty({4 * hid, hid}, sv.act.options());
      at::parallel_for(0, 4 * hid, kWeightRowGrain, [&](int64_t r0, int64_t r1) {
        Tensor rows = dw.narrow(0, r0, r1 - r0);
        at::mm_out(rows, dg_rows.narrow(1, r0, r1 - r0).t(), h_prev);
      });
    } else {
      dw = torch::mm(dg_rows.t(), h_prev);
    }
    Tensor db = dg_rows.sum(0);
    return {dgates.transpose(0, 1), want_dh0 ? dh : Tensor(), dc, dw, db};
  }

 private:
  // The kernels' case: everything float32 on the CPU.
  static bool cpu_float(std::initializer_list<Tensor> ts) {
    for (const Tensor& t : ts)
      if (!t.device().is_cpu() || t.scalar_type() != torch::kFloat) return false;
    return true;
  }
};

}  // namespace

torch::Tensor lstm_from_gates(const torch::Tensor& gates_x, const torch::Tensor& h0,
                              const torch::Tensor& c0, const torch::Tensor& w_hh,
                              const torch::Tensor& b_hh) {
  NAS_CHECK(w_hh.dim() == 2 && w_hh.size(0) == 4 * w_hh.size(1),
            "lstm_from_gates: expected w_hh of shape [4H, H], found {}", shape_string(w_hh));
  const int64_t hid = w_hh.size(1);
  NAS_CHECK(gates_x.dim() == 3 && gates_x.size(1) >= 1 && gates_x.size(2) == 4 * hid,
            "lstm_from_gates: expected gates_x of shape [B, T >= 1, {}], found {}", 4 * hid,
            shape_string(gates_x));
  const int64_t bsz = gates_x.size(0);
  NAS_CHECK(h0.sizes() == c0.sizes() && h0.dim() == 2 && h0.size(0) == bsz && h0.size(1) == hid,
            "lstm_from_gates: expected h0 and c0 of shape [{}, {}], found {} and {}", bsz, hid,
            shape_string(h0), shape_string(c0));
  NAS_CHECK(b_hh.dim() == 1 && b_hh.size(0) == 4 * hid,
            "lstm_from_gates: expected b_hh of shape [{}], found {}", 4 * hid, shape_string(b_hh));
  return LstmFromGates::apply(gates_x, h0, c0, w_hh, b_hh);
}

}  // namespace nas::nao
