// Roadrunner guest SDK, C++20 veneer over roadrunner.h: spans and an enum class for statuses.
//
//   #define ROADRUNNER_RECEIVER
//   #include <roadrunner/guest/roadrunner.hpp>
//   int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* src, uint32_t src_len) {...}
//
// Build with -fno-exceptions (and Debian's libc++ for wasm32).
#ifndef ROADRUNNER_GUEST_ROADRUNNER_HPP
#define ROADRUNNER_GUEST_ROADRUNNER_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <utility>

#include "roadrunner/guest/roadrunner.h"

namespace rr::guest {

enum class Status : rr_status_t {
  kOk = RR_OK,
  kUnknownTarget = RR_EUNKNOWN_TARGET,
  kNotAllowed = RR_ENOT_ALLOWED,
  kTooLarge = RR_ETOO_LARGE,
  kNoMemory = RR_ENOMEM,
  kBadAlloc = RR_EBAD_ALLOC,
  kReceiverFailed = RR_ERECEIVER_FAILED,
  kHandler = RR_EHANDLER,
  kFault = RR_EFAULT,
  kReplyTooLarge = RR_EREPLY_TOO_LARGE,
  kNoReplyContext = RR_ENO_REPLY_CONTEXT,
  kUnavailable = RR_EUNAVAILABLE,
  kTimedOut = RR_ETIMEDOUT,
  kProto = RR_EPROTO,
  kInvalid = RR_EINVAL,
  kExited = RR_EEXITED,
  kNoStreams = RR_ENO_STREAMS,
  kWouldBlock = RR_EWOULDBLOCK,
};

[[nodiscard]] inline const char* name(Status s) noexcept {
  return rr_status_name(static_cast<rr_status_t>(s));
}

/// Delivers `data` to `target` and waits until its handler returned.
[[nodiscard]] inline Status send(std::string_view target,
                                 std::span<const std::byte> data) noexcept {
  return static_cast<Status>(
      rr_raw_send(static_cast<int32_t>(reinterpret_cast<uintptr_t>(target.data())),
                  static_cast<int32_t>(target.size()),
                  static_cast<int32_t>(reinterpret_cast<uintptr_t>(data.data())),
                  static_cast<int32_t>(data.size()), 0, 0, 0));
}

/// Like send; the receiver's reply lands in `reply`. `reply_len` is its full length.
struct Reply {
  Status status;
  uint32_t reply_len;
};
[[nodiscard]] inline Reply request(std::string_view target, std::span<const std::byte> data,
                                   std::span<std::byte> reply) noexcept {
  uint32_t reply_len = 0;
  const auto st = static_cast<Status>(
      rr_raw_send(static_cast<int32_t>(reinterpret_cast<uintptr_t>(target.data())),
                  static_cast<int32_t>(target.size()),
                  static_cast<int32_t>(reinterpret_cast<uintptr_t>(data.data())),
                  static_cast<int32_t>(data.size()),
                  static_cast<int32_t>(reinterpret_cast<uintptr_t>(reply.data())),
                  static_cast<int32_t>(reply.size()),
                  static_cast<int32_t>(reinterpret_cast<uintptr_t>(&reply_len))));
  return {st, reply_len};
}

/// A buffer for move sends (rr_move_buffer: page-aligned whole pages, aligned to 2 MiB from
/// 2 MiB up, so its pages can move to the receiver without a copy). Owns its memory; move-only.
class MoveBuffer {
 public:
  /// `len` bytes, or an empty buffer if memory ran out.
  [[nodiscard]] static MoveBuffer allocate(uint32_t len) noexcept {
    return MoveBuffer(static_cast<std::byte*>(rr_move_buffer(len)), len);
  }
  MoveBuffer(MoveBuffer&& other) noexcept : data_(other.data_), len_(other.len_) {
    other.data_ = nullptr;
    other.len_ = 0;
  }
  MoveBuffer& operator=(MoveBuffer&& other) noexcept {
    if (this != &other) {
      std::free(data_);
      data_ = other.data_;
      len_ = other.len_;
      other.data_ = nullptr;
      other.len_ = 0;
    }
    return *this;
  }
  MoveBuffer(const MoveBuffer&) = delete;
  MoveBuffer& operator=(const MoveBuffer&) = delete;
  ~MoveBuffer() { std::free(data_); }

  [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data_, data_ ? len_ : 0}; }

 private:
  MoveBuffer(std::byte* data, uint32_t len) noexcept : data_(data), len_(len) {}
  std::byte* data_;
  uint32_t len_;
};

