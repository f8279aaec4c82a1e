#include "generators/llm/llm_search.h"

#include <cmath>
#include <sstream>

#include "generators/llm/reply_parser.h"
#include "libnas/util/config.h"
#include "libnas/util/error.h"
#include "libnas/util/file_io.h"
#include "libnas/util/log.h"

namespace nas::llm {

void LlmSearchConfig::validate(const std::string& where) const {
  client.validate(where);
  NAS_CHECK(max_calls >= 0, "config key {}.max_calls: expected 0 (no limit) or more, found {}",
            where, max_calls);
  NAS_CHECK(max_tokens >= 0, "config key {}.max_tokens: expected 0 (no limit) or more, found {}",
            where, max_tokens);
  NAS_CHECK(max_retries >= 0, "config key {}.max_retries: expected 0 or more, found {}", where,
            max_retries);
}

namespace {

Json messages_json(const std::vector<ChatMessage>& messages) {
  Json out = Json::array();
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

}  // namespace

LlmSearch::LlmSearch(const YAML::Node& cfg, std::shared_ptr<const SearchSpace> space,
                     uint64_t seed)
    : space_(std::move(space)), rng_(seed) {
  decode_config(cfg, cfg_, "llm");
  cfg_.validate("llm");
  prompt_ = PromptTemplate::load(cfg_.prompt_file, *space_, goal_.objective);
  client_ = std::make_unique<ChatClient>(cfg_.client);
}

YAML::Node LlmSearch::config() const { return encode_config(cfg_); }

void LlmSearch::set_goal(const Goal& goal) {
  goal_ = goal;
  prompt_ = PromptTemplate::load(cfg_.prompt_file, *space_, goal_.objective);
}

void LlmSearch::set_checkpoint_dir(const std::string& dir) {
  transcript_path_ = dir + "/transcript.jsonl";
  stats_path_ = dir + "/llm_stats.json";
  recorded_.clear();
  if (!file_exists(transcript_path_)) return;
  std::istringstream in(read_file(transcript_path_));
  std::string line;
  // A line cut short by a kill ends what can be replayed.
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("messages") || !j.contains("reply") ||
        !j["reply"].is_string())
      break;
    recorded_.push_back(std::move(j));
  }
  spdlog::info("llm: {} recorded call(s) in {} to replay", recorded_.size(), transcript_path_);
}

void LlmSearch::append_transcript(const Json& line) {
  if (transcript_path_.empty()) return;
  std::ofstream out(transcript_path_, std::ios::app);
  out << line.dump() << '\n';
  out.flush();
  NAS_CHECK(out.good(), "llm: cannot append to {}", transcript_path_);
}

std::optional<std::string> LlmSearch::complete(const std::vector<ChatMessage>& messages) {
  const bool calls_spent = cfg_.max_calls > 0 && stats_.calls >= cfg_.max_calls;
  const bool tokens_spent = cfg_.max_tokens > 0 && stats_.tokens >= cfg_.max_tokens;
  if (calls_spent || tokens_spent) {
    if (!limit_logged_)
      spdlog::warn("llm: {} spent ({} calls, {} tokens): no more proposals",
                   calls_spent ? fmt::format("max_calls {}", cfg_.max_calls)
                               : fmt::format("max_tokens {}", cfg_.max_tokens),
                   stats_.calls, stats_.tokens);
    limit_logged_ = true;
    return std::nullopt;
  }
  const auto call = static_cast<size_t>(stats_.calls);
  const Json request = messages_json(messages);
  if (!live_) {
    if (call < recorded_.size() && recorded_[call]["messages"] == request) {
      const Json& r = recorded_[call];
      ++stats_.calls;
      ++stats_.replayed;
      stats_.tokens += r.value("prompt_tokens", int64_t{0}) + r.value("completion_tokens", int64_t{0});
      return r["reply"].get<std::string>();
    }
    if (call < recorded_.size())
      spdlog::warn("llm: call {} differs from the transcript's; the endpoint answers from here",
                   call + 1);
    // Going live: the transcript keeps the calls replayed so far.
    live_ = true;
    if (!transcript_path_.empty()) {
      std::string kept;
      for (size_t i = 0; i < call && i < recorded_.size(); ++i) kept += recorded_[i].dump() + "\n";
      write_file_atomic(transcript_path_, kept);
    }
    recorded_.clear();
  }
  ChatReply reply = client_->complete(messages);
  ++stats_.calls;
  stats_.tokens += reply.usage.total();
  Json line;
  line["call"] = call + 1;
  line["step"] = history_.size();
  line["model"] = cfg_.client.model;
  line["messages"] = request;
  line["reply"] = reply.content;
  line["finish_reason"] = reply.finish_reason;
  line["prompt_tokens"] = reply.usage.prompt_tokens;
  line["completion_tokens"] = reply.usage.completion_tokens;
  line["attempts"] = reply.attempts;
  line["seconds"] = reply.seconds;
  append_transcript(line);
  spdlog::debug("llm: call {} ({} attempt(s), {:.1f} s, {} tokens)", call + 1, reply.attempts,
                reply.seconds, reply.usage.total());
  return reply.content;
}

