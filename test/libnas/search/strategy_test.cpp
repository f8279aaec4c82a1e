#include "libnas/search/strategy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test/libnas/search/toy_search.h"

namespace nas {
namespace {

using test::ToySpace;

// Opens the protected helpers of SeededQueueStrategy: `known` marks archs as proposed.
class OpenQueue : public SeededQueueStrategy {
 public:
  OpenQueue(std::shared_ptr<const SearchSpace> space, std::vector<std::string> known)
      : SeededQueueStrategy(std::move(space), 7) {
    for (const auto& k : known) known_.insert(k);
  }
  std::string name() const override { return "open"; }
  std::string centre;  // the answer the last neighbors_of_best pool was around ("" for none)
  void tell(const std::vector<Trial>&) override {}
  std::set<std::string> neighbors_of_best(const std::vector<std::pair<std::string, double>>& answers) {
    std::vector<Arch> archs;
    for (const auto& a : answers) archs.push_back(space_->parse(a.first));
    std::vector<std::pair<const Arch*, double>> in;
    for (size_t i = 0; i < archs.size(); ++i) in.emplace_back(&archs[i], answers[i].second);
    std::set<std::string> out;
    const Arch* centre_arch = nullptr;
    for (const Arch& a : unknown_neighbors_of_best(in, &centre_arch)) {
      EXPECT_TRUE(out.insert(space_->format(a)).second) << "proposed twice: " << space_->format(a);
    }
    EXPECT_EQ(centre_arch == nullptr, out.empty());
    centre = centre_arch ? space_->format(*centre_arch) : "";
    return out;
  }

 private:
  void refill() override {}
};

// 3 positions x 2 values: every arch has 3 neighbours.
std::shared_ptr<ToySpace> tiny() { return std::make_shared<ToySpace>(3, 2); }

TEST(SeededQueueStrategy, LocalPoolIsTheBestAnswersUnknownNeighbours) {
  OpenQueue q(tiny(), {"000", "110", "001"});
  // "000" is the best; of its neighbours 100, 010, 001 the last is known.
  EXPECT_EQ(q.neighbors_of_best({{"111", 50.0}, {"000", 90.0}, {"110", 70.0}}),
            (std::set<std::string>{"100", "010"}));
  EXPECT_EQ(q.centre, "000");
}

TEST(SeededQueueStrategy, LocalPoolMovesToTheNextBestOnceTheBestsNeighboursAreKnown) {
  // Every neighbour of the best ("000") is known: the pool is the runner-up's ("111": 011, 101,
  // 110), less what is known, not empty.
  OpenQueue q(tiny(), {"000", "100", "010", "001", "111", "110"});
  EXPECT_EQ(q.neighbors_of_best({{"111", 80.0}, {"000", 90.0}, {"001", 60.0}}),
            (std::set<std::string>{"011", "101"}));
  EXPECT_EQ(q.centre, "111");
}

TEST(SeededQueueStrategy, LocalPoolRanksMissingObjectivesLastAndTiesByOrder) {
  OpenQueue q(tiny(), {});
  // A NaN objective never counts as the best, even first in line.
  EXPECT_EQ(q.neighbors_of_best({{"111", kMissing}, {"000", 10.0}}),
            (std::set<std::string>{"100", "010", "001"}));
  // Equal objectives: the first answered is the best.
  EXPECT_EQ(q.neighbors_of_best({{"111", 10.0}, {"000", 10.0}}),
            (std::set<std::string>{"011", "101", "110"}));
}

TEST(SeededQueueStrategy, LocalPoolIsEmptyWhenEveryNeighbourIsKnown) {
  OpenQueue q(tiny(), {"000", "100", "010", "001", "111", "011", "101", "110"});
  EXPECT_TRUE(q.neighbors_of_best({{"000", 90.0}, {"111", 80.0}}).empty());
  EXPECT_EQ(q.centre, "");
  EXPECT_TRUE(q.neighbors_of_best({}).empty());
}

}  // namespace
}  // namespace nas
