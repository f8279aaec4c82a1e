// The NAO controller (Luo et al., 2018): an LSTM encoder that maps an architecture's token
// sequence to a continuous embedding, an MLP predictor of its (normalised) performance, and an
// attention LSTM decoder that maps an embedding back to a sequence. Search moves embeddings
// along the predictor's gradient and decodes them (ControllerImpl::improve).
//
// It reads only the space's sequence view (SequenceSpec), so it works for every space that
// has one. Shapes, with L = sequence length, k = tokens per encoder step (2 when L is even: an
// (input, op) pair per step, as NAO pairs them; 1 otherwise), T = L / k, H = hidden:
//   encoder    Embedding(rows, H / k) -> [B, L, H/k] -> reshape [B, T, H] -> LSTM(H -> H)
//              -> outputs L2-normalised per step ("H", [B, T, H]);
//              embedding = L2-normalise(mean over steps of H)                    [B, H]
//   predictor  mlp_layers x (Linear -> ReLU -> Dropout) to mlp_hidden, Linear(-> 1), sigmoid
//   decoder    state (h0, c0) = (embedding, embedding); per step: Embedding(rows, H) -> LSTM;
//              attention over H (dot products with Linear(H -> H, no bias) of the output),
//              tanh(Linear([context; output], 2H -> H, no bias)), Linear(H -> vocab), log-softmax.
// The SOS token is 0 when no position allows token 0 (the NAO cell view reserves it), else an
// extra embedding row. For the NAO cell space the defaults give the reference controller:
// vocab 12, length 40, embedding 48, 279,533 parameters.
//
// encode and decode_log_probs (the training path) compute the same functions in a cheaper
// order: the LSTMs' input projections are lookups into small tables (embedding weight x
// W_ih^T, over all token pairs in the encoder), the recurrences run in lstm_from_gates
// (lstm.h) on the nn::LSTM modules' own parameters, and the attention's input projection and
// the context half of its output projection act on the T encoder outputs instead of the L
// decoder steps. greedy_decode runs the modules step by step.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "libnas/encoding/sequence.h"
#include "libnas/util/rng.h"

namespace nas::nao {

// Controller shape and training settings (specs/nao.md §4; defaults are NAO-WS's).
struct ControllerConfig {
  int64_t hidden = 96;          // LSTM width (= embedding width x tokens per step)
  int64_t mlp_layers = 3;       // predictor hidden layers
  int64_t mlp_hidden = 200;
  double mlp_dropout = 0.1;
  double trade_off = 0.8;       // loss = trade_off * MSE + (1 - trade_off) * NLL
  double lr = 1e-3;             // Adam; a fresh optimiser for every fit
  double weight_decay = 1e-4;   // coupled L2 inside Adam
  double grad_clip = 5.0;       // global L2 norm
  int64_t batch_size = 100;
  int64_t epochs = 1000;        // per fit
  bool swap = true;             // branch-swap augmentation (spaces with symmetries)

  template <class V>
  void fields(V& v) {
    v("hidden", hidden, "LSTM width of encoder and decoder");
    v("mlp_layers", mlp_layers, "hidden layers of the predictor MLP");
    v("mlp_hidden", mlp_hidden, "width of the predictor's hidden layers");
    v("mlp_dropout", mlp_dropout, "dropout after each predictor layer");
    v("trade_off", trade_off, "weight of the prediction loss (the rest is reconstruction)");
    v("lr", lr, "Adam learning rate");
    v("weight_decay", weight_decay, "L2 weight decay inside Adam");
    v("grad_clip", grad_clip, "global gradient-norm clipping");
    v("batch_size", batch_size, "architectures per training step");
    v("epochs", epochs, "training epochs per controller update");
    v("swap", swap, "augment with branch swaps that leave the architecture unchanged");
  }
  // nas::Error naming `section`.key for a value out of range.
  void validate(const std::string& section) const;
};

// Token geometry derived from a sequence view.
struct ControllerShape {
  int64_t length = 0;           // L
  int64_t vocab = 0;            // decoder outputs (the view's vocab size)
  int64_t sos = 0;              // start token fed to the decoder
  int64_t embedding_rows = 0;   // vocab, or vocab + 1 when SOS needs its own row
  int64_t tokens_per_step = 1;  // k
  int64_t encoder_length = 0;   // T = L / k
  int64_t embedding = 0;        // encoder embedding width H / k
};
ControllerShape controller_shape(const SequenceSpec& spec, int64_t hidden);

// Encoder result: per-step outputs (normalised) and the pooled architecture embedding.
struct Encoding {
  torch::Tensor outputs;    // [B, T, H]
  torch::Tensor embedding;  // [B, H]
};

struct ControllerLosses {
  torch::Tensor total, mse, nll;  // 0-dim
};

class ControllerImpl : public torch::nn::Module {
 public:
  // nas::Error when the spec is empty or hidden is not divisible by the tokens per step.
  ControllerImpl(const SequenceSpec& spec, const ControllerConfig& cfg);

