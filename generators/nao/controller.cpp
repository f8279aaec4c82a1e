#include "generators/nao/controller.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "generators/nao/lstm.h"
#include "libnas/train/adam.h"
#include "libnas/util/error.h"

namespace nas::nao {

namespace F = torch::nn::functional;

void ControllerConfig::validate(const std::string& section) const {
  NAS_CHECK(hidden >= 2, "config key {}.hidden: expected at least 2, found {}", section, hidden);
  NAS_CHECK(mlp_layers >= 0, "config key {}.mlp_layers: expected >= 0, found {}", section,
            mlp_layers);
  NAS_CHECK(mlp_hidden >= 1, "config key {}.mlp_hidden: expected >= 1, found {}", section,
            mlp_hidden);
  NAS_CHECK(mlp_dropout >= 0 && mlp_dropout < 1,
            "config key {}.mlp_dropout: expected a value in [0, 1), found {}", section, mlp_dropout);
  NAS_CHECK(trade_off >= 0 && trade_off <= 1,
            "config key {}.trade_off: expected a value in [0, 1], found {}", section, trade_off);
  NAS_CHECK(lr > 0, "config key {}.lr: expected a positive value, found {}", section, lr);
  NAS_CHECK(weight_decay >= 0, "config key {}.weight_decay: expected >= 0, found {}", section,
            weight_decay);
  NAS_CHECK(grad_clip > 0, "config key {}.grad_clip: expected a positive value, found {}",
            section, grad_clip);
  NAS_CHECK(batch_size >= 1, "config key {}.batch_size: expected at least 1, found {}", section,
            batch_size);
  NAS_CHECK(epochs >= 1, "config key {}.epochs: expected at least 1, found {}", section, epochs);
}

ControllerShape controller_shape(const SequenceSpec& spec, int64_t hidden) {
  NAS_CHECK(spec.length >= 1 && spec.vocab_size >= 1 &&
                static_cast<int>(spec.legal.size()) == spec.length,
            "nao controller: the space's sequence view is empty");
  ControllerShape s;
  s.length = spec.length;
  s.vocab = spec.vocab_size;
  bool zero_used = false;
  for (const auto& row : spec.legal) zero_used = zero_used || row[0] != 0;
  s.sos = zero_used ? spec.vocab_size : 0;
  s.embedding_rows = zero_used ? spec.vocab_size + 1 : spec.vocab_size;
  s.tokens_per_step = spec.length % 2 == 0 ? 2 : 1;
  s.encoder_length = s.length / s.tokens_per_step;
  NAS_CHECK(hidden % s.tokens_per_step == 0,
            "nao controller: hidden ({}) must be divisible by the {} tokens per encoder step",
            hidden, s.tokens_per_step);
  s.embedding = hidden / s.tokens_per_step;
  return s;
}

ControllerImpl::ControllerImpl(const SequenceSpec& spec, const ControllerConfig& cfg)
    : spec_(spec), cfg_(cfg), shape_(controller_shape(spec, cfg.hidden)) {
  cfg_.validate("controller");
  const int64_t h = cfg_.hidden;
  enc_embedding_ = register_module(
      "encoder_embedding", torch::nn::Embedding(shape_.embedding_rows, shape_.embedding));
  enc_lstm_ = register_module(
      "encoder_lstm", torch::nn::LSTM(torch::nn::LSTMOptions(h, h).batch_first(true)));
  mlp_ = register_module("predictor_mlp", torch::nn::Sequential());
  int64_t width = h;
  for (int64_t i = 0; i < cfg_.mlp_layers; ++i) {
    mlp_->push_back(torch::nn::Linear(width, cfg_.mlp_hidden));
    mlp_->push_back(torch::nn::ReLU());
    mlp_->push_back(torch::nn::Dropout(cfg_.mlp_dropout));
    width = cfg_.mlp_hidden;
  }
  regressor_ = register_module("predictor_out", torch::nn::Linear(width, 1));
  dec_embedding_ =
      register_module("decoder_embedding", torch::nn::Embedding(shape_.embedding_rows, h));
  dec_lstm_ = register_module(
      "decoder_lstm", torch::nn::LSTM(torch::nn::LSTMOptions(h, h).batch_first(true)));
  attn_in_ = register_module("attention_in",
                             torch::nn::Linear(torch::nn::LinearOptions(h, h).bias(false)));
  attn_out_ = register_module(
      "attention_out", torch::nn::Linear(torch::nn::LinearOptions(2 * h, h).bias(false)));
  out_ = register_module("decoder_out", torch::nn::Linear(h, shape_.vocab));

  legal_mask_ = torch::full({shape_.length, shape_.vocab},
                            -std::numeric_limits<float>::infinity());
  auto acc = legal_mask_.accessor<float, 2>();
  for (int64_t p = 0; p < shape_.length; ++p) {
    bool any = false;
    for (int64_t t = 0; t < shape_.vocab; ++t) {
      if (spec_.legal[static_cast<size_t>(p)][static_cast<size_t>(t)]) {
        acc[p][t] = 0.0f;
        any = true;
      }
    }
    NAS_CHECK(any, "nao controller: position {} of the sequence view allows no token", p);
  }
  legal_mask_ = register_buffer("legal_mask", legal_mask_);
}

Encoding ControllerImpl::pool(const torch::Tensor& outputs) {
  Encoding e;
  e.outputs = outputs;
  e.embedding = F::normalize(outputs.mean(1), F::NormalizeFuncOptions().p(2).dim(-1));
  return e;
}

namespace {

// The parameters of a one-layer nn::LSTM, used directly by lstm_from_gates.
struct LstmWeights {
  torch::Tensor w_ih, w_hh, b_ih, b_hh;
};

LstmWeights lstm_weights(const torch::nn::LSTM& lstm) {
  auto p = lstm->named_parameters(/*recurse=*/false);
  return {p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]};
}

}  // namespace

