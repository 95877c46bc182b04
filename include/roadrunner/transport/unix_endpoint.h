#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/endpoint.h"

namespace rr::transport {

struct UnixEndpointOptions {
  /// Payloads of at least this many bytes travel as a memfd (UINT64_MAX: never; 0: always).
  std::uint64_t memfd_threshold = UINT64_MAX;
  int timeout_seconds = 60;  ///< a peer that makes no progress this long fails the send
  /// Callers run on threads with their own descriptor tables (unshare(CLONE_FILES)): each
  /// connection belongs to its thread's table, so the endpoint never closes them itself.
  bool thread_private_fds = false;
};

/// A receiver in another process on this node, reached over a UNIX socket (kernel mode).
///
/// Data path, socket (2 copies, both by the kernel):
///   sender memory ─writev─▶ socket buffer ─read─▶ receiver's rr_alloc buffer
///   owner: sender, blocked in send until the receiver's response arrives
/// Data path, memfd (1 copy by the sender; the receiver maps the pages):
///   sender memory ─memcpy─▶ pooled size-sealed memfd ─SCM_RIGHTS─▶ mapped into receiver memory
///   the memfd is reused only after the response, so the receiver never sees it change
///
/// Connections are persistent, one per calling thread, and replaced transparently when the
/// receiver restarted (a hung-up idle connection is detected before sending). A connection that
/// fails mid-transfer is never retried: the receiver may or may not have run the handler, and
/// the sender gets RR_EUNAVAILABLE (or RR_ETIMEDOUT) instead of a duplicate.
///
/// Thread-safety: `deliverAsync` from any thread (it completes before returning).
class UnixEndpoint final : public host::Endpoint {
 public:
  /// `target` is the receiving function's name, carried in every frame and checked by the server.
  UnixEndpoint(std::string path, std::string target, UnixEndpointOptions options);
  ~UnixEndpoint() override;
  UnixEndpoint(const UnixEndpoint&) = delete;
  UnixEndpoint& operator=(const UnixEndpoint&) = delete;
  UnixEndpoint(UnixEndpoint&&) = delete;
  UnixEndpoint& operator=(UnixEndpoint&&) = delete;

  void deliverAsync(const host::Delivery& delivery, host::Completion& completion) override;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// Per delivery: sender's send call -> receiver's handler entry, in seconds (same node).
  void recordLatencies(bool on) { record_ = on; }
  [[nodiscard]] std::vector<double> takeLatencies();

 private:
  struct Memfd {
    UniqueFd fd;
    std::size_t size = 0;
    std::byte* map = nullptr;
  };
  [[nodiscard]] host::DeliveryResult transfer(const host::Delivery& d);
  [[nodiscard]] Result<int> connection();
  void dropConnection();
  [[nodiscard]] Result<Memfd*> memfdFor(std::size_t len);

  std::string path_;
  std::string target_;
  UnixEndpointOptions options_;
  std::mutex mutex_;
  std::map<std::thread::id, UniqueFd> connections_;  // fds live in each thread's own fd table
  std::map<std::thread::id, std::unique_ptr<Memfd>> memfds_;
  bool record_ = false;
  std::vector<double> latencies_;
};

}  // namespace rr::transport
