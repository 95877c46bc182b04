#pragma once

// A ttrpc server on a listening UNIX socket: one thread per connection reads frames, and every
// request runs on its own thread, so a Wait that blocks never holds up a Kill on the same
// connection. Responses on one connection are written under a lock. Both kinds of thread run in
// bounded sys::ThreadSets, joined as they end and all joined by the destructor: a request over
// the bound gets kResourceExhausted, a connection over it is closed.

#include <atomic>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/thread_set.h"

namespace ttrpc {
class Request;
}

namespace rr::shim {

struct TtrpcConnection;

/// google.rpc.Status codes that containerd maps back to its errdefs.
enum class RpcCode : int {
  kOk = 0,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kFailedPrecondition = 9,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
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
  TtrpcServer(TtrpcServer&&) = delete;
  TtrpcServer& operator=(TtrpcServer&&) = delete;
  /// Closes every connection and joins every thread. A handler still running (a Wait) must be
  /// made to return first: the caller ends it (TaskService::stop) before this runs.
  ~TtrpcServer();

  static constexpr std::size_t kMaxConnections = 16;  ///< containerd opens one or two
  static constexpr std::size_t kMaxRequests = 64;     ///< in progress, over all connections

  /// Accepts connections until stop().
  void serve();
  /// Makes serve() return; callable from any thread.
  void stop();
  /// serve() returns once the response being written has gone out (Shutdown's reply).
  void stopAfterReply() { stop_after_reply_ = true; }

 private:
  void connection(UniqueFd fd);
  void readRequests(const std::shared_ptr<TtrpcConnection>& conn);
  [[nodiscard]] RpcResult call(const ttrpc::Request& request) const;

  UniqueFd listener_;
  UniqueFd wake_;  // eventfd
  RpcHandler handler_;
  std::atomic<bool> stop_after_reply_{false};
  std::mutex mu_;
  std::vector<int> open_fds_;  // for the destructor: shutdown() wakes their threads
  sys::ThreadSet requests_{kMaxRequests};
  sys::ThreadSet connections_{kMaxConnections};
};

}  // namespace rr::shim
