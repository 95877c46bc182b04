#pragma once

// A function instance served in its own process (`roadrunner serve`), for kernel-mode edges.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/sys/subprocess.h"

namespace rr::runtime {

class ServedProcess {
 public:
  /// Spawns `exe serve ...` (our environment plus `extra_env`) with stdout/stderr on the given
  /// fds, and waits until it listens: at most `ready_timeout` for its ready line, after which
  /// the child is killed and this is an error.
  [[nodiscard]] static Result<ServedProcess> spawn(
      const std::string& exe, const std::vector<std::string>& serve_args, int stdout_fd,
      int stderr_fd, const std::vector<std::string>& prefix, const std::string& display_name,
      const std::vector<std::string>& extra_env, std::chrono::milliseconds ready_timeout);
  /// Where it listens, as it reported ("unix:PATH" or "tcp:HOST:PORT").
  [[nodiscard]] const std::string& address() const noexcept { return address_; }

  /// SIGTERM, then SIGKILL if it has not exited after kStopGrace; returns the exit status (or
  /// 128 + signal). The destructor does the same with SIGKILL alone.
  int stop() { return process_.stop(kStopGrace); }
  /// Its own peak resident set once stopped (sys::Subprocess::peakRssBytes); 0 before.
  [[nodiscard]] std::uint64_t peakRssBytes() const noexcept { return process_.peakRssBytes(); }

  /// How long a served function may take to finish after SIGTERM.
  static constexpr std::chrono::milliseconds kStopGrace{10'000};

 private:
  ServedProcess(sys::Subprocess process, std::string address)
      : process_(std::move(process)), address_(std::move(address)) {}
  sys::Subprocess process_;
  std::string address_;
};

}  // namespace rr::runtime
