#pragma once

// Deadlines for guest calls, private to rr::wasm.

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace rr::wasm {

/// Stops guest calls that run past their limit. A call arms a deadline for its own thread; at
/// the deadline the watchdog runs the call's `stop` once (which asks WasmEdge to stop the VM at
/// its next interruption check), then sends the thread the interrupt signal every tick until the
/// call disarms, so that a guest blocked in a host call gets EINTR and reaches that check.
///
/// Ownership: owns one thread, started by the constructor and joined by the destructor. Construct
/// it on a thread with the process's own descriptor table: a thread shares its creator's, and an
/// actor thread's private table holds the function's output pipes, which must close with it.
/// Thread-safety: `arm` from any thread; each Guard belongs to the thread that armed it.
class Watchdog {
 public:
  static constexpr std::chrono::milliseconds kTick{5};

  /// One armed deadline: unblocks the interrupt signal on the calling thread for its life.
  class Guard {
   public:
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&&) = delete;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();
    /// Ends the deadline (blocking the interrupt signal again); true if it had expired.
    [[nodiscard]] bool disarm() noexcept;

   private:
    friend class Watchdog;
    Guard(Watchdog* owner, std::uint64_t id) noexcept : owner_(owner), id_(id) {}
    Watchdog* owner_;
    std::uint64_t id_;
  };

  Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();

  /// Arms a deadline `limit` from now for the calling thread. `stop` runs on the watchdog's
  /// thread with its lock held: it must be short and must not call back into the watchdog.
  [[nodiscard]] Guard arm(std::chrono::milliseconds limit, std::function<void()> stop);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point deadline;
    pthread_t thread;
    std::function<void()> stop;
    bool expired = false;
  };
  void run();
  [[nodiscard]] bool release(std::uint64_t id) noexcept;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rr::wasm