Encoding ControllerImpl::encode(const torch::Tensor& tokens) {
  const int64_t b = tokens.size(0), steps = shape_.encoder_length, k = shape_.tokens_per_step;
  const int64_t e = shape_.embedding;
  const LstmWeights w = lstm_weights(enc_lstm_);
  const torch::Tensor& emb = enc_embedding_->weight;
  // Step t reads the concatenated embeddings of its k tokens, so its input projection
  // x_t W_ih^T + b_ih is a sum of k rows, one per slot j, of emb W_ih[:, j-th E columns]^T.
  // Summing those tables over all token combinations (rows^k of them, k <= 2) leaves a single
  // lookup per step instead of a [B T, H] x [H, 4H] matmul.
  torch::Tensor table = torch::addmm(w.b_ih, emb, w.w_ih.narrow(1, 0, e).t());
  const torch::Tensor slots = tokens.reshape({b, steps, k});
  torch::Tensor index = slots.select(2, 0);
  for (int64_t j = 1; j < k; ++j) {
    torch::Tensor slot = torch::mm(emb, w.w_ih.narrow(1, j * e, e).t());
    table = (table.unsqueeze(1) + slot.unsqueeze(0)).reshape({-1, table.size(1)});
    index = index * shape_.embedding_rows + slots.select(2, j);
  }
  // Gathered time-major, the layout lstm_from_gates steps through and returns gradients in.
  torch::Tensor gates_x = F::embedding(index.t(), table).transpose(0, 1);
  torch::Tensor zero = torch::zeros({b, cfg_.hidden}, table.options());
  torch::Tensor out = lstm_from_gates(gates_x, zero, zero, w.w_hh, w.b_hh);
  return pool(F::normalize(out, F::NormalizeFuncOptions().p(2).dim(-1)));
}

torch::Tensor ControllerImpl::predict(const torch::Tensor& embedding) {
  torch::Tensor x = cfg_.mlp_layers > 0 ? mlp_->forward(embedding) : embedding;
  return torch::sigmoid(regressor_(x)).squeeze(1);
}

