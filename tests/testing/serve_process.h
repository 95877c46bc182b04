#pragma once

// `roadrunner serve` in the background for tests: waits until it listens and knows where.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

extern char** environ;

namespace rr::testing {

class ServeProcess {
 public:
  /// Runs `prefix... roadrunner serve --ready-fd 3 args...` with `env` ("K=V") added to ours,
  /// and reads its ready line (sys::readReadyLine, within sys::kReadyDeadline).
  ServeProcess(const std::string& roadrunner, std::vector<std::string> args,
               std::vector<std::string> prefix = {}, std::vector<std::string> env = {}) {
    auto ready = sys::makePipe();
    if (!ready) {
      return;
    }
    sys::SpawnOptions options{.argv = std::move(prefix), .search_path = true};
    options.argv.insert(options.argv.end(), {roadrunner, "serve", "--ready-fd", "3"});
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const auto name = entry.substr(0, entry.find('=') + 1);
      if (std::ranges::none_of(env, [&](const std::string& v) { return v.starts_with(name); })) {
        options.env.emplace_back(entry);
      }
    }
    options.fds = {{ready->write_end.get(), 3}};
    auto process = sys::Subprocess::spawn(options);
    if (!process) {
      return;
    }
    process_ = std::move(*process);
    ready->write_end.reset();
    if (auto address = sys::readReadyLine(ready->read_end.get())) {
      address_ = *address;
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { (void)stop(SIGTERM); }

  [[nodiscard]] bool ready() const { return !address_.empty(); }
  [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : -1; }
  /// "unix:PATH" or "tcp:HOST:PORT" as the server reported it.
  [[nodiscard]] const std::string& address() const { return address_; }
  /// Signals the server and returns its exit status (128 + signal when killed); one that has
  /// not exited 30 s later is killed.
  int stop(int sig) {
    if (!process_ || process_->pid() < 0) {
      return -1;
    }
    (void)process_->signal(sig);
    if (auto status = process_->waitFor(std::chrono::seconds(30))) {
      return *status;
    }
    return process_->kill();
  }

 private:
  std::optional<sys::Subprocess> process_;
  std::string address_;
};

}  // namespace rr::testing
