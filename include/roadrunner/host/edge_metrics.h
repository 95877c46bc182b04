#pragma once

// What moves over each edge of a workflow, counted where the send returns: transfers, bytes,
// copies, failures by status and two latency histograms. Recorded with relaxed atomic adds (no
// lock, no allocation) by the sending threads; read at any time by whoever exports them
// (runtime::renderMetrics). See docs/observability.md.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "roadrunner/guest/abi.h"

namespace rr::host {

struct DeliveryResult;

/// Upper bounds of the latency buckets, in nanoseconds (exported as seconds, Prometheus `le`):
/// 1 µs to 10 s, about three per decade, so a 1 KiB hand-off and a 500 MiB copy both land in a
/// bucket of their own.
inline constexpr std::array<std::uint64_t, 18> kLatencyBucketsNs = {
    1'000,      2'500,      5'000,      10'000,      25'000,        50'000,
    100'000,    250'000,    500'000,    1'000'000,   2'500'000,     5'000'000,
    10'000'000, 25'000'000, 50'000'000, 100'000'000, 1'000'000'000, 10'000'000'000};

/// A latency histogram over kLatencyBucketsNs. Thread-safety: record() from any thread;
/// snapshot() reads each counter once, so a snapshot taken during recording may be off by the
/// records in flight (never by more, never torn).
class LatencyHistogram {
 public:
  void record(std::uint64_t nanos) noexcept;
  struct Snapshot {
    std::array<std::uint64_t, kLatencyBucketsNs.size() + 1> counts{};  ///< per bucket; last: +Inf
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
  };
  [[nodiscard]] Snapshot snapshot() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBucketsNs.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

/// One edge: sends from function `from` (all its instances) to the name `to` (a function, or a
/// group with its members), in mode `mode`. A group send is one transfer.
struct EdgeMetrics {
  std::string from;
  std::string to;
  std::string mode;
  std::atomic<std::uint64_t> transfers{0};  ///< sends that returned, any status
  std::atomic<std::uint64_t> bytes{0};      ///< payload bytes of the sends that succeeded
  std::atomic<std::uint64_t> copies{0};     ///< whole copies the hosts made (host::copiesOf)
  std::atomic<std::uint64_t> copied_bytes{0};
  std::atomic<std::uint64_t> moved_bytes{0};
  std::atomic<std::uint64_t> mapped_bytes{0};
  std::array<std::atomic<std::uint64_t>, RR_STATUS_MAX + 1> by_status{};  ///< sends per status
  /// send call -> handler entry (the last member's, for a group); not for network edges, whose
  /// receiver's clock is another node's
  LatencyHistogram to_handler;
  LatencyHistogram handler;  ///< handler entry -> the receiver has done with the bytes

  /// Counts one send that started at `start_ns` (CLOCK_MONOTONIC) and returned `status`.
  void record(std::uint32_t status, std::uint64_t len, std::uint64_t start_ns,
              const DeliveryResult& result) noexcept;
};

/// The edges of one process. Each is made before any function runs and keeps its address (a
/// deque) for the life of the set. Thread-safety: edge() while setting up, from one thread;
/// afterwards the edges are only recorded into and read.
class EdgeMetricsSet {
 public:
  /// The edge (from, to, mode), made on first use.
  EdgeMetrics* edge(std::string_view from, std::string_view to, std::string_view mode);
  [[nodiscard]] const std::deque<EdgeMetrics>& edges() const noexcept { return edges_; }

 private:
  std::deque<EdgeMetrics> edges_;
};

}  // namespace rr::host
