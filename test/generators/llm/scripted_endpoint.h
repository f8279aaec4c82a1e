// An OpenAI-compatible chat endpoint for tests: a small HTTP/1.1 server on 127.0.0.1 (an
// ephemeral port) that answers `POST /v1/chat/completions` from a script, one entry a request:
//
//   ScriptedEndpoint server({ScriptedEndpoint::status(500), ScriptedEndpoint::reply("[1, 2, 0]")});
//   ChatClientConfig cfg;
//   cfg.endpoint = server.url();  // http://127.0.0.1:PORT/v1
//
// Entries play in order; with set_keyed(true) a request body seen before gets the entry it got
// the first time instead (a resumed search that asks the same questions again gets the same
// answers), and only a new body takes the next entry. Once the script is used up every request
// gets a 500 saying so. Every request is recorded (method, path, headers, body), and each
// distinct body is counted.
//
// One thread accepts connections and one thread serves each connection (so a slow entry does
// not hold up the client's retry); every answer closes its connection. The destructor stops and
// joins them all: waits are sliced and give up when the server stops or the client hangs up.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "libnas/util/json.h"

namespace nas::test {

class ScriptedEndpoint {
 public:
  // What to do with one request.
  struct Entry {
    enum class Kind {
      Answer,  // send status, headers and body
      Slow,    // wait `delay` seconds first (giving up when the client hangs up)
      Cut,     // announce the whole body, send half of it and close the connection
    };
    Kind kind = Kind::Answer;
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
    double delay = 0;

    // This entry with one more response header.
    Entry with_header(const std::string& name, const std::string& value) const {
      Entry e = *this;
      e.headers.emplace_back(name, value);
      return e;
    }
  };

  // A chat completion with `content`; `usage` is sent when both counts are >= 0, finish_reason
  // when not empty.
  static Entry reply(const std::string& content, int64_t prompt_tokens = -1,
                     int64_t completion_tokens = -1, const std::string& finish_reason = "stop") {
    Json choice = {{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}};
    if (!finish_reason.empty()) choice["finish_reason"] = finish_reason;
    Json body = {{"id", "chatcmpl-scripted"},
                 {"object", "chat.completion"},
                 {"created", 0},
                 {"model", "scripted"},
                 {"choices", Json::array({choice})}};
    if (prompt_tokens >= 0 && completion_tokens >= 0)
      body["usage"] = {{"prompt_tokens", prompt_tokens},
                       {"completion_tokens", completion_tokens},
                       {"total_tokens", prompt_tokens + completion_tokens}};
    return raw(200, body.dump());
  }
  // Any status with any body (malformed JSON, empty choices, ...).
  static Entry raw(int status, const std::string& body) {
    Entry e;
    e.status = status;
    e.body = body;
    return e;
  }
  // An error status with an OpenAI-style error body.
  static Entry status(int status, const std::string& message = "scripted failure") {
    const Json body = {{"error", {{"message", message}, {"type", "scripted"}}}};
    return raw(status, body.dump());
  }
  // 429 with `Retry-After: retry_after`.
  static Entry too_many(int retry_after) {
    return status(429, "rate limited").with_header("Retry-After", std::to_string(retry_after));
  }
  // A reply with `content` after `seconds` (past a client's timeout, the client has gone).
  static Entry slow(double seconds, const std::string& content = "late") {
    Entry e = reply(content);
    e.kind = Entry::Kind::Slow;
    e.delay = seconds;
    return e;
  }
  // A reply whose connection closes halfway through its body.
  static Entry cut() {
    Entry e = reply("cut short");
    e.kind = Entry::Kind::Cut;
    return e;
  }
  // A well-formed reply of about `bytes` bytes (its content that many 'x').
  static Entry huge(int64_t bytes) { return reply(std::string(static_cast<size_t>(bytes), 'x')); }

  // One request as received; header names lower-case.
  struct Request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;
    std::string body;
    // The value of header `name` (lower-case), "" when absent.
    std::string header(const std::string& name) const {
      const auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
    bool has_header(const std::string& name) const { return headers.count(name) > 0; }
  };

  explicit ScriptedEndpoint(std::vector<Entry> script = {}) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      const std::string why = std::strerror(errno);
      ::close(listen_fd_);
      throw std::runtime_error("scripted endpoint: cannot listen on 127.0.0.1: " + why);
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ScriptedEndpoint() {
    stop_ = true;
    acceptor_.join();  // no new workers after this
    for (auto& w : workers_) w.join();
    ::close(listen_fd_);
  }

