#include "generators/nao/controller.h"

#include <gtest/gtest.h>

#include <set>

#include "libnas/spaces/nao_cell.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas::nao {
namespace {

int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

TEST(NaoController, ReferenceShapeOnTheNaoCellSpace) {
  auto space = make_space("nao");
  Controller c(space->sequence_spec(), ControllerConfig{});
  const ControllerShape& s = c->shape();
  EXPECT_EQ(s.length, 40);
  EXPECT_EQ(s.vocab, 12);
  EXPECT_EQ(s.sos, 0);  // the NAO view reserves token 0
  EXPECT_EQ(s.embedding_rows, 12);
  EXPECT_EQ(s.tokens_per_step, 2);
  EXPECT_EQ(s.encoder_length, 20);
  EXPECT_EQ(s.embedding, 48);
  // specs/nao.md §4.1: the reference controller has 0.2795M parameters.
  EXPECT_EQ(count_parameters(*c), 279533);
}

TEST(NaoController, OddLengthsAndViewsThatUseTokenZeroGetTheirOwnStartToken) {
  auto space = make_space("nb201");
  const SequenceSpec spec = space->sequence_spec();
  Controller c(spec, ControllerConfig{});
  bool zero_legal = false;
  for (int p = 0; p < spec.length; ++p) zero_legal = zero_legal || spec.is_legal(p, 0);
  EXPECT_EQ(c->shape().sos, zero_legal ? spec.vocab_size : 0);
  EXPECT_EQ(c->shape().tokens_per_step, spec.length % 2 == 0 ? 2 : 1);
  ControllerConfig odd;
  odd.hidden = 95;
  if (spec.length % 2 == 0) {
    EXPECT_THROW(Controller(spec, odd), Error);
  }
}

TEST(NaoController, EncodesNaoNetAAndBThroughTheirPinnedTokens) {
  // The token sequences of the published cells (specs/nao.md §1.3: inputs + 1, ops + 7).
  auto five = make_space("nao");
  const std::vector<int> b = {1, 8, 1, 9, 1, 8, 3, 9, 2, 10, 1, 9, 5, 7, 2, 10, 3, 8, 1, 10,
                              2, 8, 2, 7, 3, 8, 3, 11, 2, 7, 3, 10, 4, 8, 3, 9, 1, 9, 1, 9};
  EXPECT_EQ(five->to_tokens(five->parse("NAONet-B")), b);
  auto eleven = make_space("nao-11");
  const std::vector<int> a = {1, 9, 2, 17, 3, 10, 2, 9, 1, 8, 2, 9, 1, 10, 5, 9, 2, 7, 1, 9,
                              1, 9, 2, 15, 1, 8, 1, 16, 1, 11, 2, 12, 1, 16, 3, 8, 2, 13, 1, 9};
  EXPECT_EQ(eleven->to_tokens(eleven->parse("NAONet-A")), a);
  Controller c(five->sequence_spec(), ControllerConfig{});
  Encoding e = c->encode(token_tensor({b}, torch::kCPU));
  EXPECT_EQ(e.outputs.sizes(), (std::vector<int64_t>{1, 20, 96}));
  EXPECT_NEAR(e.embedding.norm().item<double>(), 1.0, 1e-5);
  EXPECT_TRUE(torch::allclose(e.outputs.norm(2, -1), torch::ones({1, 20}), 1e-5, 1e-5));
}

// Every decoded sequence is a valid architecture, in every space with a sequence view, from
// any embedding: random ones of an untrained controller and moved ones.
TEST(NaoController, EveryDecodedSequenceIsAValidArchitecture) {
  for (const std::string& name : space_names()) {
    auto space = make_space(name);
    if (!space->has_sequence_view()) continue;
    SCOPED_TRACE(name);
    torch::manual_seed(11);
    Controller c(space->sequence_spec(), ControllerConfig{});
    c->eval();
    const ControllerShape& s = c->shape();
    torch::Tensor outputs = torch::randn({64, s.encoder_length, 96});
    outputs = outputs / outputs.norm(2, -1, true);
    torch::Tensor decoded = c->greedy_decode(ControllerImpl::pool(outputs));
    Rng rng(2);
    std::vector<std::vector<int>> seqs;
    for (int i = 0; i < 16; ++i) seqs.push_back(space->to_tokens(space->sample(rng)));
    auto dir = c->direction(token_tensor(seqs, torch::kCPU));
    std::vector<std::vector<int>> rows = token_rows(decoded);
    for (double eta : {1.0, 10.0, 100.0})
      for (double temperature : {0.0, 1.0, 10.0})  // greedy and sampled
        for (auto& r : token_rows(c->decode_step(dir, eta, temperature))) rows.push_back(r);
    for (const auto& row : rows) EXPECT_NO_THROW(space->from_tokens(row));
  }
}

TEST(NaoController, TheGradientStepRaisesThePrediction) {
  auto space = make_space("nb201");
  torch::manual_seed(1);
  Controller c(space->sequence_spec(), ControllerConfig{});
  Rng rng(4);
  std::vector<std::vector<int>> seqs;
  for (int i = 0; i < 8; ++i) seqs.push_back(space->to_tokens(space->sample(rng)));
  c->eval();
  auto dir = c->direction(token_tensor(seqs, torch::kCPU));
  torch::NoGradGuard no_grad;
  torch::Tensor moved = dir.outputs + 0.5 * dir.gradient;
  moved = moved / moved.norm(2, -1, true);
  torch::Tensor after = c->predict(ControllerImpl::pool(moved).embedding);
  EXPECT_TRUE(after.gt(dir.prediction).all().item<bool>());
  EXPECT_TRUE(torch::allclose(dir.prediction,
                              c->predict(c->encode(token_tensor(seqs, torch::kCPU)).embedding)));
}

// A smooth synthetic score of an NB201 cell: the fraction of its edges carrying op token k.
double share_of(const std::vector<int>& tokens, int k) {
  int n = 0;
  for (int t : tokens) n += t == k;
  return static_cast<double>(n) / static_cast<double>(tokens.size());
}

TEST(NaoController, LearnsToRankAndToReconstruct) {
  auto space = make_space("nb201");
  Rng rng(7);
  std::vector<std::vector<int>> seqs, test_seqs;
  std::vector<double> targets, test_targets;
  std::set<std::vector<int>> seen;
  const int best_token = space->to_tokens(space->sample(rng))[0];
  while (seqs.size() + test_seqs.size() < 120) {
    auto t = space->to_tokens(space->sample(rng));
    if (!seen.insert(t).second) continue;
    const bool train = seqs.size() < 100;
    (train ? seqs : test_seqs).push_back(t);
    (train ? targets : test_targets).push_back(share_of(t, best_token));
  }
  torch::manual_seed(0);
  ControllerConfig cfg;
  cfg.epochs = 300;
  Controller c(space->sequence_spec(), cfg);
  Rng fit_rng(1);
  int64_t epochs_seen = 0;
  FitStats stats = fit_controller(c, seqs, targets, fit_rng, [&](int64_t e) { epochs_seen = e; });
  EXPECT_EQ(epochs_seen, 300);
  EXPECT_EQ(stats.steps, 300);  // 100 archs, batch 100
  EXPECT_LT(stats.mse, 0.01);
  EXPECT_GT(pairwise_accuracy(predict_sequences(c, test_seqs), test_targets), 0.8);
  EXPECT_LT(mean_reconstruction_distance(c, seqs), 0.5);
}

TEST(NaoController, FitsAreReproducibleFromTheSeeds) {
  auto space = make_space("nao");
  Rng rng(3);
  std::vector<std::vector<int>> seqs;
  std::vector<double> targets;
  for (int i = 0; i < 30; ++i) {
    seqs.push_back(space->to_tokens(space->sample(rng)));
    targets.push_back(rng.uniform());
  }
  ControllerConfig cfg;
  cfg.epochs = 3;
  cfg.batch_size = 8;
  std::vector<torch::Tensor> weights[2];
  for (int run = 0; run < 2; ++run) {
    torch::manual_seed(9);
    Controller c(space->sequence_spec(), cfg);
    Rng fit_rng(5);
    fit_controller(c, seqs, targets, fit_rng);
    for (const auto& p : c->parameters()) weights[run].push_back(p.detach().clone());
  }
  for (size_t i = 0; i < weights[0].size(); ++i) EXPECT_TRUE(torch::equal(weights[0][i], weights[1][i]));
}

// max |a - b| relative to max |b|.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-30);
}

