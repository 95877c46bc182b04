#include "roadrunner/host/status.h"

namespace rr::host {

const char* statusName(Status status) noexcept {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kUnknownTarget:
      return "unknown target";
    case Status::kNotAllowed:
      return "target not declared";
    case Status::kTooLarge:
      return "payload too large";
    case Status::kNoMemory:
      return "receiver out of memory";
    case Status::kBadAlloc:
      return "bad receiver buffer";
    case Status::kReceiverFailed:
      return "receiver failed";
    case Status::kHandler:
      return "handler error";
    case Status::kFault:
      return "bad pointer";
    case Status::kReplyTooLarge:
      return "reply too large";
    case Status::kNoReplyContext:
      return "no message to reply to";
    case Status::kUnavailable:
      return "receiver unavailable";
    case Status::kTimedOut:
      return "timed out";
    case Status::kProto:
      return "protocol error";
    case Status::kInvalid:
      return "invalid argument";
    case Status::kExited:
      return "receiver exited";
    case Status::kNoStreams:
      return "receiver takes no streams";
    case Status::kWouldBlock:
      return "would block";
  }
  return "unknown status";
}

}  // namespace rr::host
