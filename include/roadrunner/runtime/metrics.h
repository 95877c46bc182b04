#pragma once

// Metrics an operator can scrape: the Prometheus text exposition (format 0.0.4) of a process's
// edges (host::EdgeMetricsSet) and functions (InstanceReport), and a small HTTP server that
// answers GET /metrics with it on a UNIX or TCP address (`up --metrics`, `serve --metrics`).
// Every name and label: docs/observability.md.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/edge_metrics.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/transport/address.h"

namespace rr::runtime {

/// What the process's transports hold right now.
struct TransportGauges {
  std::uint64_t memfd_pool_bytes = 0;  ///< kernel-mode senders' pooled memfds
  /// A served function (`serve`): its name and its server's connections; empty name: none.
  std::string served;
  std::uint64_t open_connections = 0;
  std::uint64_t dropped_connections = 0;
};

/// The exposition of `edges` (may be null), of the functions in `instances`, summed per
/// function (a group's members and a command's instances are one function: "worker#2" counts
/// as "worker"), so label values stay as many as the workflow has functions and edges, and of
/// `transports`.
[[nodiscard]] std::string renderMetrics(const host::EdgeMetricsSet* edges,
                                        const std::vector<InstanceReport>& instances,
                                        const TransportGauges& transports = {});

/// Answers GET /metrics (200, the text `render` returns at that moment) and anything else (404,
/// or 405 for another method) on `address`, one connection at a time, each closed after its
/// answer. A client gets 2 s to send its request; a request line or headers over 8 KiB end the
/// connection. Ownership: owns the listening socket (a unix: path is removed on stop) and one
/// thread, joined by stop() or the destructor. `render` runs on that thread.
class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  [[nodiscard]] static Result<std::unique_ptr<MetricsServer>> start(transport::Address address,
                                                                    Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  MetricsServer(MetricsServer&&) = delete;
  MetricsServer& operator=(MetricsServer&&) = delete;

  /// Where it listens (a tcp: port 0 replaced by the kernel's choice).
  [[nodiscard]] const transport::Address& address() const noexcept { return address_; }
  /// Stops accepting and joins the thread. Idempotent.
  void stop();

 private:
  MetricsServer(transport::Address address, UniqueFd listen_fd, Render render);
  void serve();
  void answer(int fd);

  transport::Address address_;
  UniqueFd listen_fd_;
  Render render_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace rr::runtime
