// The chat client against a scripted endpoint: the request it sends, the reply it reads, every
// transient failure retried (429 with Retry-After, 5xx, malformed or empty replies, timeouts, cut
// connections, oversized bodies) and the ones that are not, backoff with full jitter, and config
// errors that never show the API key. Waits are recorded instead of slept.
#include "generators/llm/chat_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <thread>

#include "libnas/util/error.h"
#include "libnas/util/json.h"
#include "test/generators/llm/scripted_endpoint.h"
#include "test_util.h"

namespace nas::llm {
namespace {

using test::ScriptedEndpoint;

const std::vector<ChatMessage> kMessages = {{"system", "You are an expert."},
                                            {"user", "Propose an architecture."}};

// Small timeouts and backoff, no key: every test stays well under a few seconds.
ChatClientConfig config_for(const ScriptedEndpoint& server) {
  ChatClientConfig c;
  c.endpoint = server.url();
  c.model = "test-model";
  c.temperature = 0.5;
  c.seed = 7;
  c.api_key_env = "";
  c.connect_timeout = 1.0;
  c.timeout = 2.0;
  c.retries = 3;
  c.backoff = 0.5;
  c.backoff_max = 4.0;
  return c;
}

// A client whose waits between retries are recorded in `waits`, not slept.
std::unique_ptr<ChatClient> recording_client(const ChatClientConfig& cfg,
                                             std::vector<double>& waits) {
  auto client = std::make_unique<ChatClient>(cfg);
  client->set_sleep([&waits](double s) { waits.push_back(s); });
  return client;
}

// The error `f` throws (fails the test when it throws none).
template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a nas::Error";
  return Error("no error");
}

// A port on 127.0.0.1 with nothing listening (bound, then closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

using test::ScopedEnv;

ChatClientConfig valid_config() {
  ChatClientConfig c;
  c.endpoint = "http://localhost:8080/v1";
  c.api_key_env = "";
  return c;
}

TEST(ChatClientConfig, AcceptsHttpAndHttpsEndpoints) {
  for (const char* url :
       {"http://localhost:8080/v1", "https://api.openai.com/v1", "http://10.0.0.2/v1/",
        "HTTPS://example.org", "http://[::1]:8000/v1", "http://user@host:1/v1"}) {
    ChatClientConfig c = valid_config();
    c.endpoint = url;
    EXPECT_NO_THROW(c.validate("llm")) << url;
  }
}

TEST(ChatClientConfig, RejectsMalformedEndpoints) {
  for (const char* url : {"", "ftp://x", "http://", "https:///v1", "localhost:8080/v1",
                          "http://host name/v1", "http://host/v1\n", "http://host:99999/v1",
                          "http://host:/v1", "http://host/v1?key=1", "http://[::1/v1"}) {
    ChatClientConfig c = valid_config();
    c.endpoint = url;
    const Error e = error_of([&] { c.validate("llm"); });
    EXPECT_EQ(e.kind(), ErrorKind::Input) << url;
    const std::string what = e.what();
    EXPECT_NE(what.find("config key llm.endpoint: expected an http(s) URL such as "
                        "http://localhost:8080/v1, found '"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;  // one line, the newline escaped
  }
  ChatClientConfig c = valid_config();
  c.endpoint = "ftp://x";
  EXPECT_STREQ(error_of([&] { c.validate("llm"); }).what(),
               "config key llm.endpoint: expected an http(s) URL such as http://localhost:8080/v1, "
               "found 'ftp://x' (the scheme must be http:// or https://)");
}

TEST(ChatClientConfig, RejectsBadNumbers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* key;
    void (*set)(ChatClientConfig&, double);
    double value;
  };
  const std::vector<Case> cases = {
      {"connect_timeout", [](ChatClientConfig& c, double v) { c.connect_timeout = v; }, 0},
      {"timeout", [](ChatClientConfig& c, double v) { c.timeout = v; }, -1},
      {"timeout", [](ChatClientConfig& c, double v) { c.timeout = v; }, inf},
      {"backoff", [](ChatClientConfig& c, double v) { c.backoff = v; }, nan},
      {"backoff_max", [](ChatClientConfig& c, double v) { c.backoff_max = v; }, 0},
      {"retries", [](ChatClientConfig& c, double v) { c.retries = static_cast<int64_t>(v); }, -1},
      {"max_reply_bytes",
       [](ChatClientConfig& c, double v) { c.max_reply_bytes = static_cast<int64_t>(v); }, 1023},
      {"temperature", [](ChatClientConfig& c, double v) { c.temperature = v; }, 2.5},
      {"temperature", [](ChatClientConfig& c, double v) { c.temperature = v; }, -0.1},
      {"temperature", [](ChatClientConfig& c, double v) { c.temperature = v; }, nan},
      {"max_completion_tokens",
       [](ChatClientConfig& c, double v) { c.max_completion_tokens = static_cast<int64_t>(v); },
       -5},
  };
  for (const auto& k : cases) {
    ChatClientConfig c = valid_config();
    k.set(c, k.value);
    const Error e = error_of([&] { c.validate("llm"); });
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("config key llm." + std::string(k.key) + ":", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(ChatClientConfig, ConstructorValidates) {
  ChatClientConfig c = valid_config();
  c.endpoint = "http://";
  const Error e = error_of([&] { ChatClient client(c); });
  EXPECT_EQ(e.kind(), ErrorKind::Input);
  EXPECT_NE(std::string(e.what()).find("llm.endpoint"), std::string::npos);
}

TEST(ChatClientConfig, UnsetKeyVariableIsInputError) {
  ChatClientConfig c = valid_config();
  c.api_key_env = "NASGEN_TEST_UNSET_KEY";
  for (const char* value : {static_cast<const char*>(nullptr), ""}) {
    ScopedEnv env("NASGEN_TEST_UNSET_KEY", value);
    const Error e = error_of([&] { ChatClient client(c); });
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    EXPECT_EQ(std::string(e.what()),
              "llm: the API key variable NASGEN_TEST_UNSET_KEY is not set (set it, or set "
              "llm.api_key_env to \"\" for a server without keys)");
  }
}

TEST(ChatClientConfig, ConfigErrorsNeverShowTheKey) {
  ScopedEnv env("NASGEN_TEST_KEY", "sk-secret-config-value");
  ChatClientConfig c = valid_config();
  c.api_key_env = "NASGEN_TEST_KEY";
  for (const char* url : {"", "ftp://x", "http://"}) {
    c.endpoint = url;
    const Error e = error_of([&] { ChatClient client(c); });
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    EXPECT_EQ(std::string(e.what()).find("sk-secret"), std::string::npos) << e.what();
  }
}

TEST(ChatClientRequest, BodyHasModelMessagesTemperatureAndSeed) {
  ChatClientConfig c = valid_config();
  c.model = "m1";
  c.temperature = 0.25;
  c.seed = 42;
  const Json body = Json::parse(ChatClient(c).request_body(kMessages));
  EXPECT_EQ(body["model"], "m1");
  EXPECT_EQ(body["temperature"].get<double>(), 0.25);
  EXPECT_EQ(body["seed"].get<int64_t>(), 42);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "Propose an architecture.");
  EXPECT_FALSE(body.contains("max_tokens"));

  c.seed = -1;
  c.max_completion_tokens = 64;
  const Json other = Json::parse(ChatClient(c).request_body(kMessages));
  EXPECT_FALSE(other.contains("seed"));
  EXPECT_EQ(other["max_tokens"].get<int64_t>(), 64);
}

TEST(ChatClientRequest, InvalidUtf8IsReplacedNotFatal) {
  ChatClient client(valid_config());
  const Json body = Json::parse(client.request_body({{"user", "bad \xff byte"}}));
  EXPECT_EQ(body["messages"][0]["content"], "bad \xEF\xBF\xBD byte");
}

TEST(ChatClient, WellFormedReply) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("[1, 2, 0]", 120, 9)});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "[1, 2, 0]");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt_tokens, 120);
  EXPECT_EQ(r.usage.completion_tokens, 9);
  EXPECT_EQ(r.usage.total(), 129);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_TRUE(waits.empty());

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_FALSE(requests[0].has_header("authorization"));
  EXPECT_EQ(requests[0].body, client->request_body(kMessages));
  const Json body = Json::parse(requests[0].body);
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_EQ(body["temperature"].get<double>(), 0.5);
  EXPECT_EQ(body["seed"].get<int64_t>(), 7);
  EXPECT_EQ(body["messages"][0]["content"], "You are an expert.");
}

