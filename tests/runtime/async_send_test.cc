// send_async and send_wait through real guests on real WasmEdge, in every edge mode: the bytes
// arrive intact while the sender runs on, the limit on sends in flight holds, and a sender that
// traps with sends in flight neither crashes the host nor cuts a payload short.

#include <algorithm>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

#include "../testing/modes.h"
#include "../testing/report.h"

namespace rr::runtime {
namespace {

std::uint64_t okCount(const InstanceReport& r) {
  const auto it =
      std::ranges::find_if(r.guest_counters, [](const auto& c) { return c.first == "ok"; });
  return it == r.guest_counters.end() ? 0 : it->second;
}

class AsyncSendTest : public ::testing::TestWithParam<EdgeMode> {
 protected:
  [[nodiscard]] Workflow workflow(std::vector<std::string> args,
                                  std::vector<std::string> receiver_env = {}) const {
    args.insert(args.begin(), "sink");
    return {.functions = {{.name = "sender", .wasm = RR_GUEST_ASYNC_SENDER, .args = args},
                          {.name = "sink",
                           .wasm = RR_GUEST_PATTERN_RECEIVER,
                           .env = std::move(receiver_env)}},
            .edges = {{.from = "sender", .to = "sink", .mode = GetParam()}}};
  }
  static RunReport mustRun(const Workflow& w) {
    auto r = runWorkflow(w, testing::servedRunOptions());
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : RunReport{.exit_code = -1};
  }
};

TEST_P(AsyncSendTest, EveryMessageArrivesIntactAndEveryTicketReportsIt) {
  for (const char* size : {"8", "4097", "1048583"}) {
    SCOPED_TRACE(size);
    const RunReport report = mustRun(workflow({"40", size}));
    const InstanceReport& s = testing::instanceNamed(report, "sender");
    EXPECT_EQ(s.exit_code, 0) << "the receiver checks every byte; the sender every status";
    EXPECT_EQ(s.sends, 40U);
    if (GetParam() == EdgeMode::kEmbedded) {
      EXPECT_EQ(okCount(testing::instanceNamed(report, "sink")), 40U);
      EXPECT_EQ(s.copies, 40U) << "one copy each, read in place from the sender's memory";
    }
  }
}

TEST_P(AsyncSendTest, TheLimitAndUnknownTicketsAreStatuses) {
  EXPECT_EQ(testing::instanceNamed(mustRun(workflow({"20", "64", "limits"})), "sender").exit_code,
            0);
}

TEST_P(AsyncSendTest, ASenderThatTrapsWithSendsInFlightLeavesThemWhole) {
  const RunReport report = mustRun(workflow({"100", "65536", "trap"}, {"SLOW_MS=5"}));
  EXPECT_NE(testing::instanceNamed(report, "sender").error.find("unreachable"), std::string::npos)
      << "the sender trapped";
  if (GetParam() == EdgeMode::kEmbedded) {
    EXPECT_EQ(okCount(testing::instanceNamed(report, "sink")), RR_MAX_IN_FLIGHT)
        << "every send in flight finished intact before the sender's memory went";
  }
}

TEST_P(AsyncSendTest, StartsReturnWhileTheReceiverWorks) {
  // A receiver taking 50 ms a message, and the first eight starts return within 25 ms, less than
  // one handler run (with room for ThreadSanitizer's slower sockets, which took 13 ms): in
  // process its thread takes them; over a socket the sender's host carries them on a thread of
  // its own.
  // Sizes on the mailbox (1 KiB) and the stream (100 KB) of a kernel edge; the window holds the
  // sender's filling of its payloads too, which rules out a memfd's megabytes.
  for (const char* size : {"1024", "100000"}) {
    SCOPED_TRACE(size);
    const RunReport report = mustRun(workflow({"16", size, "overlap"}, {"SLOW_MS=50"}));
    EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0)
        << "3: the first starts took 25 ms or more";
    if (GetParam() == EdgeMode::kEmbedded) {
      EXPECT_EQ(okCount(testing::instanceNamed(report, "sink")), 16U);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, AsyncSendTest, testing::everyMode(), testing::modeTestName);

}  // namespace
}  // namespace rr::runtime