namespace {

// Attention of decoder outputs o [B, S, H] over encoder outputs enc [B, T, H]: [B, S, H].
torch::Tensor attend(torch::nn::Linear& in, torch::nn::Linear& out, const torch::Tensor& o,
                     const torch::Tensor& enc) {
  torch::Tensor scores = torch::bmm(in(o), enc.transpose(1, 2));
  torch::Tensor context = torch::bmm(torch::softmax(scores, -1), enc);
  return torch::tanh(out(torch::cat({context, o}, -1)));
}

}  // namespace

torch::Tensor ControllerImpl::decode_log_probs(const Encoding& enc, const torch::Tensor& targets) {
  const int64_t b = targets.size(0), h = cfg_.hidden;
  torch::Tensor sos = torch::full({b, 1}, shape_.sos, targets.options());
  torch::Tensor inputs = torch::cat({sos, targets.slice(1, 0, shape_.length - 1)}, 1);
  // The decoder's LSTM inputs are embedding rows, so their input projections are rows of
  // emb W_ih^T + b_ih, gathered time-major (see encode).
  const LstmWeights w = lstm_weights(dec_lstm_);
  torch::Tensor table = torch::addmm(w.b_ih, dec_embedding_->weight, w.w_ih.t());
  torch::Tensor gates_x = F::embedding(inputs.t(), table).transpose(0, 1);
  torch::Tensor o = lstm_from_gates(gates_x, enc.embedding, enc.embedding, w.w_hh, w.b_hh);
  // attend() with two of its projections moved onto the T encoder steps instead of the L
  // decoder steps: (o W_in^T) H^T = o (H W_in)^T, and W_out [context; o] splits into
  // softmax(scores) (H W_c^T) + o W_o^T with W_out = [W_c, W_o].
  const torch::Tensor& w_in = attn_in_->weight;
  const torch::Tensor& w_out = attn_out_->weight;
  torch::Tensor keys = torch::matmul(enc.outputs, w_in);
  torch::Tensor values = torch::matmul(enc.outputs, w_out.narrow(1, 0, h).t());
  torch::Tensor attn = torch::softmax(torch::bmm(o, keys.transpose(1, 2)), -1);
  torch::Tensor mixed =
      torch::baddbmm(torch::matmul(o, w_out.narrow(1, h, h).t()), attn, values);
  return torch::log_softmax(out_(torch::tanh(mixed)), -1);
}

torch::Tensor ControllerImpl::greedy_decode(const Encoding& enc) { return decode(enc, 0.0); }

torch::Tensor ControllerImpl::decode(const Encoding& enc, double temperature) {
  torch::NoGradGuard no_grad;
  const int64_t b = enc.outputs.size(0);
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(enc.outputs.device());
  torch::Tensor token = torch::full({b, 1}, shape_.sos, long_options);
  torch::Tensor h0 = enc.embedding.unsqueeze(0).contiguous();
  std::tuple<torch::Tensor, torch::Tensor> state(h0, h0);
  std::vector<torch::Tensor> chosen;
  chosen.reserve(static_cast<size_t>(shape_.length));
  // Later position -> earlier positions it must differ from.
  std::vector<std::vector<int>> differ(static_cast<size_t>(shape_.length));
  for (const auto& d : spec_.must_differ) differ[static_cast<size_t>(d.second)].push_back(d.first);
  for (int64_t t = 0; t < shape_.length; ++t) {
    auto step = dec_lstm_(dec_embedding_(token), state);
    state = std::get<1>(step);
    torch::Tensor logits =
        out_(attend(attn_in_, attn_out_, std::get<0>(step), enc.outputs)).squeeze(1);
    logits = logits + legal_mask_[t];
    for (int q : differ[static_cast<size_t>(t)])
      logits.scatter_(1, chosen[static_cast<size_t>(q)],
                      -std::numeric_limits<float>::infinity());
    token = temperature > 0 ? torch::multinomial(torch::softmax(logits / temperature, 1), 1)
                            : logits.argmax(1, /*keepdim=*/true);
    chosen.push_back(token);
  }
  return torch::cat(chosen, 1);
}