  // tokens: [B, L] int64 on the controller's device.
  Encoding encode(const torch::Tensor& tokens);
  // Normalised per-step outputs -> Encoding (the mean and its normalisation).
  static Encoding pool(const torch::Tensor& outputs);
  // Predicted normalised performance in (0, 1): [B].
  torch::Tensor predict(const torch::Tensor& embedding);
  // Teacher-forced decoder log-probabilities of `targets` [B, L]: [B, L, vocab].
  torch::Tensor decode_log_probs(const Encoding& enc, const torch::Tensor& targets);
  // Greedy decoding with the view's legality masks (and its must-differ pairs): [B, L] int64,
  // every row a legal sequence.
  torch::Tensor greedy_decode(const Encoding& enc);
  // Greedy (temperature 0) or sampled decoding: each token drawn from the legal tokens'
  // softmax(logits / temperature), by LibTorch's generator.
  torch::Tensor decode(const Encoding& enc, double temperature);
  // The combined training loss on tokens [B, L] and targets [B] in [0, 1].
  ControllerLosses loss(const torch::Tensor& tokens, const torch::Tensor& targets);

  // The gradient step of NAO (specs/nao.md §4.6) prepared once for many step sizes: encodes
  // `tokens` in eval mode and takes d prediction / d outputs.
  struct Direction {
    torch::Tensor outputs, gradient, prediction;  // [B, T, H], [B, T, H], [B]
  };
  Direction direction(const torch::Tensor& tokens);
  // Decodes outputs + eta * gradient (re-normalised per step, re-pooled): [B, L]; greedily, or
  // sampled at a positive temperature.
  torch::Tensor decode_step(const Direction& dir, double eta, double temperature = 0.0);

  const ControllerShape& shape() const { return shape_; }
  const SequenceSpec& spec() const { return spec_; }
  const ControllerConfig& config() const { return cfg_; }
  // The device the controller's tensors live on.
  torch::Device device() const { return legal_mask_.device(); }

 private:
  SequenceSpec spec_;
  ControllerConfig cfg_;
  ControllerShape shape_;
  torch::nn::Embedding enc_embedding_{nullptr}, dec_embedding_{nullptr};
  torch::nn::LSTM enc_lstm_{nullptr}, dec_lstm_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
  torch::nn::Linear regressor_{nullptr}, attn_in_{nullptr}, attn_out_{nullptr}, out_{nullptr};
  torch::Tensor legal_mask_;  // [L, vocab] additive: 0 where legal, -inf elsewhere
};
TORCH_MODULE(Controller);

// Token sequences as a [N, L] int64 tensor on `device`.
torch::Tensor token_tensor(const std::vector<std::vector<int>>& seqs, const torch::Device& device);
// Rows of a [N, L] tensor back to sequences.
std::vector<std::vector<int>> token_rows(const torch::Tensor& tokens);

struct FitStats {
  double loss = 0, mse = 0, nll = 0;  // means over the last epoch
  int64_t steps = 0;
  double seconds = 0;
};

// Trains the controller for cfg.epochs on (sequence, target in [0, 1]) pairs with a fresh
// FlatAdam: shuffled batches (order from `rng`), a random symmetry per sample and epoch when
// cfg.swap, dropout from LibTorch's generator (seed it for reproducible fits). `on_epoch`
// (optional) gets the epoch number (1-based) after each epoch.
FitStats fit_controller(Controller& controller, const std::vector<std::vector<int>>& seqs,
                        const std::vector<double>& targets, Rng& rng,
                        const std::function<void(int64_t)>& on_epoch = nullptr);

// Fraction of pairs (i < j) whose predicted order matches the true one (a tie on either side
// counts as agreement, as NAO reports it); 1 with fewer than two values.
double pairwise_accuracy(const std::vector<double>& predicted, const std::vector<double>& truth);
// Mean number of positions where the greedy reconstruction of each sequence differs from it.
double mean_reconstruction_distance(Controller& controller,
                                    const std::vector<std::vector<int>>& seqs);
// Predictions (eval mode) for sequences.
std::vector<double> predict_sequences(Controller& controller,
                                      const std::vector<std::vector<int>>& seqs);
// The mean prediction of an ensemble of controllers.
std::vector<double> predict_sequences(std::vector<Controller>& controllers,
                                      const std::vector<std::vector<int>>& seqs);

}  // namespace nas::nao
