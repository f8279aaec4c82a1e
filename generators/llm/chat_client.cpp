#include "generators/llm/chat_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "libnas/util/json.h"

namespace nas::llm {

namespace {

// The longest server error message an error line quotes.
constexpr size_t kMaxQuoted = 200;

std::once_flag curl_init_once;

void init_curl() {
  std::call_once(curl_init_once, [] {
    const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
      fail_runtime("llm: libcurl could not be initialised: {}", curl_easy_strerror(rc));
  });
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char a = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// What makes `url` unusable as a base URL, "" when nothing does: it needs an http or https
// scheme, a host (a port, when given, in 1..65535) and no spaces, and cannot end in a query or
// fragment (the request path is appended to it).
std::string url_problem(const std::string& url) {
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return "it has spaces or control characters";
  }
  size_t scheme = 0;
  if (starts_with_nocase(url, "http://"))
    scheme = 7;
  else if (starts_with_nocase(url, "https://"))
    scheme = 8;
  else
    return "the scheme must be http:// or https://";
  const std::string rest = url.substr(scheme);
  if (rest.find_first_of("?#") != std::string::npos)
    return "a query or fragment cannot be followed by /chat/completions";
  std::string authority = rest.substr(0, rest.find('/'));
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  std::string host, port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {  // an IPv6 literal, [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string::npos) return "an IPv6 host needs its closing ']'";
    host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return "unexpected text after the IPv6 host";
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    has_port = colon != std::string::npos;
    if (has_port) port = authority.substr(colon + 1);
  }
  if (host.empty()) return "no host";
  if (has_port) {
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      return "the port must be a number in 1..65535";
  }
  return "";
}

// `text` with control characters escaped (\n, \x01), for quoting a config value on one line.
std::string printable(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\n') out += "\\n";
    else if (ch == '\r') out += "\\r";
    else if (ch == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += ch;
  }
  return out;
}

// The endpoint as messages show it: without a user or password it may carry.
std::string shown_endpoint(const std::string& endpoint) {
  const size_t scheme = endpoint.find("://");
  if (scheme == std::string::npos) return endpoint;
  const size_t start = scheme + 3;
  const size_t end = std::min(endpoint.find('/', start), endpoint.size());
  const size_t at = endpoint.rfind('@', end - 1);
  if (at == std::string::npos || at < start) return endpoint;
  return endpoint.substr(0, start) + endpoint.substr(at + 1);
}

// `text` on one line: control characters as spaces, runs of spaces as one, at most kMaxQuoted
// bytes (not cutting a UTF-8 sequence) with "..." when cut.
std::string one_line(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const char put = c < 0x20 || c == 0x7f ? ' ' : ch;
    if (put == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += put;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kMaxQuoted) {
    size_t cut = kMaxQuoted;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

// The error message an error body carries, on one line ("" when it has none): OpenAI's
// {"error": {"message": ...}}, {"error": "..."}, vLLM's {"message": ...} or {"detail": ...}.
std::string server_message(const std::string& body) {
  try {
    const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return "";
    const auto error = j.find("error");
    if (error != j.end()) {
      if (error->is_string()) return one_line(error->get<std::string>());
      if (error->is_object()) {
        const auto message = error->find("message");
        if (message != error->end() && message->is_string())
          return one_line(message->get<std::string>());
      }
    }
    for (const char* key : {"message", "detail"}) {
      const auto it = j.find(key);
      if (it != j.end() && it->is_string()) return one_line(it->get<std::string>());
    }
  } catch (const std::exception&) {
  }
  return "";
}

// A token count of `usage`: 0 when absent or not a non-negative number.
int64_t token_count(const Json& usage, const char* key) {
  const auto it = usage.find(key);
  if (it == usage.end()) return 0;
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  if (it->is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), kMax));
  if (it->is_number_integer()) return std::max<int64_t>(it->get<int64_t>(), 0);
  if (it->is_number_float()) {
    const double v = it->get<double>();
    return std::isfinite(v) && v > 0 ? static_cast<int64_t>(std::min(v, 9e18)) : 0;
  }
  return 0;
}

// Reads a 2xx body into `reply` (content, finish_reason, usage). Returns what is wrong with the
// body, "" when it is a chat completion.
std::string read_completion(const std::string& body, ChatReply& reply) {
  try {
    const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return "the body is not JSON";
    if (!j.is_object()) return "the body is not a JSON object";
    const auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array()) {
      const std::string said = server_message(body);
      return said.empty() ? "no choices" : "no choices: " + said;
    }
    if (choices->empty()) return "empty choices";
    const Json& choice = choices->front();
    if (!choice.is_object()) return "choices[0] is not an object";
    const auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) return "no choices[0].message";
    const auto content = message->find("content");
    if (content == message->end() || !content->is_string())
      return "choices[0].message.content is not a string";
    reply.content = content->get<std::string>();
    const auto finish = choice.find("finish_reason");
    reply.finish_reason =
        finish != choice.end() && finish->is_string() ? finish->get<std::string>() : "";
    const auto usage = j.find("usage");
    if (usage != j.end() && usage->is_object()) {
      reply.usage.prompt_tokens = token_count(*usage, "prompt_tokens");
      reply.usage.completion_tokens = token_count(*usage, "completion_tokens");
    }
    return "";
  } catch (const std::exception& e) {
    return std::string("unreadable JSON (") + e.what() + ")";
  }
}

