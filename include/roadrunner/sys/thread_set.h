#pragma once

// A bounded set of threads, one per connection (or request), joined as soon as each ends.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::sys {

/// Runs each task on a thread of its own, at most `max_threads` at once, and joins a thread as
/// soon as its task has returned: a long-lived server's thread count and address space stay
/// flat however many connections come and go.
///
/// ```
///  tryStart(task) ──▶ running_ [id → thread] ──task returns──▶ finished_ ──reaper joins──▶ gone
///                     (refused when full)
/// ```
///
/// Ownership: owns every thread it started, and one reaper thread. `joinAll` and the destructor
/// join them all, so the caller must first make its tasks return (shut their sockets down):
/// nothing here interrupts a task. Thread-safety: every method from any thread, except that a
/// task must never call `joinAll` or destroy its own set.
class ThreadSet {
 public:
  explicit ThreadSet(std::size_t max_threads);
  ThreadSet(const ThreadSet&) = delete;
  ThreadSet& operator=(const ThreadSet&) = delete;
  ThreadSet(ThreadSet&&) = delete;
  ThreadSet& operator=(ThreadSet&&) = delete;
  ~ThreadSet() { joinAll(); }

  /// Starts `task` on a new thread. Returns false, and starts nothing, when `max_threads` are
  /// running or after `joinAll`. Errors: the thread could not be created (EAGAIN).
  [[nodiscard]] Result<bool> tryStart(std::function<void()> task);
  /// Threads started and not yet joined (a finished one is joined promptly, by the reaper).
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t limit() const noexcept { return max_threads_; }
  /// Refuses new tasks, waits for every running task to return, and joins every thread.
  void joinAll();

 private:
  void reap();

  const std::size_t max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable finished_cv_;
  std::map<std::uint64_t, std::thread> running_;
  std::vector<std::uint64_t> finished_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace rr::sys
