// Errors: one exception type for everything a user can get wrong, one check macro.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace nas {

// What kind of failure an Error is; mains map it to the exit status (2 = bad usage or input,
// 1 = runtime failure).
enum class ErrorKind { Input, Runtime };

// The one exception nasgen throws for a failure it can explain. The message is one line that
// says what was expected, what was found and where.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::Input)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return kind_ == ErrorKind::Input ? 2 : 1; }

 private:
  ErrorKind kind_;
};

// Throws nas::Error(ErrorKind::Input) with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Throws nas::Error(ErrorKind::Runtime) with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail_runtime(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...), ErrorKind::Runtime);
}

}  // namespace nas

// NAS_CHECK(cond, "format", args...): throws nas::Error (bad input) with the message when cond
// is false. The message should name what was expected and what was found.
#define NAS_CHECK(cond, ...)        \
  do {                              \
    if (!(cond)) ::nas::fail(__VA_ARGS__); \
  } while (0)
