#pragma once

#include <cstdint>

#include "roadrunner/guest/abi.h"

namespace rr::host {

/// Guest-visible statuses, taken from the ABI header (never retyped).
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

/// "unknown target", for logs and the CLI.
[[nodiscard]] const char* statusName(Status status) noexcept;

}  // namespace rr::host
