#pragma once

// A ttrpc server on a listening UNIX socket: one thread per connection reads frames, and every
// request runs on its own thread, so a Wait that blocks never holds up a Kill on the same
// connection. Responses on one connection are written under a lock.

#include <atomic>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::shim {

/// google.rpc.Status codes that containerd maps back to its errdefs.
enum class RpcCode : int {
  kOk = 0,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kFailedPrecondition = 9,
  kUnimplemented = 12,
  kInternal = 13,
};

struct RpcStatus {
  RpcCode code = RpcCode::kUnknown;
  std::string message;
};

using RpcResult = std::expected<std::string, RpcStatus>;
using RpcHandler = std::function<RpcResult(std::string_view service, std::string_view method,
                                           const std::string& payload)>;

/// The status that carries `error` to containerd: kNotFound for missing things, kInvalidArgument
/// for bad input, kAlreadyExists for EEXIST, kFailedPrecondition for EBUSY, else kUnknown.
[[nodiscard]] RpcStatus toRpcStatus(const Error& error);

class TtrpcServer {
 public:
  TtrpcServer(UniqueFd listener, RpcHandler handler);
  TtrpcServer(const TtrpcServer&) = delete;
  TtrpcServer& operator=(const TtrpcServer&) = delete;
  ~TtrpcServer();

  /// Accepts connections until stop().
  void serve();
  /// Makes serve() return; callable from any thread.
  void stop();
  /// serve() returns once the response being written has gone out (Shutdown's reply).
  void stopAfterReply() { stop_after_reply_ = true; }

 private:
  void connection(int fd);

  UniqueFd listener_;
  UniqueFd wake_;  // eventfd
  RpcHandler handler_;
  std::atomic<bool> stop_after_reply_{false};
};

}  // namespace rr::shim
