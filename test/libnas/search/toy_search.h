// A small search space, evaluator and scripted strategy for the search tests: archs are digit
// strings ("0123"), one chain cell whose node labels are the digits.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "libnas/search/evaluator.h"
#include "libnas/search/strategy.h"
#include "libnas/spaces/search_space.h"
#include "libnas/util/error.h"

namespace nas::test {

// positions x values digit strings. With order_free, archs that are permutations of each other
// are the same network (equal canonical hash), as isomorphic cells are in real spaces.
class ToySpace : public SearchSpace {
 public:
  ToySpace(int positions, int values, bool order_free = false)
      : positions_(positions), values_(values), order_free_(order_free) {
    for (int v = 0; v < values; ++v) vocab_.names.push_back("v" + std::to_string(v));
  }
  std::string name() const override { return "toy"; }
  std::string description() const override { return "digit strings"; }
  Arch parse(const std::string& text) const override {
    NAS_CHECK(static_cast<int>(text.size()) == positions_, "toy: expected {} digits, found '{}'",
              positions_, text);
    std::vector<int> d;
    for (char c : text) {
      NAS_CHECK(c >= '0' && c < '0' + values_, "toy: bad digit in '{}'", text);
      d.push_back(c - '0');
    }
    return make(d);
  }
  std::string format(const Arch& a) const override {
    std::string s;
    for (int op : a.cells.at(0).ops) s += static_cast<char>('0' + op);
    return s;
  }
  void validate(const Arch& a) const override {
    NAS_CHECK(a.cells.size() == 1 && a.cells[0].num_nodes() == positions_, "toy: wrong shape");
    for (int op : a.cells[0].ops) NAS_CHECK(op >= 0 && op < values_, "toy: op out of range");
  }
  Arch sample(Rng& rng) const override {
    std::vector<int> d(static_cast<size_t>(positions_));
    for (auto& x : d) x = static_cast<int>(rng.uniform_int(0, values_ - 1));
    return make(d);
  }
  Arch mutate(const Arch& a, Rng& rng) const override {
    auto d = a.cells[0].ops;
    auto p = static_cast<size_t>(rng.uniform_int(0, positions_ - 1));
    int v = static_cast<int>(rng.uniform_int(0, values_ - 2));
    if (v >= d[p]) ++v;
    d[p] = v;
    return make(d);
  }
  std::vector<Arch> neighbors(const Arch& a) const override {
    std::vector<Arch> out;
    for (int p = 0; p < positions_; ++p)
      for (int v = 0; v < values_; ++v) {
        if (v == a.cells[0].ops[static_cast<size_t>(p)]) continue;
        auto d = a.cells[0].ops;
        d[static_cast<size_t>(p)] = v;
        out.push_back(make(d));
      }
    return out;
  }
  std::optional<uint64_t> size() const override {
    return static_cast<uint64_t>(std::pow(values_, positions_) + 0.5);
  }
  void enumerate(const std::function<void(const Arch&)>& fn) const override {
    const uint64_t n = *size();
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<int> d(static_cast<size_t>(positions_));
      uint64_t k = i;
      for (int p = positions_ - 1; p >= 0; --p) {
        d[static_cast<size_t>(p)] = static_cast<int>(k % static_cast<uint64_t>(values_));
        k /= static_cast<uint64_t>(values_);
      }
      fn(make(d));
    }
  }
  const OpVocab& vocab() const override { return vocab_; }
  int max_nodes() const override { return positions_; }
  std::string hash(const Arch& a) const override {
    std::string s = format(a);
    if (order_free_) std::sort(s.begin(), s.end());
    return s;
  }

 private:
  static Arch make(const std::vector<int>& d) {
    CellDag c(static_cast<int>(d.size()));
    c.ops = d;
    for (size_t i = 0; i + 1 < d.size(); ++i) c.set_edge(static_cast<int>(i), static_cast<int>(i) + 1);
    return Arch{{c}};
  }
  int positions_, values_;
  bool order_free_;
  OpVocab vocab_;
};

