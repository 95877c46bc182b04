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
  /// Spawns `exe serve ...` (our environment plus `extra_env`) with stdout/stderr on the given
  /// fds, and waits until it listens.
  [[nodiscard]] static Result<ServedProcess> spawn(const std::string& exe,
                                                   const std::vector<std::string>& serve_args,
                                                   int stdout_fd, int stderr_fd,
                                                   const std::vector<std::string>& prefix,
                                                   const std::string& display_name,
                                                   const std::vector<std::string>& extra_env);
  ServedProcess(ServedProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), address_(std::move(other.address_)) {}
  /// Where it listens, as it reported ("unix:PATH" or "tcp:HOST:PORT").
  [[nodiscard]] const std::string& address() const noexcept { return address_; }
  ServedProcess& operator=(ServedProcess&&) = delete;
  ServedProcess(const ServedProcess&) = delete;
  ServedProcess& operator=(const ServedProcess&) = delete;
  ~ServedProcess() { stop(); }

  /// SIGTERM, then waits; returns the exit status (or 128 + signal).
  int stop();

 private:
  explicit ServedProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace rr::runtime
