#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/mapping.h"

namespace rr::transport {

/// A kernel-mode connection's shared mailbox for small frames: one size-sealed memfd, mapped
/// MAP_SHARED by the sender and the serving process, that carries the request frame (header,
/// names, payload up to kMaxPayload) and the response (header, reply up to kMaxReply) with no
/// system call when the other side is awake. A 1 KiB round over a UNIX socket wakes four sleeping
/// threads (sender, connection, and back) at several microseconds each; over the mailbox each
/// side spins for handOffSpin() on a sequence word, and only a side that has gone to sleep gets a
/// doorbell: one byte on the connection's socket, which it waits on with poll(). The socket also
/// stays the liveness channel: a peer that closes or dies wakes the waiter at once.
///
/// Layout (kBytes): page 0 holds five words, each on its own cache line (request sequence,
/// "server sleeps", response sequence, "sender sleeps", the sender's CPU); then the request area
/// (kRequestBytes: a proto request frame), then the response area (kResponseBytes: a proto response
/// frame).
///
/// One request in flight: the sender writes the request area and posts the next sequence number;
/// the server answers in the response area and posts the same number. Each side keeps its own
/// sequence and never trusts the other's words or bytes: a server copies and checks the header
/// like a socket frame, and a sender that got no answer drops the mailbox (the server may still
/// read the request area), never writing it again.
///
/// Copies: sender memory ─memcpy─▶ request area ─memcpy─▶ receiver's rr_alloc buffer: two, as
/// over the socket (writev, read).
///
/// Ownership: the mapping; the memfd only until the sender has passed it (closeFd()).
/// Thread-safety: one thread per side.
class Mailbox {
 public:
  static constexpr std::size_t kMaxPayload = 64U << 10U;
  static constexpr std::size_t kMaxReply = 64U << 10U;
  static constexpr std::size_t kRequestBytes = (kMaxPayload + 4096U) & ~std::size_t{4095};
  static constexpr std::size_t kResponseBytes = (kMaxReply + 4096U) & ~std::size_t{4095};
  static constexpr std::size_t kBytes = 4096U + kRequestBytes + kResponseBytes;

  /// The sender's: a new size-sealed memfd of kBytes, mapped.
  [[nodiscard]] static Result<Mailbox> create();
  /// The server's: maps a passed memfd after checking its seals and size (Errc::kProtocol).
  [[nodiscard]] static Result<Mailbox> attach(int fd);

  /// The memfd to pass (create() only; -1 after closeFd()).
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  void closeFd() noexcept { fd_.reset(); }

  [[nodiscard]] std::span<std::byte> request() const noexcept {
    return map_.bytes().subspan(4096, kRequestBytes);
  }
  [[nodiscard]] std::span<std::byte> response() const noexcept {
    return map_.bytes().subspan(4096 + kRequestBytes, kResponseBytes);
  }

  /// Sender: publishes the request area as the next request; rings `sock` if the server sleeps.
  /// Notes the CPU it runs on (senderCpu()).
  void postRequest(int sock) noexcept;
  /// Server: the CPU the sender said it ran on when it posted; a hint only (-1: none), for a
  /// spinning receiver to move off a CPU it shares with its spinning sender.
  [[nodiscard]] int senderCpu() const noexcept;
  /// Sender: waits for the answer to the last request until `deadline`. Errors: EAGAIN (time-out),
  /// ECONNRESET (the server closed or died).
  [[nodiscard]] Result<> awaitResponse(int sock, std::chrono::steady_clock::time_point deadline);
  /// Server: waits for the next request until `deadline` or until `stopping` (checked whenever the
  /// socket wakes it: shutdown() does). Errors as awaitResponse, ECANCELED when stopping.
  [[nodiscard]] Result<> awaitRequest(int sock, std::chrono::steady_clock::time_point deadline,
                                      const std::atomic<bool>& stopping);
  /// Server, polled by the receiver's own thread instead (host::Poller): whether a request waits
  /// that it has not taken; take() takes it.
  [[nodiscard]] bool posted() const noexcept;
  void take() noexcept;
  /// Server, polled: about to stop polling, so the sender rings from now on. False if a request
  /// waits already.
  [[nodiscard]] bool sleepUnlessPosted() noexcept;
  /// Server, polled: polling again, so the sender need not ring.
  void pollAgain() noexcept;
  /// Server: publishes the response area as the answer to the request it took; rings `sock` if
  /// the sender sleeps.
  void postResponse(int sock) noexcept;
  /// Between frames: reads the bells left on `sock` (a side that stopped waiting just as it was
  /// rung leaves one) and says whether the peer has closed it. Never blocks.
  [[nodiscard]] static bool peerClosed(int sock) noexcept;

 private:
  Mailbox(UniqueFd fd, sys::Mapping map) noexcept : fd_(std::move(fd)), map_(std::move(map)) {}
  [[nodiscard]] std::atomic_ref<std::uint32_t> word(std::size_t index) const noexcept;

  UniqueFd fd_;
  sys::Mapping map_;
  std::uint32_t seq_ = 0;  // the last request posted (sender) or taken (server)
};

}  // namespace rr::transport