// The controller's training loss written plainly with its own modules: the embeddings fed to
// the nn::LSTMs, attention with both projections applied to the decoder outputs.
ControllerLosses reference_loss(ControllerImpl& c, const torch::Tensor& tokens,
                                const torch::Tensor& targets) {
  namespace F = torch::nn::functional;
  auto m = c.named_children();
  auto enc_embedding = m["encoder_embedding"]->as<torch::nn::Embedding>();
  auto enc_lstm = m["encoder_lstm"]->as<torch::nn::LSTM>();
  auto dec_embedding = m["decoder_embedding"]->as<torch::nn::Embedding>();
  auto dec_lstm = m["decoder_lstm"]->as<torch::nn::LSTM>();
  auto attn_in = m["attention_in"]->as<torch::nn::Linear>();
  auto attn_out = m["attention_out"]->as<torch::nn::Linear>();
  auto out = m["decoder_out"]->as<torch::nn::Linear>();
  const ControllerShape& s = c.shape();
  const int64_t b = tokens.size(0);
  const auto unit = F::NormalizeFuncOptions().p(2).dim(-1);
  torch::Tensor x = enc_embedding->forward(tokens).reshape({b, s.encoder_length, -1});
  Encoding enc =
      ControllerImpl::pool(F::normalize(std::get<0>(enc_lstm->forward(x)), unit));
  torch::Tensor sos = torch::full({b, 1}, s.sos, tokens.options());
  torch::Tensor inputs = torch::cat({sos, tokens.slice(1, 0, s.length - 1)}, 1);
  torch::Tensor h0 = enc.embedding.unsqueeze(0);
  torch::Tensor o = std::get<0>(
      dec_lstm->forward(dec_embedding->forward(inputs), std::make_tuple(h0, h0)));
  torch::Tensor scores = torch::bmm(attn_in->forward(o), enc.outputs.transpose(1, 2));
  torch::Tensor context = torch::bmm(torch::softmax(scores, -1), enc.outputs);
  torch::Tensor y = torch::tanh(attn_out->forward(torch::cat({context, o}, -1)));
  torch::Tensor logp = torch::log_softmax(out->forward(y), -1);
  ControllerLosses l;
  l.mse = F::mse_loss(c.predict(enc.embedding), targets);
  l.nll = F::nll_loss(logp.reshape({-1, s.vocab}), tokens.reshape({-1}));
  l.total = c.config().trade_off * l.mse + (1.0 - c.config().trade_off) * l.nll;
  return l;
}

