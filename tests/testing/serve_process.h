#pragma once

// `roadrunner serve` in the background for tests: waits until it listens and knows where.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <string>
#include <vector>

namespace rr::testing {

class ServeProcess {
 public:
  /// Runs `prefix... roadrunner serve --ready-fd 3 args...` with `env` ("K=V") added.
  ServeProcess(const std::string& roadrunner, std::vector<std::string> args,
               std::vector<std::string> prefix = {}, std::vector<std::string> env = {}) {
    int ready[2];
    if (::pipe(ready) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(ready[1], 3);
      if (ready[1] != 3) {
        ::close(ready[1]);
      }
      if (ready[0] != 3) {
        ::close(ready[0]);
      }
      std::vector<std::string> argv = prefix;
      argv.insert(argv.end(), {roadrunner, "serve", "--ready-fd", "3"});
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> c;
      for (auto& a : argv) {
        c.push_back(a.data());
      }
      c.push_back(nullptr);
      for (auto& e : env) {
        ::putenv(e.data());
      }
      ::execvp(c[0], c.data());
      ::_exit(127);
    }
    ::close(ready[1]);
    std::array<char, 256> buf{};
    std::string line;
    for (ssize_t n; line.find('\n') == std::string::npos &&
                    (n = ::read(ready[0], buf.data(), buf.size())) > 0;) {
      line.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(ready[0]);
    if (line.starts_with("ready ")) {
      address_ = line.substr(6, line.find('\n') - 6);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { (void)stop(SIGTERM); }

  [[nodiscard]] bool ready() const { return !address_.empty(); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  /// "unix:PATH" or "tcp:HOST:PORT" as the server reported it.
  [[nodiscard]] const std::string& address() const { return address_; }
  /// Signals the server and returns its exit status (128 + signal when killed).
  int stop(int sig) {
    if (pid_ <= 0) {
      return -1;
    }
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace rr::testing
