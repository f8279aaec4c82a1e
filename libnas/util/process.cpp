#include "libnas/util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "libnas/util/strings.h"

namespace nas {

namespace fs = std::filesystem;

std::string find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  for (const auto& dir : split(path, ':')) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / program;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::string ProgramOutput::failure(const std::string& name) const {
  std::string last;
  for (const auto& l : split(err, '\n')) {
    if (!trim(l).empty()) last = trim(l);
  }
  if (status == 0) return "";
  if (status > 128)
    return fmt::format("{} was killed by signal {}{}{}", name, status - 128, last.empty() ? "" : ": ", last);
  if (status > 0)
    return fmt::format("{} exited with status {}{}{}", name, status, last.empty() ? "" : ": ", last);
  return fmt::format("{} could not be started: {}", name, last);
}

ProgramOutput run_program(const std::string& path, const std::vector<std::string>& args,
                          const std::string& dir) {
  ProgramOutput r;
  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    r.err = "cannot create a pipe";
    return r;
  }
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    r.err = "cannot create a pipe";
    return r;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out_fds[0], out_fds[1], err_fds[0], err_fds[1]}) ::close(fd);
    r.err = "cannot fork";
    return r;
  }
  if (pid == 0) {
    // dup2 clears close-on-exec on the copies; every other descriptor of ours closes at exec.
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, 0);
    ::dup2(out_fds[1], 1);
    ::dup2(err_fds[1], 2);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  // Both pipes are drained together: a program that fills one while we wait on the other
  // would otherwise never finish. Once the program has exited, what is already in the pipes
  // is read and nothing more is waited for: a process it left running in the background may
  // hold the pipes open for as long as it lives.
  pollfd fds[2] = {{out_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  char buf[8192];
  int status = 0;
  bool exited = false, lost = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (!exited) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w < 0 && errno != EINTR) lost = true;
      exited = w == pid || lost;
    }
    const int ready = ::poll(fds, 2, exited ? 0 : 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (exited) break;  // exited and nothing left to read
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (const auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  while (!exited) {
    if (::waitpid(pid, &status, 0) == pid) exited = true;
    else if (errno != EINTR) exited = lost = true;
  }
  if (lost) {
    r.err += "\nlost track of the process (waitpid failed)";
    return r;  // status stays -1
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace nas