// Seconds a Retry-After value asks for: a number of seconds or an HTTP date; < 0 when unreadable.
double parse_retry_after(std::string_view value) {
  const std::string v(trim(value));
  if (v.empty()) return -1;
  if (std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    char* end = nullptr;
    const double s = std::strtod(v.c_str(), &end);
    return end == v.c_str() + v.size() && std::isfinite(s) ? s : -1;
  }
  const time_t when = curl_getdate(v.c_str(), nullptr);
  if (when == -1) return -1;
  return std::max(0.0, std::difftime(when, std::time(nullptr)));
}

// Milliseconds for a curl timeout: at least 1 (0 would mean none), at most about 31 years.
long timeout_ms(double seconds) {
  return static_cast<long>(std::clamp(std::ceil(seconds * 1000.0), 1.0, 1e12));
}

// One HTTP request and what came back.
struct Attempt {
  int64_t max_bytes = 0;
  std::string body;
  bool too_big = false;     // the body passed max_bytes and was cut off
  double retry_after = -1;  // seconds, < 0 when the reply has no readable Retry-After
  CURLcode code = CURLE_OK;
  std::string error;  // curl's description when code is not CURLE_OK
  long status = 0;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* a = static_cast<Attempt*>(user);
  const size_t n = size * count;
  if (a->body.size() + n > static_cast<size_t>(a->max_bytes)) {
    a->too_big = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  try {
    a->body.append(data, n);
  } catch (const std::exception&) {
    return 0;
  }
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* a = static_cast<Attempt*>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  try {
    if (line.substr(0, 5) == "HTTP/")
      a->retry_after = -1;  // the next response (after a 1xx)
    else if (starts_with_nocase(line, "retry-after:"))
      a->retry_after = parse_retry_after(line.substr(12));
  } catch (const std::exception&) {
    a->retry_after = -1;
  }
  return n;
}

template <class T>
void set_option(CURL* h, CURLoption option, T value) {
  const CURLcode rc = curl_easy_setopt(h, option, value);
  if (rc != CURLE_OK) fail_runtime("llm: libcurl refused an option: {}", curl_easy_strerror(rc));
}

// A curl header list, freed on scope exit.
struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) fail_runtime("llm: out of memory building the request headers");
    list = next;
  }
};

