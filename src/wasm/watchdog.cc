#include "watchdog.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "guest_signals.h"

namespace rr::wasm {
namespace {

void setInterruptBlocked(bool blocked) noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, interruptSignal());
  (void)::pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

Watchdog::Guard::Guard(Guard&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

Watchdog::Guard::~Guard() { (void)disarm(); }

bool Watchdog::Guard::disarm() noexcept {
  if (owner_ == nullptr) {
    return false;
  }
  // Blocked before the entry goes: a signal sent meanwhile stays pending, harmlessly, until the
  // next armed call unblocks it, instead of interrupting host code after the guest call ended.
  setInterruptBlocked(true);
  return std::exchange(owner_, nullptr)->release(id_);
}

Watchdog::Watchdog() : thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

Watchdog::Guard Watchdog::arm(std::chrono::milliseconds limit, std::function<void()> stop) {
  setInterruptBlocked(false);
  const std::scoped_lock lock(mutex_);
  const std::uint64_t id = next_id_++;
  entries_.emplace(id, Entry{.deadline = std::chrono::steady_clock::now() + limit,
                             .thread = ::pthread_self(),
                             .stop = std::move(stop)});
  cv_.notify_all();
  return Guard(this, id);
}

bool Watchdog::release(std::uint64_t id) noexcept {
  const std::scoped_lock lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) {
    return false;
  }
  const bool expired = it->second.expired;
  entries_.erase(it);
  return expired;
}

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto wake = std::chrono::steady_clock::time_point::max();
    for (auto& [id, entry] : entries_) {
      if (now < entry.deadline) {
        wake = std::min(wake, entry.deadline);
        continue;
      }
      if (!entry.expired) {
        entry.expired = true;
        entry.stop();
      }
      // The entry exists only while its thread is inside the call, so the thread is alive.
      (void)::pthread_kill(entry.thread, interruptSignal());
      wake = std::min(wake, now + kTick);
    }
    if (wake == std::chrono::steady_clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
}

}  // namespace rr::wasm
