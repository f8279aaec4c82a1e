// SearchSpace: what every space describes (text form, validity, sampling, mutation, views).
// Spaces are stateless after construction and safe to share between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libnas/encoding/cell_dag.h"
#include "libnas/encoding/sequence.h"
#include "libnas/util/rng.h"

namespace nas {

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  virtual std::string name() const = 0;
  // One line for --help and listings.
  virtual std::string description() const = 0;

  // Native text form <-> Arch. parse accepts every documented form (and names of published
  // archs where the space has them); it throws nas::Error saying what is wrong and which form
  // was expected. parse(format(a)) == a for every valid a.
  virtual Arch parse(const std::string& text) const = 0;
  virtual std::string format(const Arch& arch) const = 0;
  // Throws nas::Error with a precise reason when arch is not in the space.
  virtual void validate(const Arch& arch) const = 0;
  bool is_valid(const Arch& arch) const;

  virtual Arch sample(Rng& rng) const = 0;
  // A random valid arch that differs from `arch` (one local change where the space allows).
  virtual Arch mutate(const Arch& arch, Rng& rng) const = 0;
  // All valid archs one local change away, in a deterministic order.
  virtual std::vector<Arch> neighbors(const Arch& arch) const = 0;

  // Number of distinct native encodings, when finite and representable.
  virtual std::optional<uint64_t> size() const { return std::nullopt; }
  // Calls fn once per arch of a finite space, deterministic order; nas::Error otherwise.
  virtual void enumerate(const std::function<void(const Arch&)>& fn) const;

  // Graph view parameters: the node-label vocabulary, cells per arch and max nodes per cell.
  virtual const OpVocab& vocab() const = 0;
  virtual int num_cells() const { return 1; }
  virtual int max_nodes() const = 0;

  // Sequence view; spaces without one say so through has_sequence_view() and throw otherwise.
  virtual bool has_sequence_view() const { return false; }
  virtual SequenceSpec sequence_spec() const;
  virtual std::vector<int> to_tokens(const Arch& arch) const;
  virtual Arch from_tokens(const std::vector<int>& tokens) const;

  // Canonical hash: equal for archs the space considers the same network (isomorphic cells,
  // after pruning where the space prunes). Default: arch_hash of the arch as given.
  virtual std::string hash(const Arch& arch) const;
};

// The registry: names are nb201, nb101, macro, channel-resnet, channel-mobilenet, nao, nao-11,
// nag, darts. Unknown names give nas::Error listing the known ones.
std::shared_ptr<SearchSpace> make_space(const std::string& name);
std::vector<std::string> space_names();

// Helpers for spaces whose sequence view is one token per position drawn from a
// position-specific set of choices (NB201, macro, channel): builds the spec from per-position
// legal token lists.
SequenceSpec make_sequence_spec(int vocab_size, std::vector<std::string> token_names,
                                const std::vector<std::vector<int>>& legal_per_position);
// Checks tokens against spec (length, range, legality), naming the space on error; the space's
// from_tokens checks must_differ with its own, more precise, message.
void check_tokens(const SequenceSpec& spec, const std::vector<int>& tokens,
                  const std::string& space_name);
// The symmetries of a two-branch cell sequence ([in, op, in, op] per node, `nodes` nodes per
// cell, `cells` cells in a row): per cell, the swap of each node's two branches.
std::vector<std::vector<SequenceSpec::Swap>> two_branch_symmetries(int cells, int nodes);

}  // namespace nas