void sleep_seconds(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

void ChatClientConfig::validate(const std::string& where) const {
  const std::string problem = endpoint.empty() ? "" : url_problem(endpoint);
  NAS_CHECK(!endpoint.empty() && problem.empty(),
            "config key {}.endpoint: expected an http(s) URL such as http://localhost:8080/v1, "
            "found '{}'{}",
            where, printable(endpoint), problem.empty() ? "" : " (" + problem + ")");
  NAS_CHECK(!model.empty(), "config key {}.model: expected a model name, found ''", where);
  NAS_CHECK(temperature >= 0 && temperature <= 2,
            "config key {}.temperature: expected a value in [0, 2], found {}", where, temperature);
  auto positive = [&](double v, const char* key) {
    NAS_CHECK(std::isfinite(v) && v > 0,
              "config key {}.{}: expected a positive number of seconds, found {}", where, key, v);
  };
  positive(connect_timeout, "connect_timeout");
  positive(timeout, "timeout");
  positive(backoff, "backoff");
  positive(backoff_max, "backoff_max");
  NAS_CHECK(retries >= 0, "config key {}.retries: expected at least 0, found {}", where, retries);
  NAS_CHECK(max_reply_bytes >= 1024,
            "config key {}.max_reply_bytes: expected at least 1024, found {}", where,
            max_reply_bytes);
  NAS_CHECK(max_completion_tokens >= 0,
            "config key {}.max_completion_tokens: expected at least 0 (0: the server's default), "
            "found {}",
            where, max_completion_tokens);
}

// Idle curl handles, each keeping its connections open for the next call. A call takes one for
// all its attempts, so calls from several threads do not share a handle (libcurl does not allow
// that) while sequential calls reuse a connection.
struct ChatClient::Impl {
  std::mutex mutex;  // guards idle and rng
  std::vector<CURL*> idle;
  std::mt19937_64 rng{std::random_device{}()};

  ~Impl() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }
  CURL* take() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) fail_runtime("llm: libcurl could not create a handle");
    return h;
  }
  void give(CURL* h) {
    std::lock_guard<std::mutex> lock(mutex);
    try {
      idle.push_back(h);
    } catch (const std::exception&) {
      curl_easy_cleanup(h);
    }
  }
  // Uniform in [0, cap]: full jitter.
  double jitter(double cap) {
    std::lock_guard<std::mutex> lock(mutex);
    return std::uniform_real_distribution<double>(0.0, cap)(rng);
  }
};

ChatClient::ChatClient(ChatClientConfig cfg) : cfg_(std::move(cfg)) {
  cfg_.validate("llm");
  if (!cfg_.api_key_env.empty()) {
    const char* key = std::getenv(cfg_.api_key_env.c_str());
    if (!key || !*key)
      fail("llm: the API key variable {} is not set (set it, or set llm.api_key_env to \"\" for "
           "a server without keys)",
           cfg_.api_key_env);
    key_ = key;
  }
  init_curl();
  sleep_ = sleep_seconds;
  impl_ = std::make_unique<Impl>();
}

ChatClient::~ChatClient() = default;

void ChatClient::set_sleep(std::function<void(double)> sleep) {
  sleep_ = sleep ? std::move(sleep) : sleep_seconds;
}

