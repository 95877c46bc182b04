#include "roadrunner/host/completion.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "roadrunner/base/spin.h"

namespace rr::host {
namespace {

/// A copy's longest expected time per byte: 1 GB/s, below the slowest copy measured on our
/// machines (into fresh pages, 1.6 GB/s); a warm copy runs at 10 GB/s or more.
constexpr std::int64_t kCopyNsPerByte = 1;

std::int64_t nowNs() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Completion::done(const DeliveryResult& result) {
  {
    const std::scoped_lock lock(mutex_);
    if (result_.status == Status::kOk) {
      result_.status = result.status;
      result_.reply_len = result.reply_len;
      result_.not_sent = result.not_sent;  // a group: not sent only if its first failure was not
    }
    result_.copied_bytes += result.copied_bytes;
    result_.moved_bytes += result.moved_bytes;
    result_.mapped_bytes += result.mapped_bytes;
    result_.taken = result_.taken || result.taken;
    result_.shared_held = result_.shared_held || result.shared_held;
    result_.handler_ns = std::max(result_.handler_ns, result.handler_ns);
    result_.done_ns = std::max(result_.done_ns, result.done_ns);  // a group: its last member
    result_.faults += result.faults;
    if (on_done_ && pending_.load(std::memory_order_relaxed) == 1) {
      on_done_(result_);  // every done() holds the lock: this is the last
    }
    if (pending_.fetch_sub(1, std::memory_order_relaxed) != 1) {
      return;
    }
    cv_.notify_all();
  }
  finished_.store(true, std::memory_order_release);  // the last touch: wait() may now return
}

void Completion::copying(std::size_t bytes) noexcept {
  const std::int64_t until = nowNs() + static_cast<std::int64_t>(bytes) * kCopyNsPerByte;
  std::int64_t seen = copy_until_ns_.load(std::memory_order_relaxed);
  while (seen < until &&
         !copy_until_ns_.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
  }
}

DeliveryResult Completion::wait() {
  const auto finished = [this] { return finished_.load(std::memory_order_acquire); };
  if (spin_ && handOffSpin().count() > 0) {
    bool over = spinUntil(finished, handOffSpin());
    // A receiver copying this delivery ends within the time it gave: spin on until then.
    for (std::int64_t left = copy_until_ns_.load(std::memory_order_relaxed) - nowNs();
         !over && left > 0; left = copy_until_ns_.load(std::memory_order_relaxed) - nowNs()) {
      over = spinUntil(finished, std::chrono::nanoseconds(left));
    }
    if (over) {
      return result_;
    }
  }
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return pending_.load(std::memory_order_relaxed) == 0; });
  }
  // The last done() sets finished_ just after letting go of the lock.
  while (!finished()) {
    std::this_thread::yield();
  }
  return result_;
}

}  // namespace rr::host
