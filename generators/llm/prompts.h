// The prompts of the LLM searcher: templates a user can copy and edit (configs/llm/*.prompt,
// `llm.prompt_file`), the GENIUS protocols shipped (specs/genius.md §1a, §1b) and a template
// written from the space itself for every other space.
//
// A template file is a few header lines, then sections:
//
//   # a comment
//   protocol: fresh        (fresh: a new two-message conversation per proposal, the history in
//                           the user message; chat: one growing conversation, a feedback
//                           message after each result)
//   decimals: 2            (accuracies are rounded half-up to this many decimals)
//   [system]
//   You are an expert in the field of neural architecture search.
//   [task]
//   ... {{ops}} ... {{example}} ...
//   [history_header] [history_line] [history_line_missing] [history_footer]   (fresh)
//   [suffix]                                                                   (fresh)
//   [feedback] [feedback_missing]                                              (chat)
//   [invalid]     asking again after a reply without a valid architecture ({{error}})
//   [repeated]    asking again after a reply naming a tried architecture
//
// Placeholders are {{name}}; a name the template cannot fill, an unknown section or a section
// its protocol needs missing is a nas::Error naming the file and line, raised when the template
// is loaded (before any call). The names: arch (the space's text form of the trial's
// architecture), arch_list (its GENIUS list form where the space has one: Macro op ids, Channel
// widths, NB201 op ids), accuracy (the objective, rounded), error, space, space_description,
// ops (the space's ops, one "id: name" per line), example (a random architecture's text form),
// length (the number of entries in an answer list), objective (the objective's name).
#pragma once

#include <string>
#include <vector>

#include "generators/llm/chat_client.h"
#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"

namespace nas::llm {

enum class Protocol { Fresh, Chat };

// One answered proposal as the prompts report it, in trial order.
struct HistoryEntry {
  Arch arch;
  double objective;  // NaN: no value (e.g. over the run's constraint)
};

class PromptTemplate {
 public:
  // Parses template text; `origin` names it in errors ("configs/llm/genius_macro.prompt").
  // `objective` is the run's objective metric (val_acc, test_acc, ...).
  static PromptTemplate parse(const std::string& text, const std::string& origin,
                              const SearchSpace& space, const std::string& objective);
  // Reads `path`, or the shipped template for the space when `path` is empty (compiled in, so
  // the binary needs no source tree): genius_macro, genius_channel_resnet,
  // genius_channel_mobilenet, genius_nb201 (nb201 on any data set), else generic.
  static PromptTemplate load(const std::string& path, const SearchSpace& space,
                             const std::string& objective);
  // The shipped template's name for a space ("genius_nb201", "generic", ...) and its text.
  static std::string shipped_name(const SearchSpace& space);
  static std::string shipped_text(const std::string& name);

  Protocol protocol() const { return protocol_; }
  const std::string& origin() const { return origin_; }

  // Fresh: the whole conversation for the next proposal given every answer so far.
  // Chat: the opening messages (system, first user message); `history` must be empty.
  std::vector<ChatMessage> opening(const std::vector<HistoryEntry>& history) const;
  // Chat: the user message after the model's proposal was measured.
  std::string feedback(const HistoryEntry& result) const;
  // The user message after a reply without a valid architecture (`error`: the parser's line).
  std::string invalid(const std::string& error) const;
  // The user message after a reply naming an architecture answered before (`earlier`).
  std::string repeated(const HistoryEntry& earlier) const;

 private:
  PromptTemplate() = default;
  Protocol protocol_ = Protocol::Fresh;
  std::string origin_;
  std::vector<std::pair<std::string, std::string>> sections_;  // name -> text
  int decimals_ = 2;
  const SearchSpace* space_ = nullptr;
  std::string objective_;
  std::string example_;
};

// Rounds half-up to `decimals` places and prints exactly that many ("91.45", "91.450").
std::string round_half_up(double value, int decimals);

}  // namespace nas::llm