TEST(ChatClient, SendsTheKeyAsBearerToken) {
  ScopedEnv env("NASGEN_TEST_KEY", "sk-test-123");
  ScriptedEndpoint server({ScriptedEndpoint::reply("ok")});
  ChatClientConfig cfg = config_for(server);
  cfg.api_key_env = "NASGEN_TEST_KEY";
  ChatClient client(cfg);
  EXPECT_EQ(client.complete(kMessages).content, "ok");
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].header("authorization"), "Bearer sk-test-123");
}

TEST(ChatClient, ReplyWithoutUsageOrFinishReason) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("hello", -1, -1, "")});
  ChatClient client(config_for(server));
  const ChatReply r = client.complete(kMessages);
  EXPECT_EQ(r.content, "hello");
  EXPECT_EQ(r.finish_reason, "");
  EXPECT_EQ(r.usage.prompt_tokens, 0);
  EXPECT_EQ(r.usage.completion_tokens, 0);
}

TEST(ChatClient, EndpointWithTrailingSlash) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("ok")});
  ChatClientConfig cfg = config_for(server);
  cfg.endpoint += "/";
  ChatClient client(cfg);
  EXPECT_EQ(client.complete(kMessages).content, "ok");
  EXPECT_EQ(server.requests()[0].path, "/v1/chat/completions");
}

