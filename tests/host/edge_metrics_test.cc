// EdgeMetrics: each send lands in the right counters and latency buckets, failures by their
// status, and an edge keeps its address however many are made.

#include "roadrunner/host/edge_metrics.h"

#include <gtest/gtest.h>

#include "roadrunner/host/endpoint.h"

namespace rr::host {
namespace {

TEST(LatencyHistogramTest, EachLatencyLandsInTheFirstBucketAtOrAboveIt) {
  LatencyHistogram h;
  h.record(500);             // 0.5 µs: le 1e-06
  h.record(1'000);           // exactly 1 µs: still le 1e-06 (le is inclusive)
  h.record(1'001);           // le 2.5e-06
  h.record(3'000'000);       // 3 ms: le 5e-3
  h.record(20'000'000'000);  // 20 s: +Inf
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 5U);
  EXPECT_EQ(s.sum_ns, 500U + 1'000 + 1'001 + 3'000'000 + 20'000'000'000);
  EXPECT_EQ(s.counts[0], 2U);
  EXPECT_EQ(s.counts[1], 1U);
  EXPECT_EQ(s.counts[11], 1U) << kLatencyBucketsNs[11];
  EXPECT_EQ(s.counts.back(), 1U);
}

TEST(EdgeMetricsTest, ASendIsCountedByItsStatusAndOnlySuccessesAddBytesAndLatencies) {
  EdgeMetrics e{.from = "a", .to = "b", .mode = "embedded"};
  const DeliveryResult ok{.copied_bytes = 3000, .handler_ns = 1'010'000, .done_ns = 1'030'000};
  e.record(RR_OK, 1000, 1'000'000, ok);
  e.record(RR_OK, 1000, 1'000'000,
           {.mapped_bytes = 1000, .handler_ns = 1'002'000, .done_ns = 1'004'000});
  e.record(RR_ETIMEDOUT, 1000, 1'000'000, {.copied_bytes = 1000});
  EXPECT_EQ(e.transfers.load(), 3U);
  EXPECT_EQ(e.by_status[RR_OK].load(), 2U);
  EXPECT_EQ(e.by_status[RR_ETIMEDOUT].load(), 1U);
  EXPECT_EQ(e.bytes.load(), 2000U) << "the failed send's bytes did not arrive";
  EXPECT_EQ(e.copies.load(), 4U) << "three copies, none, then one before the failure";
  EXPECT_EQ(e.copied_bytes.load(), 4000U);
  EXPECT_EQ(e.mapped_bytes.load(), 1000U);
  EXPECT_EQ(e.to_handler.snapshot().count, 2U);
  EXPECT_EQ(e.to_handler.snapshot().sum_ns, 12'000U);
  EXPECT_EQ(e.handler.snapshot().sum_ns, 22'000U);
}

TEST(EdgeMetricsTest, ANetworkEdgeHasNoSendToHandlerLatencyAcrossTwoClocks) {
  EdgeMetrics e{.from = "a", .to = "b", .mode = "network"};
  e.record(RR_OK, 10, 5'000'000, {.handler_ns = 9'000'000, .done_ns = 9'500'000});
  EXPECT_EQ(e.to_handler.snapshot().count, 0U);
  EXPECT_EQ(e.handler.snapshot().count, 1U) << "the handler's duration is one clock's";
}

TEST(EdgeMetricsSetTest, AnEdgeIsMadeOnceAndKeepsItsAddress) {
  EdgeMetricsSet set;
  EdgeMetrics* first = set.edge("a", "b", "kernel");
  for (int i = 0; i < 1000; ++i) {
    (void)set.edge("a", "b" + std::to_string(i), "kernel");
  }
  EXPECT_EQ(set.edge("a", "b", "kernel"), first);
  EXPECT_NE(set.edge("a", "b", "embedded"), first) << "the mode is part of the edge";
  EXPECT_EQ(first->to, "b");
  EXPECT_EQ(set.edges().size(), 1002U);
}

}  // namespace
}  // namespace rr::host