void LlmSearch::write_stats() const {
  if (stats_path_.empty()) return;
  Json j;
  j["calls"] = stats_.calls;
  j["replayed"] = stats_.replayed;
  j["tokens"] = stats_.tokens;
  j["invalid_replies"] = stats_.invalid;
  j["repeated_replies"] = stats_.repeats;
  j["fallbacks"] = stats_.fallbacks;
  write_file_atomic(stats_path_, j.dump(2) + "\n");
}

std::vector<Arch> LlmSearch::ask(int) {
  std::vector<Arch> out = propose();
  write_stats();
  return out;
}

std::vector<Arch> LlmSearch::propose() {
  const bool chat = prompt_->protocol() == Protocol::Chat;
  std::vector<ChatMessage> conv;
  if (chat) {
    if (chat_.empty()) chat_ = prompt_->opening({});
    conv = chat_;
  } else {
    conv = prompt_->opening(history_);
  }
  for (int64_t attempt = 0; attempt <= cfg_.max_retries; ++attempt) {
    std::optional<std::string> reply = complete(conv);
    if (!reply) return {};
    conv.push_back({"assistant", *reply});
    ParsedReply p = parse_reply(*space_, *reply);
    if (!p.arch) {
      ++stats_.invalid;
      spdlog::debug("llm: step {}: no architecture in the reply: {}", history_.size() + 1, p.error);
      conv.push_back({"user", prompt_->invalid(p.error)});
      continue;
    }
    auto it = answered_.find(space_->hash(*p.arch));
    if (it != answered_.end()) {
      ++stats_.repeats;
      conv.push_back({"user", prompt_->repeated(history_[it->second])});
      continue;
    }
    if (chat) {
      chat_ = std::move(conv);
      feedback_due_ = true;
    }
    return {*p.arch};
  }
  // The model did not name a new valid architecture: a mutation of the best answer instead.
  ++stats_.fallbacks;
  if (chat) {
    chat_ = std::move(conv);
    feedback_due_ = false;
  }
  const HistoryEntry* best = nullptr;
  for (const auto& h : history_)
    if (!std::isnan(h.objective) && (!best || h.objective > best->objective)) best = &h;
  Arch a = best ? space_->mutate(best->arch, rng_) : space_->sample(rng_);
  for (int tries = 0; tries < 100 && answered_.count(space_->hash(a)); ++tries)
    a = best ? space_->mutate(best->arch, rng_) : space_->sample(rng_);
  spdlog::info("llm: step {}: no valid new architecture after {} call(s); proposing {} instead",
               history_.size() + 1, cfg_.max_retries + 1, space_->format(a));
  return {a};
}

void LlmSearch::tell(const std::vector<Trial>& trials) {
  for (const Trial& t : trials) {
    if (answered_.count(t.hash)) continue;
    answered_[t.hash] = history_.size();
    history_.push_back({t.arch, t.objective});
    if (feedback_due_) {
      chat_.push_back({"user", prompt_->feedback(history_.back())});
      feedback_due_ = false;
    }
  }
}

void register_llm_strategy() {
  register_strategy("llm",
                    "a language model behind an OpenAI-compatible endpoint proposes each "
                    "architecture from the results so far (GENIUS); needs llm.endpoint",
                    [](const YAML::Node& c, std::shared_ptr<const SearchSpace> s,
                       uint64_t seed) -> std::unique_ptr<Strategy> {
                      return std::make_unique<LlmSearch>(c, std::move(s), seed);
                    });
}

}  // namespace nas::llm
