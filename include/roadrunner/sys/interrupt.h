#pragma once

// SIGINT and SIGTERM taken on a thread of their own: no policy. @see man 2 sigtimedwait

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace rr::sys {

/// Blocks SIGINT and SIGTERM in the constructing thread, and so in every thread it starts from
/// then on, and takes them on a thread of its own, which calls `on_signal(signal)` for each.
/// For a command that must clean up before an interrupt ends it: construct it before any other
/// thread starts (a thread started earlier would still take the signals the default way).
///
/// Ownership: the watching thread, stopped within 100 ms and joined by the destructor, which
/// restores the constructing thread's mask. Without a thread (it could not start) the signals
/// keep their default action.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void(int)> on_signal);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;
  InterruptWatcher(InterruptWatcher&&) = delete;
  InterruptWatcher& operator=(InterruptWatcher&&) = delete;

 private:
  void watch(const std::function<void(int)>& on_signal, sigset_t signals) const;

  sigset_t old_mask_{};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rr::sys
