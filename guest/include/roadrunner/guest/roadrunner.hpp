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
#include <span>
#include <string_view>

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

/// Inside a handler: the bytes the sender receives as its reply.
[[nodiscard]] inline Status reply(std::span<const std::byte> data) noexcept {
  return static_cast<Status>(rr_reply(data.data(), static_cast<uint32_t>(data.size())));
}

}  // namespace rr::guest

#endif  // ROADRUNNER_GUEST_ROADRUNNER_HPP
