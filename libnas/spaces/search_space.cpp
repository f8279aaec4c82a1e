#include "libnas/spaces/search_space.h"

#include <map>

#include "libnas/spaces/channel.h"
#include "libnas/spaces/darts.h"
#include "libnas/spaces/macro.h"
#include "libnas/spaces/nag_cell.h"
#include "libnas/spaces/nao_cell.h"
#include "libnas/spaces/nb101.h"
#include "libnas/spaces/nb201.h"
#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

bool SearchSpace::is_valid(const Arch& arch) const {
  try {
    validate(arch);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void SearchSpace::enumerate(const std::function<void(const Arch&)>&) const {
  fail("space {} is not enumerable (it has no finite, listable size)", name());
}

SequenceSpec SearchSpace::sequence_spec() const {
  fail("space {} has no sequence view", name());
}
std::vector<int> SearchSpace::to_tokens(const Arch&) const {
  fail("space {} has no sequence view", name());
}
Arch SearchSpace::from_tokens(const std::vector<int>&) const {
  fail("space {} has no sequence view", name());
}

std::string SearchSpace::hash(const Arch& arch) const { return arch_hash(arch); }

namespace {
using Factory = std::function<std::shared_ptr<SearchSpace>()>;
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      {"nb201", [] { return std::make_shared<Nb201Space>(); }},
      {"nb101", [] { return std::make_shared<Nb101Space>(); }},
      {"macro", [] { return std::make_shared<MacroSpace>(); }},
      {"channel-resnet", [] { return std::make_shared<ChannelSpace>(ChannelSpace::Base::ResNet); }},
      {"channel-mobilenet",
       [] { return std::make_shared<ChannelSpace>(ChannelSpace::Base::MobileNet); }},
      {"nao", [] { return std::make_shared<NaoCellSpace>(NaoCellSpace::OpSet::Five); }},
      {"nao-11", [] { return std::make_shared<NaoCellSpace>(NaoCellSpace::OpSet::Eleven); }},
      {"nag", [] { return std::make_shared<NagCellSpace>(); }},
      {"darts", [] { return std::make_shared<DartsSpace>(); }},
  };
  return r;
}
}  // namespace

std::shared_ptr<SearchSpace> make_space(const std::string& name) {
  auto it = registry().find(name);
  NAS_CHECK(it != registry().end(), "unknown search space {}; known spaces: {}", quote(name),
            join(space_names(), ", "));
  return it->second();
}

std::vector<std::string> space_names() {
  std::vector<std::string> out;
  for (const auto& kv : registry()) out.push_back(kv.first);
  return out;
}

SequenceSpec make_sequence_spec(int vocab_size, std::vector<std::string> token_names,
                                const std::vector<std::vector<int>>& legal_per_position) {
  SequenceSpec spec;
  spec.length = static_cast<int>(legal_per_position.size());
  spec.vocab_size = vocab_size;
  spec.token_names = std::move(token_names);
  spec.legal.assign(legal_per_position.size(), std::vector<uint8_t>(static_cast<size_t>(vocab_size), 0));
  for (size_t p = 0; p < legal_per_position.size(); ++p)
    for (int t : legal_per_position[p]) spec.legal[p][static_cast<size_t>(t)] = 1;
  return spec;
}

void check_tokens(const SequenceSpec& spec, const std::vector<int>& tokens,
                  const std::string& space_name) {
  NAS_CHECK(static_cast<int>(tokens.size()) == spec.length,
            "{} tokens: expected {} tokens, found {}", space_name, spec.length, tokens.size());
  for (int p = 0; p < spec.length; ++p)
    NAS_CHECK(spec.is_legal(p, tokens[p]), "{} tokens: token {} is not legal at position {}",
              space_name, tokens[p], p);
}

std::vector<std::vector<SequenceSpec::Swap>> two_branch_symmetries(int cells, int nodes) {
  std::vector<std::vector<SequenceSpec::Swap>> groups(static_cast<size_t>(cells));
  for (int c = 0; c < cells; ++c)
    for (int i = 0; i < nodes; ++i) {
      const int start = (c * nodes + i) * 4;
      groups[static_cast<size_t>(c)].push_back({start, start + 2, 2});
    }
  return groups;
}

}  // namespace nas