TEST(ChatClient, SequentialCallsReuseTheClient) {
  ScriptedEndpoint server(
      {ScriptedEndpoint::reply("a"), ScriptedEndpoint::reply("b"), ScriptedEndpoint::reply("c")});
  ChatClient client(config_for(server));
  EXPECT_EQ(client.complete(kMessages).content, "a");
  EXPECT_EQ(client.complete(kMessages).content, "b");
  EXPECT_EQ(client.complete(kMessages).content, "c");
}

TEST(ChatClient, ConcurrentCallsEachGetAReply) {
  ScriptedEndpoint server;
  for (int i = 0; i < 8; ++i) server.add(ScriptedEndpoint::reply("ok"));
  ChatClient client(config_for(server));
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      got[i] = client.complete({{"user", std::to_string(i)}}).content;
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "ok");
  EXPECT_EQ(server.request_count(), 8u);
}

TEST(ChatClientRetry, TooManyRequestsWaitsRetryAfter) {
  ScriptedEndpoint server({ScriptedEndpoint::too_many(1), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(waits, std::vector<double>({1.0}));
}

TEST(ChatClientRetry, RetryAfterCappedAtBackoffMax) {
  ScriptedEndpoint server({ScriptedEndpoint::too_many(100), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  EXPECT_EQ(client->complete(kMessages).attempts, 2);
  EXPECT_EQ(waits, std::vector<double>({4.0}));
}

TEST(ChatClientRetry, RetryAfterAsHttpDate) {
  auto http_date = [](std::time_t t) {
    char buf[64];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf);
  };
  const std::time_t now = std::time(nullptr);
  ScriptedEndpoint server(
      {ScriptedEndpoint::status(503).with_header("Retry-After", http_date(now + 3)),
       ScriptedEndpoint::status(503).with_header("Retry-After", http_date(now - 60)),
       ScriptedEndpoint::reply("ok")});
  ChatClientConfig cfg = config_for(server);
  cfg.backoff_max = 60;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  EXPECT_EQ(client->complete(kMessages).attempts, 3);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_GE(waits[0], 1.0);  // 3 s ahead, give or take the clock's second
  EXPECT_LE(waits[0], 4.0);
  EXPECT_EQ(waits[1], 0.0);  // a date in the past: no wait
}

TEST(ChatClientRetry, ServerErrorThenSuccess) {
  ScriptedEndpoint server({ScriptedEndpoint::status(500), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_GE(waits[0], 0.0);
  EXPECT_LE(waits[0], 0.5);  // backoff * 2^0
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(ChatClientRetry, MalformedJsonThenSuccess) {
  ScriptedEndpoint server(
      {ScriptedEndpoint::raw(200, "{\"choices\": [{\"message\": "), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
}

TEST(ChatClientRetry, EmptyChoicesThenSuccess) {
  ScriptedEndpoint server(
      {ScriptedEndpoint::raw(200, R"({"choices": []})"), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
}

TEST(ChatClientRetry, OddBodiesNeverCrash) {
  const std::vector<std::string> bodies = {
      "",
      "null",
      "[]",
      "\"text\"",
      "42",
      R"({"choices": {}})",
      R"({"choices": [1]})",
      R"({"choices": [{}]})",
      R"({"choices": [{"message": null}]})",
      R"({"choices": [{"message": {"content": null}}]})",
      R"({"choices": [{"message": {"content": 5}}]})",
      R"({"error": {"message": "overloaded"}})",
      "\xff\xfe not utf-8",
      std::string(200000, '[') + std::string(200000, ']'),
  };
  ScriptedEndpoint server;
  for (const auto& b : bodies) server.add(ScriptedEndpoint::raw(200, b));
  // Odd types where the reader is lenient: usage and finish_reason of the wrong types read as
  // absent, negative or fractional counts clamp.
  server.add(ScriptedEndpoint::raw(
      200, R"({"choices": [{"message": {"content": "ok"}, "finish_reason": 3}],
               "usage": {"prompt_tokens": -4, "completion_tokens": 2.9}})"));
  ChatClientConfig cfg = config_for(server);
  cfg.retries = static_cast<int64_t>(bodies.size());
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.finish_reason, "");
  EXPECT_EQ(r.usage.prompt_tokens, 0);
  EXPECT_EQ(r.usage.completion_tokens, 2);
  EXPECT_EQ(r.attempts, static_cast<int>(bodies.size()) + 1);
}

TEST(ChatClientRetry, SlowReplyPastTimeoutThenSuccess) {
  ScriptedEndpoint server({ScriptedEndpoint::slow(2.0), ScriptedEndpoint::reply("ok")});
  ChatClientConfig cfg = config_for(server);
  cfg.timeout = 0.5;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const auto start = std::chrono::steady_clock::now();
  const ChatReply r = client->complete(kMessages);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GE(took, 0.4);
  EXPECT_LT(took, 1.5);
}

TEST(ChatClientRetry, CutConnectionThenSuccess) {
  ScriptedEndpoint server({ScriptedEndpoint::cut(), ScriptedEndpoint::reply("ok")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
}

TEST(ChatClientRetry, OversizedReplyThenSuccess) {
  ScriptedEndpoint server({ScriptedEndpoint::huge(5 << 20), ScriptedEndpoint::reply("ok")});
  ChatClientConfig cfg = config_for(server);
  cfg.max_reply_bytes = 64 << 10;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const ChatReply r = client->complete(kMessages);
  EXPECT_EQ(r.content, "ok");
  EXPECT_EQ(r.attempts, 2);
}

TEST(ChatClientRetry, ErrorsNameTheFailure) {
  const std::vector<std::pair<ScriptedEndpoint::Entry, std::string>> cases = {
      {ScriptedEndpoint::too_many(1), "HTTP 429: rate limited"},
      {ScriptedEndpoint::status(502, "bad gateway"), "HTTP 502: bad gateway"},
      {ScriptedEndpoint::raw(200, "{bad"), "malformed reply: the body is not JSON"},
      {ScriptedEndpoint::raw(200, R"({"choices": []})"), "malformed reply: empty choices"},
      {ScriptedEndpoint::raw(200, R"({"error": {"message": "overloaded"}})"),
       "malformed reply: no choices: overloaded"},
      {ScriptedEndpoint::slow(2.0), "timed out"},
      {ScriptedEndpoint::cut(), "transfer closed"},
      {ScriptedEndpoint::huge(100000), "reply larger than 65536 bytes"},
  };
  for (const auto& [entry, reason] : cases) {
    ScriptedEndpoint server({entry});
    ChatClientConfig cfg = config_for(server);
    cfg.retries = 0;
    cfg.timeout = 0.3;
    cfg.max_reply_bytes = 64 << 10;
    ChatClient client(cfg);
    const Error e = error_of([&] { client.complete(kMessages); });
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("llm: " + server.url() + " failed after 1 attempt: ", 0), 0u) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << what;
  }
}

TEST(ChatClientRetry, OversizedReplyEveryTimeNamesTheLimit) {
  ScriptedEndpoint server({ScriptedEndpoint::huge(100000), ScriptedEndpoint::huge(100000)});
  ChatClientConfig cfg = config_for(server);
  cfg.max_reply_bytes = 64 << 10;
  cfg.retries = 1;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const Error e = error_of([&] { client->complete(kMessages); });
  EXPECT_EQ(e.kind(), ErrorKind::Runtime);
  EXPECT_NE(std::string(e.what()).find("reply larger than 65536 bytes"), std::string::npos)
      << e.what();
}

TEST(ChatClientRetry, ClientErrorFailsAtOnce) {
  ScriptedEndpoint server({ScriptedEndpoint::status(400, "Unknown model\n'test-model'"),
                           ScriptedEndpoint::reply("never sent")});
  std::vector<double> waits;
  auto client = recording_client(config_for(server), waits);
  const Error e = error_of([&] { client->complete(kMessages); });
  EXPECT_EQ(e.kind(), ErrorKind::Runtime);
  const std::string what = e.what();
  EXPECT_NE(what.find("HTTP 400: Unknown model 'test-model'"), std::string::npos) << what;
  EXPECT_NE(what.find(server.url()), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_TRUE(waits.empty());
}

TEST(ChatClientRetry, LongServerMessageIsCut) {
  ScriptedEndpoint server({ScriptedEndpoint::status(403, std::string(1000, 'm'))});
  ChatClient client(config_for(server));
  const std::string what = error_of([&] { client.complete(kMessages); }).what();
  EXPECT_NE(what.find("HTTP 403: mmm"), std::string::npos) << what;
  EXPECT_NE(what.find("m..."), std::string::npos) << what;
  EXPECT_LT(what.size(), 400u);
}

TEST(ChatClientRetry, ServerEchoOfTheKeyIsHidden) {
  ScopedEnv env("NASGEN_TEST_KEY", "sk-echoed-secret");
  ScriptedEndpoint server(
      {ScriptedEndpoint::status(401, "Incorrect API key provided: sk-echoed-secret")});
  ChatClientConfig cfg = config_for(server);
  cfg.api_key_env = "NASGEN_TEST_KEY";
  ChatClient client(cfg);
  const Error e = error_of([&] { client.complete(kMessages); });
  EXPECT_EQ(e.kind(), ErrorKind::Runtime);
  const std::string what = e.what();
  EXPECT_NE(what.find("HTTP 401: Incorrect API key provided: ***"), std::string::npos) << what;
  EXPECT_EQ(what.find("sk-echoed"), std::string::npos) << what;
}

TEST(ChatClientRetry, EndpointStaysDown) {
  ScriptedEndpoint server;  // no script: every request gets a 500 saying it is used up
  ChatClientConfig cfg = config_for(server);
  cfg.retries = 2;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const Error e = error_of([&] { client->complete(kMessages); });
  EXPECT_EQ(e.kind(), ErrorKind::Runtime);
  const std::string what = e.what();
  EXPECT_EQ(what.rfind("llm: " + server.url() + " failed after 3 attempts: HTTP 500: ", 0), 0u)
      << what;
  EXPECT_NE(what.find("used up"), std::string::npos) << what;
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(waits.size(), 2u);
}

TEST(ChatClientRetry, NothingListening) {
  ChatClientConfig cfg = valid_config();
  cfg.endpoint = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
  cfg.retries = 2;
  cfg.connect_timeout = 1.0;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const Error e = error_of([&] { client->complete(kMessages); });
  EXPECT_EQ(e.kind(), ErrorKind::Runtime);
  EXPECT_EQ(std::string(e.what()).rfind("llm: " + cfg.endpoint + " failed after 3 attempts: ", 0),
            0u)
      << e.what();
  EXPECT_EQ(waits.size(), 2u);
}

TEST(ChatClientBackoff, WaitsGrowWithFullJitter) {
  ScriptedEndpoint server;
  for (int i = 0; i < 5; ++i) server.add(ScriptedEndpoint::status(500));
  ChatClientConfig cfg = config_for(server);
  cfg.backoff = 1;
  cfg.backoff_max = 4;
  cfg.retries = 4;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  const Error e = error_of([&] { client->complete(kMessages); });
  EXPECT_NE(std::string(e.what()).find("failed after 5 attempts"), std::string::npos);
  ASSERT_EQ(waits.size(), 4u);
  for (size_t k = 0; k < waits.size(); ++k) {
    EXPECT_GE(waits[k], 0.0) << k;
    EXPECT_LE(waits[k], std::min(4.0, std::ldexp(1.0, static_cast<int>(k)))) << k;
  }
}

TEST(ChatClientBackoff, JitterSpreadsWaits) {
  ScriptedEndpoint server;  // all 500
  ChatClientConfig cfg = config_for(server);
  cfg.backoff = 1;
  cfg.backoff_max = 1000;
  cfg.retries = 12;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  error_of([&] { client->complete(kMessages); });
  ASSERT_EQ(waits.size(), 12u);
  // Waits k >= 3 are uniform on [0, 2^k]: all of them below 1 has odds under 1e-9.
  EXPECT_GT(*std::max_element(waits.begin() + 3, waits.end()), 1.0);
  EXPECT_NE(waits[3], waits[4]);
}

TEST(ChatClientScriptedEndpoint, KeyedRepliesFollowTheRequest) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("first"), ScriptedEndpoint::reply("second")});
  server.set_keyed(true);
  ChatClient client(config_for(server));
  const std::vector<ChatMessage> a = {{"user", "a"}}, b = {{"user", "b"}};
  EXPECT_EQ(client.complete(a).content, "first");
  EXPECT_EQ(client.complete(b).content, "second");
  EXPECT_EQ(client.complete(a).content, "first");
  EXPECT_EQ(client.complete(a).content, "first");
  EXPECT_EQ(client.complete(b).content, "second");
  EXPECT_EQ(server.used(), 2u);
  EXPECT_EQ(server.count(client.request_body(a)), 3);
  EXPECT_EQ(server.count(client.request_body(b)), 2);
  EXPECT_EQ(server.body_counts().size(), 2u);
  // A third distinct body finds the script used up.
  const Error e = error_of([&] {
    ChatClientConfig cfg = config_for(server);
    cfg.retries = 0;
    ChatClient(cfg).complete({{"user", "c"}});
  });
  EXPECT_NE(std::string(e.what()).find("used up"), std::string::npos) << e.what();
}

TEST(ChatClientScriptedEndpoint, KeyedRetriesReplayTheFailure) {
  // In keyed mode an entry belongs to a body: a body whose entry failed fails again on retry.
  ScriptedEndpoint server({ScriptedEndpoint::status(500), ScriptedEndpoint::reply("never")});
  server.set_keyed(true);
  ChatClientConfig cfg = config_for(server);
  cfg.retries = 1;
  std::vector<double> waits;
  auto client = recording_client(cfg, waits);
  EXPECT_EQ(error_of([&] { client->complete(kMessages); }).kind(), ErrorKind::Runtime);
  EXPECT_EQ(server.count(client->request_body(kMessages)), 2);
  EXPECT_EQ(server.used(), 1u);
}

TEST(ChatClientScriptedEndpoint, UnknownPathIsNotFound) {
  ScriptedEndpoint server({ScriptedEndpoint::reply("unused")});
  ChatClientConfig cfg = config_for(server);
  cfg.endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/v2";
  ChatClient client(cfg);
  const std::string what = error_of([&] { client.complete(kMessages); }).what();
  EXPECT_NE(what.find("HTTP 404"), std::string::npos) << what;
  EXPECT_EQ(server.used(), 0u);
}

}  // namespace
}  // namespace nas::llm