ControllerLosses ControllerImpl::loss(const torch::Tensor& tokens, const torch::Tensor& targets) {
  Encoding enc = encode(tokens);
  torch::Tensor pred = predict(enc.embedding);
  torch::Tensor logp = decode_log_probs(enc, tokens);
  ControllerLosses l;
  l.mse = F::mse_loss(pred, targets);
  l.nll = F::nll_loss(logp.reshape({-1, shape_.vocab}), tokens.reshape({-1}));
  l.total = cfg_.trade_off * l.mse + (1.0 - cfg_.trade_off) * l.nll;
  return l;
}

ControllerImpl::Direction ControllerImpl::direction(const torch::Tensor& tokens) {
  const bool was_training = is_training();
  eval();
  Direction d;
  {
    torch::NoGradGuard no_grad;
    d.outputs = encode(tokens).outputs;
  }
  torch::Tensor h = d.outputs.detach().requires_grad_(true);
  torch::Tensor f = predict(pool(h).embedding);
  d.gradient = torch::autograd::grad({f.sum()}, {h})[0].detach();
  d.prediction = f.detach();
  train(was_training);
  return d;
}

torch::Tensor ControllerImpl::decode_step(const Direction& dir, double eta, double temperature) {
  const bool was_training = is_training();
  eval();
  torch::Tensor moved;
  {
    torch::NoGradGuard no_grad;
    moved = F::normalize(dir.outputs + eta * dir.gradient, F::NormalizeFuncOptions().p(2).dim(-1));
  }
  torch::Tensor tokens = decode(pool(moved), temperature);
  train(was_training);
  return tokens;
}

torch::Tensor token_tensor(const std::vector<std::vector<int>>& seqs, const torch::Device& device) {
  NAS_CHECK(!seqs.empty(), "nao controller: no sequences");
  const int64_t n = static_cast<int64_t>(seqs.size());
  const int64_t l = static_cast<int64_t>(seqs[0].size());
  torch::Tensor t = torch::empty({n, l}, torch::kLong);
  auto acc = t.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    NAS_CHECK(static_cast<int64_t>(seqs[static_cast<size_t>(i)].size()) == l,
              "nao controller: sequences of different lengths ({} and {})", l,
              seqs[static_cast<size_t>(i)].size());
    for (int64_t p = 0; p < l; ++p) acc[i][p] = seqs[static_cast<size_t>(i)][static_cast<size_t>(p)];
  }
  return t.to(device);
}

std::vector<std::vector<int>> token_rows(const torch::Tensor& tokens) {
  torch::Tensor t = tokens.to(torch::kCPU, torch::kLong).contiguous();
  auto acc = t.accessor<int64_t, 2>();
  std::vector<std::vector<int>> out(static_cast<size_t>(t.size(0)));
  for (int64_t i = 0; i < t.size(0); ++i)
    for (int64_t p = 0; p < t.size(1); ++p) out[static_cast<size_t>(i)].push_back(static_cast<int>(acc[i][p]));
  return out;
}

