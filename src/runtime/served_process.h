#pragma once

// A function instance served in its own process (`roadrunner serve`), for kernel-mode edges.

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::runtime {

class ServedProcess {
 public:
  /// Spawns `exe serve ...` with stdout/stderr on the given fds and waits until it listens.
  [[nodiscard]] static Result<ServedProcess> spawn(const std::string& exe,
                                                   const std::vector<std::string>& serve_args,
                                                   int stdout_fd, int stderr_fd,
                                                   const std::string& display_name);
  ServedProcess(ServedProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ServedProcess& operator=(ServedProcess&&) = delete;
  ServedProcess(const ServedProcess&) = delete;
  ServedProcess& operator=(const ServedProcess&) = delete;
  ~ServedProcess() { stop(); }

  /// SIGTERM, then waits; returns the exit status (or 128 + signal).
  int stop();

 private:
  explicit ServedProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace rr::runtime