// The fused training path (table lookups, lstm_from_gates, reordered attention) computes the
// same loss and the same gradient for every parameter: 2 tokens per encoder step with token 0
// as the start (nao), 2 with a start row of its own (nb201), 1 token per step (channel-resnet,
// 7 positions).
TEST(NaoController, TrainingLossAndGradientsEqualThePlainModules) {
  for (const char* name : {"nao", "nb201", "channel-resnet"}) {
    SCOPED_TRACE(name);
    auto space = make_space(name);
    ASSERT_EQ(controller_shape(space->sequence_spec(), 96).tokens_per_step,
              std::string(name) == "channel-resnet" ? 1 : 2);
    torch::manual_seed(4);
    Controller c(space->sequence_spec(), ControllerConfig{});
    c->eval();  // no dropout: both losses see the same predictor
    Rng rng(6);
    std::vector<std::vector<int>> seqs;
    for (int i = 0; i < 23; ++i) seqs.push_back(space->to_tokens(space->sample(rng)));
    torch::Tensor tokens = token_tensor(seqs, torch::kCPU);
    torch::Tensor targets = torch::rand({23});
    // Trained-looking weights: larger than the initial ones, so that the gates saturate too.
    {
      torch::NoGradGuard no_grad;
      for (auto& p : c->parameters()) p.mul_(3);
    }
    ControllerLosses fused = c->loss(tokens, targets);
    fused.total.backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : c->parameters()) grads.push_back(p.grad().clone());
    for (auto& p : c->parameters()) p.mutable_grad().zero_();
    ControllerLosses plain = reference_loss(*c, tokens, targets);
    plain.total.backward();
    for (auto [a, b] : {std::make_pair(fused.total, plain.total),
                        std::make_pair(fused.mse, plain.mse), std::make_pair(fused.nll, plain.nll)})
      EXPECT_NEAR(a.item<double>(), b.item<double>(), 1e-5 * b.item<double>());
    size_t i = 0;
    for (const auto& p : c->named_parameters()) {
      SCOPED_TRACE(p.key());
      EXPECT_LT(relative_error(grads[i++], p.value().grad()), 1e-5);
    }
  }
}

TEST(NaoController, PairwiseAccuracyCountsTiesAsAgreement) {
  EXPECT_DOUBLE_EQ(pairwise_accuracy({1, 2, 3}, {1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(pairwise_accuracy({3, 2, 1}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(pairwise_accuracy({1, 1, 2}, {1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(pairwise_accuracy({1}, {1}), 1.0);
}

}  // namespace
}  // namespace nas::nao
