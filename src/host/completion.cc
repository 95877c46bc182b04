#include "roadrunner/host/completion.h"

#include <algorithm>
#include <chrono>
#include <cstring>
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

void Completion::copyTogether(std::span<std::byte> to, std::span<const std::byte> from) noexcept {
  const std::size_t len = std::min(to.size(), from.size());
  Half none = Half::kNone;
  if (!spin_ || len < kCopyTogetherFrom ||
      !half_.compare_exchange_strong(none, Half::kOffering, std::memory_order_relaxed)) {
    std::memcpy(to.data(), from.data(), len);
    return;
  }
  const std::size_t front = (len / 2) & ~std::size_t{63};  // the halves meet at a cache line
  half_to_ = to.data() + front;
  half_from_ = from.data() + front;
  half_len_ = len - front;
  half_.store(Half::kOffered, std::memory_order_release);
  std::memcpy(to.data(), from.data(), front);
  Half offered = Half::kOffered;
  if (half_.compare_exchange_strong(offered, Half::kTakenBack, std::memory_order_relaxed)) {
    std::memcpy(half_to_, half_from_, half_len_);  // the waiter did not come for it
    return;
  }
  // The waiter is copying the back half: a memcpy under way on a thread of this process, which
  // nothing can stop, so this wait needs no deadline. It started at about the time the front
  // half did and is as long, so it ends about now: poll, yielding now and then in case its
  // thread lost its CPU.
  for (std::uint32_t polls = 1; half_.load(std::memory_order_acquire) != Half::kHelped; ++polls) {
    cpuRelax();
    if (polls % 1024 == 0) {
      std::this_thread::yield();
    }
  }
}

void Completion::helpCopy() noexcept {
  Half offered = Half::kOffered;
  if (half_.load(std::memory_order_relaxed) != Half::kOffered ||
      !half_.compare_exchange_strong(offered, Half::kHelping, std::memory_order_acquire)) {
    return;
  }
  std::memcpy(half_to_, half_from_, half_len_);
  helped_bytes_ += half_len_;
  half_.store(Half::kHelped, std::memory_order_release);
}

DeliveryResult Completion::wait() {
  const auto finished = [this] {
    helpCopy();
    return finished_.load(std::memory_order_acquire);
  };
  if (spin_ && handOffSpin().count() > 0) {
    bool over = spinUntil(finished, handOffSpin());
    // A receiver copying this delivery ends within the time it gave: spin on until then.
    for (std::int64_t left = copy_until_ns_.load(std::memory_order_relaxed) - nowNs();
         !over && left > 0; left = copy_until_ns_.load(std::memory_order_relaxed) - nowNs()) {
      over = spinUntil(finished, std::chrono::nanoseconds(left));
    }
    if (over) {
      result_.sender_copied_bytes = helped_bytes_;
      return result_;
    }
  }
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return pending_.load(std::memory_order_relaxed) == 0; });
  }
  // The last done() sets finished_ just after letting go of the lock.
  while (!finished_.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  result_.sender_copied_bytes = helped_bytes_;
  return result_;
}

}  // namespace rr::host
