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
