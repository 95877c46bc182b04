#pragma once

// Waiting for deliveries: what came of one (DeliveryResult), and the sender's wait for one or
// more of them (Completion), spinning while its receivers answer from this process.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "roadrunner/host/status.h"

namespace rr::host {

/// What came of a delivery. `reply_len` is the reply's full length, also when it did not fit.
struct DeliveryResult {
  Status status = Status::kOk;
  std::uint32_t reply_len = 0;
  /// Payload bytes the hosts copied on the way (embedded: the payload's size once), observed:
  /// each copy site adds what it copied, a system call the bytes it moved through the kernel's
  /// buffers, a mapping nothing. copiesOf() turns it into whole copies.
  std::uint64_t copied_bytes = 0;
  /// Of copied_bytes, those the sender's own thread copied for a receiver while it waited
  /// (Completion::copyTogether).
  std::uint64_t sender_copied_bytes = 0;
  /// Payload bytes whose pages moved into the receiver's memory, no copy made (a move send).
  std::uint64_t moved_bytes = 0;
  /// Payload bytes whose pages were mapped copy-on-write from the sender's shared buffer into
  /// the receiver's memory, no copy made (Delivery::shared); a group: every member's, summed.
  std::uint64_t mapped_bytes = 0;
  /// The receiving side took `Delivery::take` (its bytes moved or were copied and cleared): the
  /// sender's range already reads as zeros.
  bool taken = false;
  std::uint64_t handler_ns = 0;  ///< CLOCK_MONOTONIC at handler entry; 0 if it never ran
  /// CLOCK_MONOTONIC once the handler had returned and the payload's pages were detached (the
  /// receiver has done with the bytes); 0 if it never ran
  std::uint64_t done_ns = 0;
  /// Page faults the receiving thread took from the payload's arrival to its detach (fresh
  /// pages, mapped pages read, copy-on-write copies).
  /// Counted for payloads from 1 MiB, 0 below (the count costs two system calls)
  std::uint32_t faults = 0;
  /// The delivery failed before any of it left this process (no connection could be made): the
  /// receiver cannot have run the handler, so another replica may take it without a duplicate.
  bool not_sent = false;
  /// The payload's shared pages were passed to another process whose host never said it was
  /// done with them (no response came): that receiver may still map them (SharedBuffers::detach).
  bool shared_held = false;
};

/// Waits for one or more deliveries started with `Endpoint::deliverAsync`; keeps the status,
/// reply length and `not_sent` of the first failure (or the last success), and sums every
/// delivery's copied bytes, failed or not. Thread-safety: `done` from any thread, `wait` from one.
class Completion {
 public:
  /// `spin`: wait() spins for handOffSpin() before it sleeps (every endpoint answers from a
  /// thread of this process, Endpoint::spinsForCompletion).
  explicit Completion(std::uint32_t pending, bool spin = false)
      : pending_(pending), finished_(pending == 0), spin_(spin) {}
  /// `on_done` runs with the result on the thread that completes the last delivery, before
  /// wait() can return: a receiver answers its sender there, with no other thread woken.
  Completion(std::uint32_t pending, std::function<void(const DeliveryResult&)> on_done)
      : pending_(pending), finished_(pending == 0), spin_(false), on_done_(std::move(on_done)) {}
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  Completion(Completion&&) = delete;
  Completion& operator=(Completion&&) = delete;
  ~Completion() = default;

  void done(const DeliveryResult& result);
  /// Said by a receiver that has taken the delivery and is about to copy `bytes` of it, when
  /// the copy is what its sender waits for (a stream chunk is held once copied): a spinning
  /// wait() goes on spinning while such a copy may last, instead of sleeping and being woken
  /// (a 1 MiB copy outlasts handOffSpin(), and a futex sleep and wake-up cost more than the
  /// spin on a CPU the sender would not use). Several receivers: the latest copy counts.
  void copying(std::size_t bytes) noexcept;
  /// Copies `from` into `to` (as long) for a receiver whose sender waits in wait(), spinning:
  /// the sender copies the back half meanwhile, on the CPU it would otherwise spin on, so a
  /// large chunk is held in about half the time. Returns once every byte is in place. Below
  /// kCopyTogetherFrom, with a waiter that does not spin or has stopped, or when another member
  /// of a group asked first, the caller copies it all. Before done(), once per receiver.
  void copyTogether(std::span<std::byte> to, std::span<const std::byte> from) noexcept;
  /// The smallest copy shared with the waiter: below it, handing half over costs more than the
  /// half takes (a 32 KiB half copies in about a microsecond).
  static constexpr std::size_t kCopyTogetherFrom = std::size_t{64} << 10U;
  /// Spins first if asked to (a delivery in process often ends within handOffSpin(), and a
  /// copy in progress within its time: copying()), then sleeps. A spin that sees the end
  /// returns without taking the lock.
  /// DeliveryResult::sender_copied_bytes counts what this thread copied for copyTogether.
  [[nodiscard]] DeliveryResult wait();

 private:
  /// The back half of a receiver's copy (copyTogether): offered, then taken by the waiter
  /// (kHelping, kHelped) or taken back by the receiver, exactly one of the two.
  enum class Half : std::uint8_t { kNone, kOffering, kOffered, kHelping, kHelped, kTakenBack };
  // On the waiting thread: copies an offered half, if there is one.
  void helpCopy() noexcept;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<std::uint32_t> pending_;
  /// Set by the last done() as its last touch of this object, after it let go of the lock: from
  /// then on wait() may return, and its caller destroy the completion.
  std::atomic<bool> finished_;
  std::atomic<std::int64_t> copy_until_ns_{0};  ///< CLOCK_MONOTONIC; see copying()
  const bool spin_;
  std::atomic<Half> half_{Half::kNone};
  std::byte* half_to_ = nullptr;  // written before half_ is kOffered, read after
  const std::byte* half_from_ = nullptr;
  std::size_t half_len_ = 0;
  std::size_t helped_bytes_ = 0;  // the waiting thread's only
  std::function<void(const DeliveryResult&)> on_done_;
  DeliveryResult result_;
};

}  // namespace rr::host
