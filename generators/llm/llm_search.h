// The LLM searcher (`search --strategy llm`; specs/genius.md): a language model behind any
// OpenAI-compatible endpoint proposes one architecture at a time, the measured objective goes
// back to it, and it is asked again.
//
// Each proposal: the prompt of the template's protocol (prompts.h: a fresh conversation with the
// whole history, or the one growing chat) goes to the endpoint; the reply is read by
// parse_reply. A reply without a valid architecture, or naming one already answered, is not
// proposed: the model is told why (the parser's message, or the earlier result) in the same
// conversation and asked again, up to `max_retries` times; then the step proposes a random
// mutation of the best answer instead (counted as a fallback). With the chat protocol the
// exchange stays in the conversation.
//
// The counts (calls, tokens, invalid and repeated replies, fallbacks) are kept in
// CHECKPOINTS/llm_stats.json after every proposal.
//
// Limits: `max_calls` completions and `max_tokens` tokens (prompt + completion, from the replies'
// usage) per run; when one is spent the strategy stops proposing and the run ends.
//
// Transcript and resume: every call is appended to CHECKPOINTS/transcript.jsonl (the request's
// messages, the reply, tokens, attempts, seconds). On --resume the Runner replays the strategy;
// each call whose request equals the recorded one takes the recorded reply instead of calling
// the endpoint, so a killed run repeats no answered call and a finished run can be replayed
// offline. From the first request that differs (or past the end) the run goes live again and
// the transcript is rewritten from there.
#pragma once

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "generators/llm/chat_client.h"
#include "generators/llm/prompts.h"
#include "libnas/search/strategy.h"
#include "libnas/util/json.h"

namespace nas::llm {

struct LlmSearchConfig {
  ChatClientConfig client;
  std::string prompt_file;  // "" = the shipped template of the space
  int64_t max_calls = 200;
  int64_t max_tokens = 0;
  int64_t max_retries = 3;

  template <class V>
  void fields(V& v) {
    client.fields(v);
    v("prompt_file", prompt_file,
      "prompt template file (empty: the shipped one for the space, configs/llm/*.prompt)");
    v("max_calls", max_calls, "completions one run may request (0: no limit)");
    v("max_tokens", max_tokens, "prompt + completion tokens one run may spend, as the replies report them (0: no limit)");
    v("max_retries", max_retries,
      "times a step asks again after a reply without a valid new architecture, before it "
      "proposes a mutation of the best answer instead");
  }
  void validate(const std::string& where) const;
};

class LlmSearch : public Strategy {
 public:
  // nas::Error (before any call) for a bad config: no or a malformed endpoint, the key's
  // variable unset, a prompt template that does not load.
  LlmSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space, uint64_t seed);
  std::string name() const override { return "llm"; }
  std::vector<Arch> ask(int n) override;
  void tell(const std::vector<Trial>& trials) override;
  YAML::Node config() const override;
  void set_checkpoint_dir(const std::string& dir) override;
  void set_goal(const Goal& goal) override;

  // What the run's calls did so far.
  struct Stats {
    int64_t calls = 0;           // completions requested (replayed ones included)
    int64_t replayed = 0;        // of them, answered from the transcript
    int64_t tokens = 0;          // prompt + completion tokens reported
    int64_t invalid = 0;         // replies without a valid architecture
    int64_t repeats = 0;         // replies naming an architecture already answered
    int64_t fallbacks = 0;       // steps that proposed a mutation instead
  };
  const Stats& stats() const { return stats_; }
  // Replaces the client (tests: a client with recorded sleeps).
  void set_client(std::unique_ptr<ChatClient> client) { client_ = std::move(client); }

 private:
  // One completion, from the transcript when it recorded this request, else from the endpoint.
  // nullopt when a call or token limit is spent.
  std::optional<std::string> complete(const std::vector<ChatMessage>& messages);
  void append_transcript(const Json& line);
  // The next proposal (empty when a limit is spent).
  std::vector<Arch> propose();
  // CHECKPOINTS/llm_stats.json: the Stats so far.
  void write_stats() const;

  LlmSearchConfig cfg_;
  std::shared_ptr<const SearchSpace> space_;
  Rng rng_;
  std::optional<PromptTemplate> prompt_;
  std::unique_ptr<ChatClient> client_;
  Goal goal_;
  std::vector<HistoryEntry> history_;
  std::unordered_map<std::string, size_t> answered_;  // hash -> index in history_
  std::vector<ChatMessage> chat_;                     // the chat protocol's conversation
  bool feedback_due_ = false;  // chat: the last proposal was the model's, report its result
  std::string transcript_path_;
  std::string stats_path_;
  std::vector<Json> recorded_;  // the transcript read back on resume
  bool live_ = false;           // past the recorded calls
  Stats stats_;
  bool limit_logged_ = false;
};

// Adds "llm" to the strategy registry.
void register_llm_strategy();

}  // namespace nas::llm
