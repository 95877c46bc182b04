#pragma once

// An exclusive advisory lock on a file, so that processes doing the same slow work (compiling
// one module into a shared cache) take turns instead of each doing it.
// @see man 2 flock

#include <chrono>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// Holds `flock(LOCK_EX)` on a file until destroyed. The lock belongs to this object's own open
/// file, so two FileLocks on one path exclude each other within a process as well as across
/// processes, and a holder that dies releases it with its descriptors.
///
/// Ownership: owns the descriptor; the file stays behind (removing a lock file races with a
/// process about to lock it). Thread-safety: none (a value).
class FileLock {
 public:
  /// Waits at most `timeout` for the lock on `path`, creating the file if it is missing.
  /// Errors: Errc::kTimedOut (still held by another), and open(2)'s.
  [[nodiscard]] static Result<FileLock> acquire(const std::string& path,
                                                std::chrono::milliseconds timeout);

 private:
  explicit FileLock(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace rr::sys