/// What a move send gives back: its status, the receiver's reply length, and the buffer, whose
/// bytes now read as zeros (unless the status is kFault) and which is the sender's to refill.
struct Moved {
  Status status;
  uint32_t reply_len;
  MoveBuffer buffer;
};

/// Hands `payload`'s bytes to `target` instead of lending them (rr_send_move): in embedded mode
/// its whole pages move without a copy. The call takes the buffer and gives it back emptied of
/// its bytes, so the change of owner shows where it happens: `auto moved =
/// sendMove("next", std::move(buf));`.
[[nodiscard]] inline Moved sendMove(std::string_view target, MoveBuffer&& payload,
                                    std::span<std::byte> reply = {}) noexcept {
  MoveBuffer buffer = std::move(payload);
  const std::span<std::byte> data = buffer.bytes();
  uint32_t reply_len = 0;
  const auto st = static_cast<Status>(
      rr_raw_send_move(static_cast<int32_t>(reinterpret_cast<uintptr_t>(target.data())),
                       static_cast<int32_t>(target.size()),
                       static_cast<int32_t>(reinterpret_cast<uintptr_t>(data.data())),
                       static_cast<int32_t>(data.size()),
                       static_cast<int32_t>(reinterpret_cast<uintptr_t>(reply.data())),
                       static_cast<int32_t>(reply.size()),
                       static_cast<int32_t>(reinterpret_cast<uintptr_t>(&reply_len))));
  return {st, reply_len, std::move(buffer)};
}

/// A buffer whose pages the host can share (rr_shared_buffer): send(target, buf.bytes()) to
/// receivers in the same process maps its whole pages into each of them copy-on-write, so a
/// group of any size costs no copy. The sender keeps its bytes. Owns its memory; move-only.
class SharedBuffer {
 public:
  /// `len` bytes (zeros), or an empty buffer if the host cannot share more pages.
  [[nodiscard]] static SharedBuffer allocate(uint32_t len) noexcept {
    return SharedBuffer(static_cast<std::byte*>(rr_shared_buffer(len)), len);
  }
  SharedBuffer(SharedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), len_(std::exchange(other.len_, 0)) {}
  SharedBuffer& operator=(SharedBuffer&& other) noexcept {
    if (this != &other) {
      rr_shared_buffer_free(data_, len_);
      data_ = std::exchange(other.data_, nullptr);
      len_ = std::exchange(other.len_, 0);
    }
    return *this;
  }
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  ~SharedBuffer() { rr_shared_buffer_free(data_, len_); }

  [[nodiscard]] bool empty() const noexcept { return data_ == nullptr; }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data_, data_ ? len_ : 0}; }

 private:
  SharedBuffer(std::byte* data, uint32_t len) noexcept : data_(data), len_(len) {}
  std::byte* data_;
  uint32_t len_;
};

/// An open stream to one target (a function, a member "group#k" or a fan-out group): chunks
/// written in order, then the end (close) or an abort (abort). Owns the host's handle; move-only.
///
/// Each write is one chunk, which the receiver's handler gets whole, in its own buffer. write
/// returns once every receiver holds a copy of the chunk, not when its handler is done with it, so
/// the sender fills its next chunk while the receiver works on this one; a slow receiver makes the
/// sender wait. The stream's first failure sticks: later writes return it and deliver nothing, and
/// close returns it. A Stream destroyed (or assigned over) while open is aborted with
/// kUnavailable, so a receiver never takes a stream cut short for a complete one. A function holds
/// at most RR_MAX_STREAMS (16) open at once.
///
///   auto [st, stream] = rr::guest::Stream::open("sink");
///   for (std::size_t i = 0; st == Status::kOk && i < n; ++i) {
///     st = stream.write(chunk(i));
///   }
///   if (st == Status::kOk) {
///     st = stream.close();  // else ~Stream aborts it
///   }
class Stream {
 public:
  /// A stream to `target`, or kNoMemory when 16 are open, or the status send would give for the
  /// target (kUnknownTarget, kNotAllowed, kInvalid); kNoStreams, for a receiver that takes no
  /// streams, here or at the first write. Nothing reaches the receiver before the first chunk.
  /// On failure the Stream is closed (isOpen() is false).
  [[nodiscard]] static std::pair<Status, Stream> open(std::string_view target) noexcept {
    uint32_t handle = 0;
    const auto st = static_cast<Status>(
        rr_raw_stream_open(static_cast<int32_t>(reinterpret_cast<uintptr_t>(target.data())),
                           static_cast<int32_t>(target.size()),
                           static_cast<int32_t>(reinterpret_cast<uintptr_t>(&handle))));
    if (st != Status::kOk) {
      return {st, Stream()};
    }
    if (handle == 0) {
      return {Status::kProto, Stream()};  // success without a handle: the host broke the ABI
    }
    return {Status::kOk, Stream(handle)};
  }