std::string ChatClient::request_body(const std::vector<ChatMessage>& messages) const {
  OrderedJson body;
  body["model"] = cfg_.model;
  OrderedJson list = OrderedJson::array();
  for (const auto& m : messages) {
    OrderedJson message;
    message["role"] = m.role;
    message["content"] = m.content;
    list.push_back(std::move(message));
  }
  body["messages"] = std::move(list);
  body["temperature"] = cfg_.temperature;
  if (cfg_.seed >= 0) body["seed"] = cfg_.seed;
  if (cfg_.max_completion_tokens > 0) body["max_tokens"] = cfg_.max_completion_tokens;
  // Text that is not UTF-8 is sent with U+FFFD in its place rather than failing the call.
  return body.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

ChatReply ChatClient::complete(const std::vector<ChatMessage>& messages) {
  const auto start = std::chrono::steady_clock::now();
  const std::string body = request_body(messages);
  std::string url = cfg_.endpoint;
  if (!url.empty() && url.back() == '/') url.pop_back();
  url += "/chat/completions";

  HeaderList headers;
  headers.add("Content-Type: application/json");
  headers.add("Expect:");  // no 100-continue round trip for long prompts
  if (!key_.empty()) headers.add("Authorization: Bearer " + key_);

  // The handle goes back to the pool reset: it must not keep pointers into this call's frame.
  struct Lease {
    Impl& impl;
    CURL* h;
    ~Lease() {
      curl_easy_reset(h);
      impl.give(h);
    }
  } lease{*impl_, impl_->take()};
  CURL* h = lease.h;

  // Messages quote the endpoint and the server's words, never the key (a server may echo it).
  const std::string shown = shown_endpoint(cfg_.endpoint);
  auto redacted = [&](std::string text) {
    replace_all(text, key_, "***");
    return text;
  };

  const int64_t attempts = cfg_.retries + 1;
  std::string reason;
  for (int64_t k = 0; k < attempts; ++k) {
    Attempt a;
    a.max_bytes = cfg_.max_reply_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_reset(h);  // keeps the open connections
    set_option(h, CURLOPT_URL, url.c_str());
    set_option(h, CURLOPT_PROTOCOLS_STR, "http,https");
    set_option(h, CURLOPT_POST, 1L);
    set_option(h, CURLOPT_POSTFIELDS, body.data());
    set_option(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    set_option(h, CURLOPT_HTTPHEADER, headers.list);
    set_option(h, CURLOPT_USERAGENT, "nasgen");
    set_option(h, CURLOPT_NOSIGNAL, 1L);
    set_option(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms(cfg_.connect_timeout));
    set_option(h, CURLOPT_TIMEOUT_MS, timeout_ms(cfg_.timeout));
    set_option(h, CURLOPT_WRITEFUNCTION, &on_body);
    set_option(h, CURLOPT_WRITEDATA, static_cast<void*>(&a));
    set_option(h, CURLOPT_HEADERFUNCTION, &on_header);
    set_option(h, CURLOPT_HEADERDATA, static_cast<void*>(&a));
    set_option(h, CURLOPT_ERRORBUFFER, error_buffer);
    a.code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
    a.error = error_buffer[0] ? error_buffer : curl_easy_strerror(a.code);

    if (a.too_big) {
      reason = fmt::format("reply larger than {} bytes", cfg_.max_reply_bytes);
    } else if (a.code != CURLE_OK) {
      reason = one_line(a.error);  // timeouts, refused or cut connections: all retried
    } else if (a.status == 429 || (a.status >= 500 && a.status <= 599)) {
      const std::string said = server_message(a.body);
      reason = fmt::format("HTTP {}{}", a.status, said.empty() ? "" : ": " + said);
    } else if (a.status < 200 || a.status > 299) {
      const std::string said = server_message(a.body);
      fail_runtime("llm: {} failed: HTTP {}{} (not retried)", shown, a.status,
                   redacted(said.empty() ? "" : ": " + said));
    } else {
      ChatReply reply;
      const std::string wrong = read_completion(a.body, reply);
      if (wrong.empty()) {
        reply.attempts = static_cast<int>(k + 1);
        reply.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return reply;
      }
      reason = "malformed reply: " + wrong;
    }

    if (k + 1 < attempts) {
      // Full jitter: uniform in [0, min(backoff_max, backoff * 2^k)], unless the server said.
      const int doublings = static_cast<int>(std::min<int64_t>(k, 1000));
      const double cap = std::min(cfg_.backoff_max, std::ldexp(cfg_.backoff, doublings));
      sleep_(a.retry_after >= 0 ? std::min(a.retry_after, cfg_.backoff_max) : impl_->jitter(cap));
    }
  }
  fail_runtime("llm: {} failed after {} attempt{}: {}", shown, attempts, attempts == 1 ? "" : "s",
               redacted(reason));
}

}  // namespace nas::llm
