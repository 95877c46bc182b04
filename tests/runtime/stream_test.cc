// Streams (the stream_* imports and rr_on_stream) through real guests on real WasmEdge, in every
// edge mode: bytes intact and in order, backpressure, and the failures of either side.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

#include "../testing/modes.h"
#include "../testing/report.h"

namespace rr::runtime {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20U;

FunctionSpec streamSender(const std::string& target, std::uint64_t total, std::uint32_t chunk,
                          const std::string& mode = "close", std::uint32_t seed = 1) {
  return {.name = "sender",
          .wasm = RR_GUEST_STREAM_SENDER,
          .args = {target, std::to_string(total), std::to_string(chunk), mode},
          .env = {"STREAM_SEED=" + std::to_string(seed)}};
}

FunctionSpec sink(std::vector<std::string> env = {}, std::uint32_t seed = 1) {
  env.push_back("SINK_SEED=" + std::to_string(seed));
  return {.name = "sink", .wasm = RR_GUEST_STREAM_SINK, .env = std::move(env)};
}

std::uint64_t counter(const InstanceReport& r, const std::string& name) {
  const auto it =
      std::ranges::find_if(r.guest_counters, [&](const auto& c) { return c.first == name; });
  return it == r.guest_counters.end() ? 0 : it->second;
}

class StreamTest : public ::testing::TestWithParam<EdgeMode> {
 protected:
  [[nodiscard]] EdgeMode mode() const { return GetParam(); }
  [[nodiscard]] bool embedded() const { return mode() == EdgeMode::kEmbedded; }
  [[nodiscard]] RunReport mustRun(const Workflow& w) const {
    auto r = runWorkflow(w, testing::servedRunOptions());
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : RunReport{.exit_code = -1};
  }
};

TEST_P(StreamTest, ChunksArriveIntactAndInOrderWithOneCopyEach) {
  // Chunk sizes that do not divide the total: the last chunk is short. A new seed per run.
  for (const std::uint32_t seed : {7U, 8U}) {
    const std::uint64_t total = 5 * kMiB + 123;
    const Workflow w{.functions = {streamSender("sink", total, 256 * 1024 + 1, "close", seed),
                                   sink({"SINK_EXPECT=" + std::to_string(total)}, seed)},
                     .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
    const RunReport report = mustRun(w);
    const InstanceReport& s = testing::instanceNamed(report, "sender");
    EXPECT_EQ(s.exit_code, 0) << "the sink checks every byte and the count at the end";
    EXPECT_EQ(s.bytes, total);
    if (embedded()) {
      EXPECT_EQ(s.copied_bytes, total) << "one copy per chunk, observed";
      const InstanceReport& k = testing::instanceNamed(report, "sink");
      EXPECT_EQ(counter(k, "ends"), 1U);
      EXPECT_EQ(counter(k, "chunks"), 21U);
    }
    EXPECT_EQ(report.exit_code, 0);
  }
}

TEST_P(StreamTest, AStreamsChunksLandInOneBufferReleasedBeforeItsEnd) {
  // 21 chunks of one size but the last: the buffer the first asked for takes every later one,
  // and goes back to the guest before its end handler runs.
  if (!embedded()) {
    GTEST_SKIP() << "a served sink's counters stay in its serving process";
  }
  const std::uint64_t total = 5 * kMiB + 123;
  const Workflow w{.functions = {streamSender("sink", total, 256 * 1024 + 1),
                                 sink({"SINK_EXPECT=" + std::to_string(total)})},
                   .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0);
  const InstanceReport& k = testing::instanceNamed(report, "sink");
  EXPECT_EQ(counter(k, "chunks"), 21U);
  EXPECT_EQ(counter(k, "allocs"), 1U) << "one buffer for the stream, not one per chunk";
  EXPECT_EQ(counter(k, "held_at_end"), 0U) << "released before the end handler";
}

TEST_P(StreamTest, ASinkThatSeesOtherBytesFailsTheSendersClose) {
  // The check can fail: the sink expects another seed.
  const Workflow w{.functions = {streamSender("sink", kMiB, 65536, "close", 3), sink({}, 4)},
                   .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  EXPECT_EQ(testing::instanceNamed(mustRun(w), "sender").exit_code, RR_EHANDLER);
}

TEST_P(StreamTest, AnEmptyStreamEndsAndAReceiverWithoutStreamsSaysSo) {
  Workflow w{.functions = {streamSender("sink", 0, 4096), sink({"SINK_EXPECT=0"})},
             .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  EXPECT_EQ(testing::instanceNamed(mustRun(w), "sender").exit_code, 0);
  w.functions[1].wasm = RR_GUEST_HASH_RECEIVER;  // rr_on_message only
  w.functions[0].args[1] = "4096";
  EXPECT_EQ(testing::instanceNamed(mustRun(w), "sender").exit_code, RR_ENO_STREAMS);
}

TEST_P(StreamTest, ThreeStagesRelayATransformedStream) {
  const std::uint64_t total = 8 * kMiB;
  const Workflow w{
      .functions = {streamSender("relay", total, 1U << 20U),
                    {.name = "relay", .wasm = RR_GUEST_STREAM_RELAY, .env = {"RELAY_TO=sink"}},
                    sink({"SINK_XOR=90", "SINK_EXPECT=" + std::to_string(total)})},
      .edges = {{.from = "sender", .to = "relay", .mode = mode()},
                {.from = "relay", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0);
  EXPECT_EQ(report.exit_code, 0);
}

TEST_P(StreamTest, ASlowReceiverMakesItsWriterWait) {
  // 10 chunks, 30 ms each at the sink: the writer cannot run ahead of it (nothing buffers the
  // chunks in between), so its writes take most of the sink's 300 ms.
  const Workflow w{
      .functions = {streamSender("sink", 10 * 65536, 65536), sink({"SINK_SLOW_MS=30"})},
      .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  const InstanceReport& s = testing::instanceNamed(report, "sender");
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_GE(s.send_seconds, 0.25) << "in its writes and close, waiting for the sink";
}

TEST_P(StreamTest, AHandlerFailureReachesTheWriterAndStopsTheStream) {
  const Workflow w{.functions = {streamSender("sink", 20 * 4096, 4096), sink({"SINK_FAIL_AT=3"})},
                   .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, RR_EHANDLER);
  if (embedded()) {
    const InstanceReport& k = testing::instanceNamed(report, "sink");
    EXPECT_LE(counter(k, "chunks"), 4U) << "at most one chunk after the failure was taken";
    EXPECT_EQ(counter(k, "aborts"), 1U) << "the failed stream ends with an abort";
    EXPECT_EQ(counter(k, "ends"), 0U);
  }
}

TEST_P(StreamTest, AReceiverThatTrapsMidStreamGivesItsWriterAStatus) {
  const Workflow w{.functions = {streamSender("sink", 20 * 4096, 4096), sink({"SINK_TRAP_AT=3"})},
                   .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, RR_ERECEIVER_FAILED);
  if (embedded()) {
    const InstanceReport& k = testing::instanceNamed(report, "sink");
    EXPECT_EQ(k.handler_traps, 1U);
    EXPECT_EQ(counter(k, "ends"), 0U) << "a cut stream is never reported complete";
  }
}

TEST_P(StreamTest, AReceiverThatTrapsReleasingItsLastChunkNeverReportsTheStreamComplete) {
  // The kept chunk buffer goes back (rr_release) before the end's handler; a trap there fails
  // the stream instead of letting its end pass as delivered.
  const Workflow w{
      .functions = {streamSender("sink", 8 * 4096, 4096), sink({"SINK_TRAP_IN_RELEASE=1"})},
      .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, RR_ERECEIVER_FAILED);
  if (embedded()) {
    const InstanceReport& k = testing::instanceNamed(report, "sink");
    EXPECT_EQ(counter(k, "chunks"), 8U);
    EXPECT_EQ(counter(k, "ends"), 0U);
  }
}

TEST_P(StreamTest, ASenderThatEndsMidStreamLeavesAnAbortNeverAnEnd) {
  for (const char* how : {"abort", "trap", "exit", "leave"}) {
    SCOPED_TRACE(how);
    const Workflow w{.functions = {streamSender("sink", 16 * 4096, 4096, how), sink()},
                     .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
    const RunReport report = mustRun(w);
    if (embedded()) {
      const InstanceReport& k = testing::instanceNamed(report, "sink");
      EXPECT_EQ(counter(k, "aborts"), 1U);
      EXPECT_EQ(counter(k, "ends"), 0U);
      EXPECT_EQ(counter(k, "chunks"), 8U);
    }
  }
}

TEST_P(StreamTest, AFanOutGroupEachGetsTheWholeStream) {
  FunctionSpec group = sink({"SINK_EXPECT=" + std::to_string(3 * kMiB)});
  group.instances = 3;
  const Workflow w{.functions = {streamSender("sink", 3 * kMiB, 1U << 20U), group},
                   .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0);
  if (embedded()) {
    EXPECT_EQ(testing::instanceNamed(report, "sender").copied_bytes, 9 * kMiB);
  }
}

// stream_write_move: the sender checks that each chunk's bytes read as zeros after its write,
// the sink checks every byte it got. To one receiver in the process the whole pages move and
// only the last chunk's partial page is copied; over a socket, and to a group's members, every
// byte is copied. A new seed per run.
TEST_P(StreamTest, MovedChunksArriveIntactAndLeaveTheSenderZeros) {
  const std::uint64_t total = 9 * kMiB + 4096 + 123;  // the last chunk ends mid-page
  const auto seed =
      static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (const std::uint32_t members : {1U, 2U}) {
    SCOPED_TRACE(std::to_string(members) + " member(s)");
    FunctionSpec receivers = sink({"SINK_EXPECT=" + std::to_string(total)}, seed);
    receivers.instances = members;
    const Workflow w{.functions = {streamSender("sink", total, 2 * kMiB, "move", seed), receivers},
                     .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
    const RunReport report = mustRun(w);
    const InstanceReport& s = testing::instanceNamed(report, "sender");
    EXPECT_EQ(s.exit_code, 0) << "9: a chunk's bytes stayed in the sender's buffer";
    EXPECT_EQ(s.bytes, total);
    if (embedded() && members == 1) {
      EXPECT_EQ(s.moved_bytes, total - 123) << "whole pages moved";
      EXPECT_EQ(s.copied_bytes, 123U) << "the partial last page";
    } else {
      EXPECT_EQ(s.moved_bytes, 0U);
    }
    if (embedded() && members == 2) {
      EXPECT_EQ(s.copied_bytes, 2 * total) << "each member's copy";
    }
    EXPECT_EQ(report.exit_code, 0);
  }
}

// stream_try_write against a sink that takes 20 ms a chunk: the writer is refused while the sink
// is busy (and does other work meanwhile) instead of waiting, and every chunk arrives exactly
// once, in order: the sink checks every byte and the total. For one sink and a group of two.
TEST_P(StreamTest, TryWritesAreRefusedWhileTheSinkIsBusyAndLoseNothing) {
  constexpr std::uint64_t kChunks = 8;
  const std::uint64_t total = kChunks * 65536 + 1000;
  const auto seed =
      static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (const std::uint32_t members : {1U, 2U}) {
    SCOPED_TRACE(std::to_string(members) + " member(s)");
    FunctionSpec receivers =
        sink({"SINK_SLOW_MS=20", "SINK_EXPECT=" + std::to_string(total)}, seed);
    receivers.instances = members;
    const Workflow w{.functions = {streamSender("sink", total, 65536, "try", seed), receivers},
                     .edges = {{.from = "sender", .to = "sink", .mode = mode()}}};
    const RunReport report = mustRun(w);
    const InstanceReport& s = testing::instanceNamed(report, "sender");
    EXPECT_EQ(s.exit_code, 0) << "the close's status: the sink found every byte, once";
    EXPECT_EQ(s.bytes, total);
    // Each chunk after the first finds the sink busy with the one before for about 20 ms (over a
    // socket the second may still fit: the sink's host holds the first at once).
    EXPECT_GE(counter(s, "would_block"), kChunks - 1) << "writes that waited instead of refusing";
    if (embedded()) {
      for (std::uint32_t k = 0; k < members; ++k) {
        const InstanceReport& r =
            testing::instanceNamed(report, members == 1 ? "sink" : "sink#" + std::to_string(k));
        EXPECT_EQ(counter(r, "chunks"), kChunks + 1);
        EXPECT_EQ(counter(r, "ends"), 1U);
      }
    }
    EXPECT_EQ(report.exit_code, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamTest, testing::everyMode(), testing::modeTestName);

}  // namespace
}  // namespace rr::runtime
