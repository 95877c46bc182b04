#include "roadrunner/host/edge_metrics.h"

#include <algorithm>

#include "roadrunner/host/endpoint.h"

namespace rr::host {

void LatencyHistogram::record(std::uint64_t nanos) noexcept {
  const auto bucket = static_cast<std::size_t>(std::ranges::lower_bound(kLatencyBucketsNs, nanos) -
                                               kLatencyBucketsNs.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(nanos, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const noexcept {
  Snapshot s;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  return s;
}

void EdgeMetrics::record(std::uint32_t status, std::uint64_t len, std::uint64_t start_ns,
                         const DeliveryResult& result) noexcept {
  transfers.fetch_add(1, std::memory_order_relaxed);
  by_status[std::min<std::uint32_t>(status, RR_STATUS_MAX)].fetch_add(1, std::memory_order_relaxed);
  copies.fetch_add(copiesOf(result.copied_bytes, len), std::memory_order_relaxed);
  copied_bytes.fetch_add(result.copied_bytes, std::memory_order_relaxed);
  moved_bytes.fetch_add(result.moved_bytes, std::memory_order_relaxed);
  mapped_bytes.fetch_add(result.mapped_bytes, std::memory_order_relaxed);
  if (status != RR_OK) {
    return;
  }
  bytes.fetch_add(len, std::memory_order_relaxed);
  // Across nodes the two clocks differ: no send -> handler latency for network edges.
  if (mode != "network" && result.handler_ns >= start_ns && result.handler_ns != 0) {
    to_handler.record(result.handler_ns - start_ns);
  }
  if (result.done_ns >= result.handler_ns && result.handler_ns != 0) {
    handler.record(result.done_ns - result.handler_ns);
  }
}

EdgeMetrics* EdgeMetricsSet::edge(std::string_view from, std::string_view to,
                                  std::string_view mode) {
  const auto it = std::ranges::find_if(
      edges_, [&](const EdgeMetrics& e) { return e.from == from && e.to == to && e.mode == mode; });
  if (it != edges_.end()) {
    return &*it;
  }
  EdgeMetrics& made = edges_.emplace_back();
  made.from = from;
  made.to = to;
  made.mode = mode;
  return &made;
}

}  // namespace rr::host