  /// A closed stream: write, close and abort return kInvalid.
  Stream() noexcept = default;
  Stream(Stream&& other) noexcept : handle_(std::exchange(other.handle_, 0)) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      abandon();
      handle_ = std::exchange(other.handle_, 0);
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { abandon(); }

  /// Whether the stream is open: opened, and neither closed nor aborted since.
  [[nodiscard]] bool isOpen() const noexcept { return handle_ != 0; }
  /// The host's number for the stream (for logs), 0 once closed.
  [[nodiscard]] uint32_t handle() const noexcept { return handle_; }

  /// Delivers `chunk` as the stream's next chunk (an empty one too). kOk, or the stream's first
  /// failure so far (kHandler: a receiver's handler failed a chunk; kReceiverFailed: it trapped;
  /// kUnavailable: a receiver went away), after which nothing more is delivered. The stream stays
  /// open: close it to hear its result, or let the destructor abort it. kInvalid once closed.
  [[nodiscard]] Status write(std::span<const std::byte> chunk) noexcept {
    if (handle_ == 0) {
      return Status::kInvalid;
    }
    return static_cast<Status>(
        rr_raw_stream_write(static_cast<int32_t>(handle_),
                            static_cast<int32_t>(reinterpret_cast<uintptr_t>(chunk.data())),
                            static_cast<int32_t>(chunk.size())));
  }

  /// write() that never waits for a receiver's earlier work (rr_stream_try_write): kWouldBlock at
  /// once, nothing delivered and the stream unchanged, while a receiver is busy; do other work
  /// and try again, or write() to wait. Otherwise write()'s statuses.
  [[nodiscard]] Status tryWrite(std::span<const std::byte> chunk) noexcept {
    if (handle_ == 0) {
      return Status::kInvalid;
    }
    return static_cast<Status>(
        rr_raw_stream_try_write(static_cast<int32_t>(handle_),
                                static_cast<int32_t>(reinterpret_cast<uintptr_t>(chunk.data())),
                                static_cast<int32_t>(chunk.size())));
  }

  /// Hands the first `len` bytes of `buffer` over as the stream's next chunk
  /// (rr_stream_write_move): write's statuses, and afterwards (unless kFault) those bytes read as
  /// zeros and the buffer is the caller's to refill. In the same process, to one receiver, its
  /// whole pages move without a copy. kInvalid for `len` past the buffer, or once closed.
  [[nodiscard]] Status writeMove(MoveBuffer& buffer, std::size_t len) noexcept {
    const std::span<std::byte> data = buffer.bytes();
    if (handle_ == 0 || len > data.size()) {
      return Status::kInvalid;
    }
    return static_cast<Status>(rr_raw_stream_write_move(
        static_cast<int32_t>(handle_),
        static_cast<int32_t>(reinterpret_cast<uintptr_t>(data.data())), static_cast<int32_t>(len)));
  }

  /// Delivers the end and waits until every receiver's handler has seen it: kOk when each took
  /// the whole stream, else the stream's first failure (the receivers then heard an abort).
  /// Closes the stream either way; kInvalid if it was closed already.
  [[nodiscard]] Status close() noexcept { return finish(Status::kOk); }

  /// Cuts the stream short: each receiver's handler gets RR_STREAM_ABORT with `why` instead of
  /// the end. kOk (which would read as the end) aborts with kUnavailable. Returns the host's status
  /// for the abort; kInvalid if the stream was closed already.
  Status abort(Status why) noexcept {
    return finish(why == Status::kOk ? Status::kUnavailable : why);
  }

 private:
  explicit Stream(uint32_t handle) noexcept : handle_(handle) {}
  // Forgets the handle before the call: the host may give the number to the next stream opened.
  Status finish(Status code) noexcept {
    if (handle_ == 0) {
      return Status::kInvalid;
    }
    return static_cast<Status>(rr_raw_stream_close(static_cast<int32_t>(std::exchange(handle_, 0)),
                                                   static_cast<int32_t>(code)));
  }
  void abandon() noexcept {
    if (handle_ != 0) {
      (void)finish(Status::kUnavailable);
    }
  }
  uint32_t handle_ = 0;  // 1 to RR_MAX_STREAMS while open
};

