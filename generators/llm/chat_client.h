// A client for OpenAI-compatible chat completion endpoints (`POST {endpoint}/chat/completions`:
// the OpenAI API, vLLM, llama.cpp's llama-server, Ollama's /v1), over libcurl.
//
// Transient failures (HTTP 429 and 5xx, timeouts, refused or cut connections, a reply body that
// is not the expected JSON) are retried `retries` times with exponential backoff and full jitter
// (first wait `backoff` seconds, doubling, capped at `backoff_max`); a `Retry-After` header
// (seconds) sets the wait instead. Other 4xx answers fail at once. A reply body over
// `max_reply_bytes` is cut off and counts as a failure. TLS peers are verified.
//
// The API key is read from the environment variable named by `api_key_env` and sent as a Bearer
// token; it is never part of a config, a log line or an error message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libnas/util/error.h"

namespace nas::llm {

struct ChatMessage {
  std::string role;  // system, user or assistant
  std::string content;
  bool operator==(const ChatMessage& o) const { return role == o.role && content == o.content; }
};

struct ChatUsage {
  int64_t prompt_tokens = 0;  // as the reply's `usage` reports them (0 when it has none)
  int64_t completion_tokens = 0;
  int64_t total() const { return prompt_tokens + completion_tokens; }
};

struct ChatReply {
  std::string content;        // choices[0].message.content
  std::string finish_reason;  // choices[0].finish_reason ("" when absent)
  ChatUsage usage;
  int attempts = 0;           // HTTP requests made, retries included
  double seconds = 0;         // wall time of the whole call, waits included
};

struct ChatClientConfig {
  std::string endpoint;  // base URL up to /v1, e.g. https://api.openai.com/v1
  std::string model = "gpt-4";
  double temperature = 0.0;
  int64_t seed = -1;  // sent as `seed` when >= 0 (servers that take it)
  std::string api_key_env = "OPENAI_API_KEY";  // "" = send no key (local servers)
  double connect_timeout = 10.0;               // seconds
  double timeout = 120.0;                      // seconds per HTTP request, all of it
  int64_t retries = 5;
  double backoff = 1.0;
  double backoff_max = 60.0;
  int64_t max_reply_bytes = 1 << 20;
  int64_t max_completion_tokens = 0;  // sent as `max_tokens` when > 0

  template <class V>
  void fields(V& v) {
    v("endpoint", endpoint, "base URL of an OpenAI-compatible API (up to /v1); requests go to {endpoint}/chat/completions");
    v("model", model, "model name sent with each request");
    v("temperature", temperature, "sampling temperature sent with each request");
    v("seed", seed, "sampling seed sent where the server takes it (-1: none sent)");
    v("api_key_env", api_key_env, "environment variable holding the API key (empty: no key, for local servers)");
    v("connect_timeout", connect_timeout, "seconds to wait for a connection");
    v("timeout", timeout, "seconds one HTTP request may take in all");
    v("retries", retries, "retries after a 429, a 5xx, a timeout or a cut connection");
    v("backoff", backoff, "seconds before the first retry (doubled each time, with jitter; Retry-After wins)");
    v("backoff_max", backoff_max, "longest wait between retries, in seconds");
    v("max_reply_bytes", max_reply_bytes, "largest reply body accepted");
    v("max_completion_tokens", max_completion_tokens, "tokens one reply may have, sent as max_tokens (0: the server's default)");
  }
  // nas::Error (one line naming the key under `where`) for an empty or malformed endpoint URL
  // (http or https scheme and a host required), a timeout or backoff <= 0, negative retries, ...
  void validate(const std::string& where) const;
};

class ChatClient {
 public:
  // Validates the config and reads the key: nas::Error naming the variable (never its value)
  // when api_key_env is set but the variable is unset or empty.
  explicit ChatClient(ChatClientConfig cfg);
  ~ChatClient();
  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

  // One completion. nas::Error of kind Runtime when the endpoint fails past the retries or
  // answers a non-retryable status, the message naming the status and the server's error
  // message if it sent one (cut to one line).
  ChatReply complete(const std::vector<ChatMessage>& messages);

  // The request body sent for `messages` (model, messages, temperature, seed, max_tokens).
  std::string request_body(const std::vector<ChatMessage>& messages) const;

  // Replaces the sleep between retries (tests); the argument is in seconds.
  void set_sleep(std::function<void(double)> sleep);

  const ChatClientConfig& config() const { return cfg_; }

 private:
  struct Impl;
  ChatClientConfig cfg_;
  std::string key_;
  std::function<void(double)> sleep_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nas::llm