  ScriptedEndpoint(const ScriptedEndpoint&) = delete;
  ScriptedEndpoint& operator=(const ScriptedEndpoint&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int port() const { return port_; }

  // Appends an entry to the script.
  void add(Entry e) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(e));
  }
  // Keyed mode: entries follow request bodies, not arrival order (see the file comment).
  void set_keyed(bool keyed) {
    std::lock_guard<std::mutex> lock(mutex_);
    keyed_ = keyed;
  }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& r : requests_) out.push_back(r.body);
    return out;
  }
  size_t request_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }
  // How many times each distinct request body arrived.
  std::map<std::string, int64_t> body_counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
  }
  int64_t count(const std::string& body) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = counts_.find(body);
    return it == counts_.end() ? 0 : it->second;
  }
  // Script entries handed out so far.
  size_t used() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_;
  }

 private:
  // Slice of every wait, so that stopping is noticed quickly.
  static constexpr int kSliceMs = 20;
  static constexpr size_t kMaxHead = 64 * 1024;
  static constexpr size_t kMaxBody = 64 * 1024 * 1024;

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, kSliceMs) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      timeval send_slice{0, kSliceMs * 1000};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_slice, sizeof send_slice);
      workers_.emplace_back([this, fd] {
        serve(fd);
        ::close(fd);
      });
    }
  }

  // Waits up to `ms` for fd to be readable; false when the server stops first.
  bool readable(int fd, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, kSliceMs) > 0) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
    return false;
  }

  bool send_all(int fd, const char* data, size_t size) {
    while (size > 0 && !stop_) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return false;  // the client has gone (EPIPE, ECONNRESET)
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
    return size == 0;
  }
  bool send_all(int fd, const std::string& s) { return send_all(fd, s.data(), s.size()); }

  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
  }
  static std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t");
    const size_t b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
  }

  // Reads one request (head and Content-Length body); false when the client sends none.
  bool read_request(int fd, Request& req) {
    std::string data;
    char buf[16384];
    size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
      if (data.size() > kMaxHead || !readable(fd, 5000)) return false;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
      head_end = data.find("\r\n\r\n");
    }
    const std::string head = data.substr(0, head_end);
    std::string body = data.substr(head_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t sp1 = request_line.find(' ');
    const size_t sp2 = request_line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
    req.method = request_line.substr(0, sp1);
    req.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line =
          head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      if (colon != std::string::npos)
        req.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    size_t length = 0;
    if (req.has_header("content-length")) {
      try {
        length = std::stoul(req.header("content-length"));
      } catch (const std::exception&) {
        return false;
      }
      if (length > kMaxBody) return false;
    }
    if (lower(req.header("expect")) == "100-continue" && body.size() < length &&
        !send_all(fd, std::string("HTTP/1.1 100 Continue\r\n\r\n")))
      return false;
    while (body.size() < length) {
      if (!readable(fd, 5000)) return false;
      const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, length - body.size()), 0);
      if (n <= 0) return false;
      body.append(buf, static_cast<size_t>(n));
    }
    req.body = body.substr(0, length);
    return true;
  }

  // Records the request and picks what to do with it.
  Entry choose(const Request& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(req);
    ++counts_[req.body];
    if (req.method != "POST" || req.path != "/v1/chat/completions")
      return status(404, "scripted endpoint: no route for " + req.method + " " + req.path);
    if (keyed_) {
      const auto seen = entry_of_.find(req.body);
      if (seen != entry_of_.end()) return script_[seen->second];
    }
    if (next_ >= script_.size())
      return status(500, "scripted endpoint: the script's " + std::to_string(script_.size()) +
                             " entries are used up");
    if (keyed_) entry_of_[req.body] = next_;
    return script_[next_++];
  }

  static const char* reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      default: return "Scripted";
    }
  }

  void serve(int fd) {
    Request req;
    if (!read_request(fd, req)) return;
    const Entry e = choose(req);
    if (e.kind == Entry::Kind::Slow) {
      // The client has sent everything, so the socket turns readable only when it hangs up.
      if (readable(fd, static_cast<int>(e.delay * 1000)) || stop_) return;
    }
    std::string head =
        "HTTP/1.1 " + std::to_string(e.status) + " " + reason(e.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(e.body.size()) +
        "\r\nConnection: close\r\n";
    for (const auto& [name, value] : e.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    const size_t body_bytes = e.kind == Entry::Kind::Cut ? e.body.size() / 2 : e.body.size();
    if (!send_all(fd, head) || !send_all(fd, e.body.data(), body_bytes)) return;
    // Closing at once could reset the connection before the client has read it all: say that
    // nothing more comes, then wait (briefly) for the client to close first.
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    while (readable(fd, 2000) && ::recv(fd, buf, sizeof buf, 0) > 0) {
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // touched by the acceptor, then by the destructor

  mutable std::mutex mutex_;  // guards everything below
  std::vector<Entry> script_;
  bool keyed_ = false;
  size_t next_ = 0;
  std::map<std::string, size_t> entry_of_;  // keyed: body -> its entry
  std::vector<Request> requests_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace nas::test