/// A send started with sendAsync and not yet waited for: owns the host's ticket; move-only.
///
/// The receivers read the payload in place from the sender's memory until the send is waited
/// for, so its bytes must stay alive and unchanged until then: declare the buffer before the
/// PendingSend, which then goes first. wait() returns the send's status; a PendingSend destroyed
/// (or assigned over) before its wait waits for it and drops the status, so no ticket leaks and
/// no buffer goes while the host reads it. A function holds at most RR_MAX_IN_FLIGHT (8) at once.
///
///   std::vector<std::byte> buf = fill();
///   auto [st, sent] = rr::guest::sendAsync("sink", buf);
///   ... work that leaves buf alone ...
///   if (st == Status::kOk) {
///     st = sent.wait();  // else nothing was sent
///   }
class PendingSend {
 public:
  /// Nothing pending: wait returns kInvalid.
  PendingSend() noexcept = default;
  PendingSend(PendingSend&& other) noexcept : ticket_(std::exchange(other.ticket_, 0)) {}
  PendingSend& operator=(PendingSend&& other) noexcept {
    if (this != &other) {
      (void)wait();
      ticket_ = std::exchange(other.ticket_, 0);
    }
    return *this;
  }
  PendingSend(const PendingSend&) = delete;
  PendingSend& operator=(const PendingSend&) = delete;
  ~PendingSend() { (void)wait(); }

  /// Whether a send is pending: started and not yet waited for.
  [[nodiscard]] bool isPending() const noexcept { return ticket_ != 0; }
  /// The host's ticket for the send (for logs), 0 once waited for.
  [[nodiscard]] uint32_t ticket() const noexcept { return ticket_; }

  /// Waits until the send is done and returns its status, as send would have (kOk: every
  /// receiver's handler returned 0). The payload is the caller's again afterwards. kInvalid when
  /// nothing is pending (waited for already, or a default or moved-from PendingSend).
  [[nodiscard]] Status wait() noexcept {
    if (ticket_ == 0) {
      return Status::kInvalid;
    }
    // Forgets the ticket before the call: the host may give the number to the next send.
    return static_cast<Status>(rr_raw_send_wait(static_cast<int32_t>(std::exchange(ticket_, 0))));
  }

 private:
  friend std::pair<Status, PendingSend> sendAsync(std::string_view target,
                                                  std::span<const std::byte> data) noexcept;
  explicit PendingSend(uint32_t ticket) noexcept : ticket_(ticket) {}
  uint32_t ticket_ = 0;  // non-zero while pending
};

/// Starts a send of `data` to `target` (as send, with no reply) and returns at once with the
/// send pending; its wait gives the send's status. kNoMemory, sending nothing, when 8 sends are
/// pending (wait for one first); kUnknownTarget, kNotAllowed or kInvalid as send would. On
/// failure nothing is pending.
[[nodiscard]] inline std::pair<Status, PendingSend> sendAsync(
    std::string_view target, std::span<const std::byte> data) noexcept {
  uint32_t ticket = 0;
  const auto st = static_cast<Status>(
      rr_raw_send_async(static_cast<int32_t>(reinterpret_cast<uintptr_t>(target.data())),
                        static_cast<int32_t>(target.size()),
                        static_cast<int32_t>(reinterpret_cast<uintptr_t>(data.data())),
                        static_cast<int32_t>(data.size()),
                        static_cast<int32_t>(reinterpret_cast<uintptr_t>(&ticket))));
  if (st != Status::kOk) {
    return {st, PendingSend()};
  }
  if (ticket == 0) {
    return {Status::kProto, PendingSend()};  // success without a ticket: the host broke the ABI
  }
  return {Status::kOk, PendingSend(ticket)};
}

/// Inside a handler: the bytes the sender receives as its reply.
[[nodiscard]] inline Status reply(std::span<const std::byte> data) noexcept {
  return static_cast<Status>(rr_reply(data.data(), static_cast<uint32_t>(data.size())));
}

/// Adds `value` to the function's own counter `name` (rr_count): exported by the host as
/// roadrunner_guest_counter_total{function, name}.
inline Status count(std::string_view name, uint32_t value) noexcept {
  return static_cast<Status>(
      rr_raw_add_counter(static_cast<int32_t>(reinterpret_cast<uintptr_t>(name.data())),
                         static_cast<int32_t>(name.size()), static_cast<int32_t>(value)));
}

/// Records the event `name` in the span the function runs in (rr_event): exported when the host
/// traces, dropped otherwise, with the same status either way.
inline Status event(std::string_view name) noexcept {
  return static_cast<Status>(
      rr_raw_span_event(static_cast<int32_t>(reinterpret_cast<uintptr_t>(name.data())),
                        static_cast<int32_t>(name.size())));
}

}  // namespace rr::guest

#endif  // ROADRUNNER_GUEST_ROADRUNNER_HPP