FitStats fit_controller(Controller& controller, const std::vector<std::vector<int>>& seqs,
                        const std::vector<double>& targets, Rng& rng,
                        const std::function<void(int64_t)>& on_epoch) {
  NAS_CHECK(!seqs.empty() && seqs.size() == targets.size(),
            "nao controller: expected as many targets as sequences ({} and {})", seqs.size(),
            targets.size());
  const ControllerConfig& cfg = controller->config();
  const SequenceSpec& spec = controller->spec();
  const torch::Device device = controller->device();
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> target_values(targets.begin(), targets.end());
  torch::Tensor all_targets =
      torch::from_blob(target_values.data(), {static_cast<int64_t>(targets.size())}, torch::kFloat)
          .clone()
          .to(device);
  const bool swap = cfg.swap && !spec.symmetries.empty();
  torch::Tensor fixed_tokens = swap ? torch::Tensor() : token_tensor(seqs, device);

  FlatAdam adam(controller->parameters(), {cfg.lr, 0.9, 0.999, 1e-8, cfg.weight_decay});
  controller->train();
  const int64_t n = static_cast<int64_t>(seqs.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  FitStats stats;
  for (int64_t epoch = 1; epoch <= cfg.epochs; ++epoch) {
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    rng.shuffle(order);
    torch::Tensor tokens = fixed_tokens;
    if (swap) {
      std::vector<std::vector<int>> epoch_seqs;
      epoch_seqs.reserve(seqs.size());
      auto pick = [&rng](int k) { return static_cast<int>(rng.uniform_int(0, k - 1)); };
      for (const auto& s : seqs) epoch_seqs.push_back(apply_random_symmetry(spec, s, pick));
      tokens = token_tensor(epoch_seqs, device);
    }
    torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kLong).to(device);
    torch::Tensor sum_loss = torch::zeros({}, all_targets.options());
    torch::Tensor sum_mse = torch::zeros({}, all_targets.options());
    torch::Tensor sum_nll = torch::zeros({}, all_targets.options());
    int64_t batches = 0;
    for (int64_t b0 = 0; b0 < n; b0 += cfg.batch_size) {
      torch::Tensor idx = perm.slice(0, b0, std::min(n, b0 + cfg.batch_size));
      adam.zero_grad();
      ControllerLosses l = controller->loss(tokens.index_select(0, idx), all_targets.index_select(0, idx));
      l.total.backward();
      adam.clip_grad_norm(cfg.grad_clip);
      adam.step();
      ++stats.steps;
      if (epoch == cfg.epochs) {
        sum_loss += l.total.detach();
        sum_mse += l.mse.detach();
        sum_nll += l.nll.detach();
        ++batches;
      }
    }
    if (epoch == cfg.epochs) {
      stats.loss = sum_loss.item<double>() / static_cast<double>(batches);
      stats.mse = sum_mse.item<double>() / static_cast<double>(batches);
      stats.nll = sum_nll.item<double>() / static_cast<double>(batches);
    }
    if (on_epoch) on_epoch(epoch);
  }
  controller->eval();
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

double pairwise_accuracy(const std::vector<double>& predicted, const std::vector<double>& truth) {
  NAS_CHECK(predicted.size() == truth.size(), "pairwise accuracy: {} predictions for {} values",
            predicted.size(), truth.size());
  int64_t agree = 0, total = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    for (size_t j = i + 1; j < truth.size(); ++j) {
      const double a = predicted[i] - predicted[j];
      const double b = truth[i] - truth[j];
      ++total;
      if (a * b >= 0) ++agree;
    }
  return total == 0 ? 1.0 : static_cast<double>(agree) / static_cast<double>(total);
}

std::vector<double> predict_sequences(Controller& controller,
                                      const std::vector<std::vector<int>>& seqs) {
  torch::NoGradGuard no_grad;
  const bool was_training = controller->is_training();
  controller->eval();
  torch::Tensor tokens = token_tensor(seqs, controller->device());
  torch::Tensor pred = controller->predict(controller->encode(tokens).embedding).to(torch::kCPU, torch::kDouble);
  controller->train(was_training);
  return std::vector<double>(pred.data_ptr<double>(), pred.data_ptr<double>() + pred.numel());
}

std::vector<double> predict_sequences(std::vector<Controller>& controllers,
                                      const std::vector<std::vector<int>>& seqs) {
  NAS_CHECK(!controllers.empty(), "nao: no controller to predict with");
  std::vector<double> mean(seqs.size(), 0.0);
  for (Controller& c : controllers) {
    const std::vector<double> p = predict_sequences(c, seqs);
    for (size_t i = 0; i < p.size(); ++i) mean[i] += p[i] / static_cast<double>(controllers.size());
  }
  return mean;
}

double mean_reconstruction_distance(Controller& controller,
                                    const std::vector<std::vector<int>>& seqs) {
  torch::NoGradGuard no_grad;
  const bool was_training = controller->is_training();
  controller->eval();
  torch::Tensor tokens = token_tensor(seqs, controller->device());
  torch::Tensor decoded = controller->greedy_decode(controller->encode(tokens));
  controller->train(was_training);
  return decoded.ne(tokens).sum(1).to(torch::kDouble).mean().item<double>();
}

}  // namespace nas::nao