// Accuracy peaks at the digits of `target` (order-free spaces: the sorted digits matter only).
// params is left missing so history lines show a null.
inline Metrics toy_metrics(const std::vector<int>& digits, const std::vector<int>& target,
                           bool order_free, bool with_seconds) {
  std::vector<int> d = digits;
  if (order_free) std::sort(d.begin(), d.end());
  double loss = 0;
  for (size_t i = 0; i < d.size(); ++i) loss += std::abs(d[i] - target[i]) * (1.0 + 0.25 * i);
  Metrics m;
  m.val_acc = 90.0 - loss;
  m.test_acc = 93.0 - loss + 0.01 * d[0];
  m.flops = 1000.0 + d[0];
  if (with_seconds) m.train_seconds = 10.0 + d[0] + d.back();
  m.extra["latency_ms"] = 1.5 + 0.5 * d[0];
  return m;
}

class ToyEvaluator : public Evaluator {
 public:
  ToyEvaluator(std::vector<int> target, bool order_free = false, bool with_seconds = false)
      : target_(std::move(target)), order_free_(order_free), with_seconds_(with_seconds) {}
  std::vector<Metrics> evaluate(const std::vector<Arch>& archs) override {
    ++calls;
    std::vector<Metrics> out;
    for (const auto& a : archs) {
      evaluated.push_back(a);
      out.push_back(toy_metrics(a.cells[0].ops, target_, order_free_, with_seconds_));
    }
    return out;
  }
  bool records_train_seconds() const override { return with_seconds_; }
  std::string describe() const override { return "toy evaluator"; }

  int calls = 0;
  std::vector<Arch> evaluated;

 private:
  std::vector<int> target_;
  bool order_free_, with_seconds_;
};

// Proposes a fixed list of archs (by text), `per_ask` at most per ask; records every tell.
class ScriptedStrategy : public Strategy {
 public:
  ScriptedStrategy(std::shared_ptr<const SearchSpace> space, std::vector<std::string> script)
      : space_(std::move(space)), script_(std::move(script)) {}
  std::string name() const override { return "scripted"; }
  std::vector<Arch> ask(int n) override {
    std::vector<Arch> out;
    while (static_cast<int>(out.size()) < n && next_ < script_.size())
      out.push_back(space_->parse(script_[next_++]));
    return out;
  }
  void tell(const std::vector<Trial>& trials) override {
    told.insert(told.end(), trials.begin(), trials.end());
  }
  std::vector<Trial> told;

 private:
  std::shared_ptr<const SearchSpace> space_;
  std::vector<std::string> script_;
  size_t next_ = 0;
};

// For a run of a strategy that answers `seeds` random architectures and then proposes
// `per_round` a round (rounds aligned with the Runner's batches): checks that each round's first
// `local` proposals are neighbours of the best answer before the round that still had an
// unproposed neighbour, none proposed before.
inline void expect_rounds_start_with_neighbors(const SearchSpace& space,
                                               const std::vector<Trial>& trials, size_t seeds,
                                               size_t per_round, size_t local) {
  ASSERT_GT(trials.size(), seeds + per_round);
  for (size_t start = seeds; start + local <= trials.size(); start += per_round) {
    std::unordered_set<std::string> before;
    for (size_t i = 0; i < start; ++i) before.insert(trials[i].hash);
    std::vector<size_t> order(start);
    for (size_t i = 0; i < start; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return better_objective(trials[a].objective, trials[b].objective);
    });
    std::unordered_set<std::string> neighbors;
    size_t best = 0;
    for (size_t i : order) {
      for (const Arch& a : space.neighbors(trials[i].arch))
        if (!before.count(space.hash(a))) neighbors.insert(space.hash(a));
      best = i;
      if (!neighbors.empty()) break;
    }
    for (size_t i = start; i < start + local; ++i) {
      EXPECT_TRUE(neighbors.count(trials[i].hash))
          << "trial " << i << " is not an unproposed neighbour of trial " << best
          << ", the best before it with one";
      EXPECT_FALSE(before.count(trials[i].hash)) << "trial " << i << " was proposed before";
    }
  }
}

}  // namespace nas::test
